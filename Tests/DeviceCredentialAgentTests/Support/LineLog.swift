import DeviceCredentialLocking
import DeviceCredentialTestSupport
import Foundation
import Logging

/// Lines a process writes, collected as they come, with waits for a line to appear (bounded, so a
/// missing event fails the test instead of hanging it).
final class LineLog: Sendable {
    private struct Waiter {
        var id: Int
        var predicate: @Sendable (String) -> Bool
        var continuation: CheckedContinuation<String?, Never>
    }
    private struct TextWaiter {
        var id: Int
        var text: Data
        var continuation: CheckedContinuation<Bool, Never>
    }
    private struct State {
        var lines: [String] = []
        var partial = Data()
        /// Everything written, for output that is not made of lines (a curses screen).
        var all = Data()
        var textWaiters: [TextWaiter] = []
        var waiters: [Waiter] = []
        var nextID = 0
        var closed = false
    }
    private let state = Locked(State())

    var lines: [String] { state.withLock { $0.lines } }

    func count(where predicate: (String) -> Bool) -> Int { lines.filter(predicate).count }

    func append(_ data: Data) {
        let found = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            let searchFrom = max(0, state.all.count - state.textWaiters.map(\.text.count).reduce(0, max))
            state.all.append(data)
            let tail = state.all[(state.all.startIndex + searchFrom)...]
            var found: [CheckedContinuation<Bool, Never>] = []
            state.textWaiters.removeAll { waiter in
                guard tail.range(of: waiter.text) != nil else { return false }
                found.append(waiter.continuation)
                return true
            }
            return found
        }
        for continuation in found { continuation.resume(returning: true) }
        let ready = state.withLock { state -> [(CheckedContinuation<String?, Never>, String)] in
            state.partial.append(data)
            var ready: [(CheckedContinuation<String?, Never>, String)] = []
            while let newline = state.partial.firstIndex(of: 0x0A) {
                let line = String(decoding: state.partial[state.partial.startIndex..<newline], as: UTF8.self)
                state.partial.removeSubrange(state.partial.startIndex...newline)
                state.lines.append(line)
                state.waiters.removeAll { waiter in
                    guard waiter.predicate(line) else { return false }
                    ready.append((waiter.continuation, line))
                    return true
                }
            }
            return ready
        }
        for (continuation, line) in ready { continuation.resume(returning: line) }
    }

    /// Ends every wait still open (the process ended).
    func close() {
        let (waiters, textWaiters) = state.withLock { state in
            state.closed = true
            defer {
                state.waiters = []
                state.textWaiters = []
            }
            return (state.waiters, state.textWaiters)
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
        for waiter in textWaiters { waiter.continuation.resume(returning: false) }
    }

    /// Waits until `text` was written, anywhere (also across lines, or with no newline after it), at or
    /// after byte `from`. Throws after `timeout`.
    func waitForText(_ text: String, from: Int = 0, timeout: Duration = .seconds(30)) async throws {
        let needle = Data(text.utf8)
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let found: Bool = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let ready = self.state.withLock { state -> Bool? in
                        if state.all.dropFirst(from).range(of: needle) != nil { return true }
                        if state.closed { return false }
                        state.textWaiters.append(TextWaiter(id: id, text: needle, continuation: continuation))
                        return nil
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            let stale = self.state.withLock { state in
                let stale = state.textWaiters.filter { $0.id == id }
                state.textWaiters.removeAll { $0.id == id }
                return stale
            }
            for waiter in stale { waiter.continuation.resume(returning: false) }
            group.cancelAll()
            return first
        }
        guard found else { throw TestFailure("'\(text)' was not written within \(timeout)") }
    }

    /// How many bytes were written so far (a mark for ``waitForText(_:from:timeout:)``).
    var byteCount: Int { state.withLock { $0.all.count } }

    /// Waits until the writer closed its end (all output read).
    func waitUntilClosed(timeout: Duration = .seconds(30)) async throws {
        // No line contains a NUL: this wait ends only when the log closes (or at the deadline).
        _ = try? await waitForLine(containing: "\u{0}", timeout: timeout)
        guard state.withLock({ $0.closed }) else { throw TestFailure("the output was never closed") }
    }

    /// Waits for a line containing `text` whose index is at least `from`. Throws after `timeout`.
    @discardableResult
    func waitForLine(containing text: String, from: Int = 0, timeout: Duration = .seconds(30)) async throws -> String {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let line: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let found = self.state.withLock { state -> String?? in
                        if let line = state.lines.dropFirst(from).first(where: { $0.contains(text) }) { return line }
                        if state.closed { return .some(nil) }
                        state.waiters.append(
                            Waiter(id: id, predicate: { $0.contains(text) }, continuation: continuation))
                        return nil
                    }
                    if let found { continuation.resume(returning: found) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            // Release the other branch: a pending wait is ended by removing and resuming its waiter.
            let stale = self.state.withLock { state in
                let stale = state.waiters.filter { $0.id == id }
                state.waiters.removeAll { $0.id == id }
                return stale
            }
            for waiter in stale { waiter.continuation.resume(returning: nil) }
            group.cancelAll()
            return first
        }
        guard let line else {
            throw TestFailure("no line containing '\(text)' within \(timeout); \(Self.excerpt(of: lines))")
        }
        return line
    }

    /// For a failure: the last 40 lines, and before them every line but an agent's per-poll ones (at debug
    /// level it logs each poll and request, which would push what became of a challenge out of the last 40).
    private static func excerpt(of lines: [String]) -> String {
        let last = lines.suffix(40)
        let perPoll = ["] polled", "] request", "] response"]
        let earlier = lines.dropLast(last.count).filter { line in !perPoll.contains { line.hasSuffix($0) } }
        return "lines before the last 40, but the per-poll ones:\n" + earlier.suffix(60).joined(separator: "\n")
            + "\nthe last 40 lines:\n" + last.joined(separator: "\n")
    }
}

extension LineLog {
    /// A logger whose records arrive here as lines (see ``LogCapture``), for a test to wait on.
    var logger: Logger {
        LogCapture(forwardingTo: { line in self.append(Data((line + "\n").utf8)) }).logger
    }
}
