import Foundation

/// The test double between the agent and the real devicecred-server, for faults only: it passes each
/// request on, or answers it with the fault of its current ``FaultMode``. One exchange per connection.
/// It also sees what the agent learns and sends: the challenges the server handed over whole, and the
/// answers the server accepted (the proxy writes both on the ``SoakBoard``).
final class FaultProxy: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let serverPort: UInt16
    private let board: SoakBoard
    /// Guards `listening` and `stopped`; the accept thread waits on it while the port refuses.
    private let gate = NSCondition()
    private var listening = true
    private var stopped = false

    init(serverPort: UInt16, board: SoakBoard) throws {
        (listener, port) = try LoopbackSocket.listener()
        self.serverPort = serverPort
        self.board = board
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var url: String { "http://127.0.0.1:\(port)/v1" }

    /// Moves to `mode`: stops listening for ``FaultMode/refused`` (the port stays this proxy's), listens
    /// again after it.
    func switchTo(_ mode: FaultMode) {
        gate.lock()
        defer { gate.unlock() }
        let refuse = mode == .refused
        if refuse && listening {
            shutdown(listener, Int32(SHUT_RD))
            listening = false
        } else if !refuse && !listening {
            listening = listen(listener, 64) == 0
            gate.broadcast()
        }
        board.update {
            $0.mode = mode
            $0.periods[mode, default: 0] += 1
        }
    }

    func stop() {
        gate.lock()
        stopped = true
        gate.broadcast()
        gate.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection >= 0 {
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                let mode = board.update { state -> FaultMode in
                    state.exchanges[state.mode, default: 0] += 1
                    return state.mode
                }
                Thread.detachNewThread { [self] in serve(connection, in: mode) }
                continue
            }
            if errno == EINTR || errno == ECONNABORTED { continue }
            // Not listening: refusing for now (wait to listen again), or stopped (close the port).
            gate.lock()
            while !listening && !stopped { gate.wait() }
            let isStopped = stopped
            gate.unlock()
            if isStopped {
                close(listener)
                return
            }
        }
    }

    private func serve(_ connection: Int32, in mode: FaultMode) {
        LoopbackSocket.setTimeout(connection, seconds: 30)
        guard let request = HTTPMessage.read(from: connection) else {
            close(connection)
            return
        }
        var answer: HTTPMessage?
        if mode.forwards {
            answer = forward(request)
            guard answer != nil else {
                LoopbackSocket.reset(connection)  // the server is gone: as a dead upstream looks
                return
            }
            if let answer, Self.isAnswer(request), answer.status == 200, let challengeId = request.challengeId {
                board.update { $0.agentAnswers[challengeId, default: 0] += 1 }
            }
        }
        switch mode {
        case .passThrough, .slowDrip:
            guard let answer else { return }
            let sent =
                mode == .slowDrip
                ? Self.drip(answer.bytes, to: connection) : LoopbackSocket.writeAll(connection, answer.bytes)
            if sent, Self.isChallengeQuery(request), answer.status == 200, let challengeId = answer.challengeId {
                board.update { _ = $0.delivered.insert(challengeId) }
            }
            LoopbackSocket.finish(connection)
        case .resetMidBody:
            guard let answer else { return }
            let bytes = answer.bytes
            LoopbackSocket.writeAll(connection, bytes.prefix(answer.headCount + answer.body.count / 2))
            LoopbackSocket.reset(connection)
        case .serverError:
            LoopbackSocket.writeAll(connection, Self.error(status: "500 Internal Server Error", code: "server_error"))
            LoopbackSocket.finish(connection)
        case .tooManyRequests:
            LoopbackSocket.writeAll(
                connection,
                Self.error(status: "429 Too Many Requests", code: "too_many_requests", extra: ["Retry-After: 1"]))
            LoopbackSocket.finish(connection)
        case .garbage:
            LoopbackSocket.writeAll(connection, Self.garbage())
            LoopbackSocket.finish(connection)
        case .refused:
            // Accepted just before the port stopped listening: refused the next best way.
            LoopbackSocket.reset(connection)
        }
    }

    /// The server's answer to `request`, or nil when it could not be had.
    private func forward(_ request: HTTPMessage) -> HTTPMessage? {
        guard let server = LoopbackSocket.connect(port: serverPort) else { return nil }
        defer { close(server) }
        guard LoopbackSocket.writeAll(server, request.bytes) else { return nil }
        return HTTPMessage.read(from: server)
    }

    /// The device's getChallenge (`GET .../push/challenge?publicKey=...`).
    private static func isChallengeQuery(_ request: HTTPMessage) -> Bool {
        request.method == "GET" && request.target.contains("/user-authenticators/push/challenge?")
    }

    /// The device's updateChallenge (`POST .../push/challenge`, no query).
    private static func isAnswer(_ request: HTTPMessage) -> Bool {
        request.method == "POST" && request.target.hasSuffix("/user-authenticators/push/challenge")
    }

    /// A few bytes at a time, with a pause between: slow, yet well within a client's timeout.
    private static func drip(_ bytes: [UInt8], to connection: Int32) -> Bool {
        for start in stride(from: 0, to: bytes.count, by: 24) {
            guard LoopbackSocket.writeAll(connection, bytes[start..<min(start + 24, bytes.count)]) else { return false }
            usleep(4000)
        }
        return true
    }

    private static func error(status: String, code: String, extra: [String] = []) -> [UInt8] {
        let body =
            #"{"error":"\#(code)","errorCode":"\#(code)","errorDescription":"injected by the soak's fault proxy"}"#
        let head =
            ["HTTP/1.1 " + status, "Content-Type: application/json", "Content-Length: \(body.utf8.count)"]
            + extra + ["Connection: close"]
        return Array((head.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    /// Random bytes; half the time behind a 200 JSON head, so they reach the body's decoder.
    private static func garbage() -> [UInt8] {
        let noise = (0..<Int.random(in: 1...600)).map { _ in UInt8.random(in: 0...255) }
        guard Bool.random() else { return noise }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(noise.count)\r\n"
        return Array((head + "Connection: close\r\n\r\n").utf8) + noise
    }
}
