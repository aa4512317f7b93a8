import Synchronization

/// Runs `operation` but stops waiting for it when the calling task is cancelled.
///
/// A libcurl exchange cannot be interrupted from Swift and may take up to the transport's timeout, so
/// on shutdown (SIGTERM in the middle of a poll) the agent stops waiting for it instead of hanging; the
/// abandoned exchange ends on its own worker thread (or with the process).
func stopWaitingOnCancel<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = Outcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            outcome.attach(continuation)
            // Unstructured on purpose: this task must be able to outlive the wait.
            Task { outcome.resolve(await Result(catching: operation)) }
        }
    } onCancel: {
        outcome.resolve(.failure(CancellationError()))
    }
}

/// The first result wins; later ones are dropped.
private final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
    }
    private let state = Mutex(State())

    func attach(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resolve(_ result: Result<T, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = result
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
