internal import CDeviceCredentialSecret

/// Owns a private `GMainContext` that a Secret Service connection's GDBus objects live in.
///
/// GDBus hands a proxy's signals, and the release of its signal subscriptions when the proxy is freed,
/// to the thread-default main context of the thread that created the proxy, as idle sources. Nothing
/// iterates the process's global default context in the agent, the CLI or an app without a GLib main
/// loop, so those sources piled up there: three per keyring item proxy, one item per key lookup, about
/// 1 kB per poll (issue 17). Under this context the sources are dispatched, and freed, after each call.
final class GLibMainContext: @unchecked Sendable {
    // Used by one thread at a time: the owner serialises its calls (SecretServiceKeyStore's mutex).
    private let context: OpaquePointer

    init() {
        context = g_main_context_new()
    }

    deinit {
        dispatchPending()
        g_main_context_unref(context)
    }

    /// Runs `body` with this context as the calling thread's default, then dispatches what it queued
    /// (and what arrived since the last call), so nothing is left holding memory.
    func run<Result>(_ body: () throws -> Result) rethrows -> sending Result {
        g_main_context_push_thread_default(context)
        defer {
            dispatchPending()
            g_main_context_pop_thread_default(context)
        }
        return try body()
    }

    /// Dispatches every source that is ready, without blocking.
    private func dispatchPending() {
        while g_main_context_iteration(context, 0) != 0 {}
    }
}
