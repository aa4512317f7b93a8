import DeviceCredential
import DeviceCredentialAgent
import DeviceCredentialLocking
import Foundation
import HTTPTypes

/// A clock the test drives: every wait the agent asks for is handed to the test, which ends it when
/// it wants (as elapsed, or as a resume from suspend). No real interval passes.
final class ManualClock: AgentClock {
    struct PendingWait: Sendable {
        var delay: Duration
        var continuation: CheckedContinuation<PollWait, any Error>
        func end(_ how: PollWait = .elapsed) { continuation.resume(returning: how) }
    }

    private struct State {
        var pending: [PendingWait] = []
        var waiter: CheckedContinuation<PendingWait?, Never>?
    }
    private let state = Locked(State())

    var now: Date { Date() }

    func waitBeforeNextPoll(_ delay: Duration) async throws -> PollWait {
        try await withCheckedThrowingContinuation { continuation in
            let wait = PendingWait(delay: delay, continuation: continuation)
            let waiter = state.withLock { state in
                guard let waiter = state.waiter else {
                    state.pending.append(wait)
                    return CheckedContinuation<PendingWait?, Never>?.none
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume(returning: wait)
        }
    }

    /// The next wait the agent asked for (not yet ended); nil when the calling task is cancelled.
    func nextWaitOrNil() async -> PendingWait? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> PendingWait?? in
                    if !state.pending.isEmpty { return state.pending.removeFirst() }
                    if Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// The next wait the agent asked for (not yet ended).
    func nextWait() async throws -> PendingWait {
        guard let wait = await nextWaitOrNil() else { throw CancellationError() }
        return wait
    }
}

/// Stands in for the person: records each prompt and answers as told, or waits until the prompt is taken away.
final class RecordingPrompter: ChallengePrompter {
    enum Behaviour: Sendable {
        case answer(PromptDecision)
        case waitUntilWithdrawn
    }

    let behaviour: Behaviour
    let requests: AsyncStream<PromptRequest>
    private let requestInput: AsyncStream<PromptRequest>.Continuation
    let withdrawn: AsyncStream<String>
    private let withdrawnInput: AsyncStream<String>.Continuation

    init(_ behaviour: Behaviour) {
        self.behaviour = behaviour
        (requests, requestInput) = AsyncStream.makeStream(of: PromptRequest.self)
        (withdrawn, withdrawnInput) = AsyncStream.makeStream(of: String.self)
    }

    func prompt(_ request: PromptRequest) async throws -> PromptDecision {
        requestInput.yield(request)
        switch behaviour {
        case .answer(let decision):
            return decision
        case .waitUntilWithdrawn:
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                withdrawnInput.yield(request.challenge.challengeId)
                throw error
            }
            return .unanswered
        }
    }
}

/// Forwards to libcurl, or answers with a fault the test sets (a test double for faults only).
final class FaultyTransport: HTTPTransport {
    private let real = CurlTransport()
    private let fault = Locked<(response: HTTPResponse, body: Data)?>(nil)

    func fail(status: Int, headers: HTTPFields = [:], errorCode: String = "server_error") {
        let body = #"{"error":"\#(errorCode)","errorCode":"\#(errorCode)","errorDescription":"injected"}"#
        var headers = headers
        headers[.contentType] = "application/json"
        let response = HTTPResponse(status: .init(code: status), headerFields: headers)
        fault.withLock { $0 = (response, Data(body.utf8)) }
    }

    func heal() {
        fault.withLock { $0 = nil }
    }

    func send(_ request: HTTPRequest, body: Data?) async throws -> (response: HTTPResponse, body: Data) {
        if let answer = fault.withLock({ $0 }) { return answer }
        return try await real.send(request, body: body)
    }
}
