#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A value behind a lock: `Synchronization.Mutex`'s interface on a `pthread_mutex_t`.
///
/// Why not `Mutex`: on Linux it waits in the kernel (a priority-inheritance futex, in a library
/// ThreadSanitizer does not instrument), so when a contended lock is handed over ThreadSanitizer sees
/// no release and acquire, and reports the two holders as a race. It intercepts `pthread_mutex_lock`,
/// so state kept here is checked for real races by `make test-tsan` instead of being suppressed.
/// Every lock of the library, the agent, the CLI and the tests is one of these.
package final class Locked<Value: ~Copyable>: @unchecked Sendable {
    // Both on the heap, at fixed addresses: a pthread mutex must not move once initialised.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    package init(_ initialValue: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        value = .allocate(capacity: 1)
        value.initialize(to: initialValue)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the value while holding the lock.
    package func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
