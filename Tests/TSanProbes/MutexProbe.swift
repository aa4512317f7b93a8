// Eight threads counting under one Synchronization.Mutex (`mutex`) or one pthread mutex (`pthread`).
// Built with -sanitize=thread by Tests/scripts/tsan-blind-spots.sh: the count is right either way; the
// question is whether TSan sees the lock handed over. Few rounds: under TSan a contended Mutex is slow
// beyond proportion (1,000 rounds per thread took 0.2 to 1.4 s here, 5,000 took 25 s; with the pthread
// mutex, under 0.05 s either way).
import Glibc
import Synchronization

final class PthreadCounter: @unchecked Sendable {
    // On the heap: a pthread mutex must not move, and a stored property's address is not guaranteed.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var count = 0
    init() { pthread_mutex_init(mutex, nil) }
    func increment() {
        pthread_mutex_lock(mutex)
        count += 1
        pthread_mutex_unlock(mutex)
    }
    var value: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return count
    }
}

final class MutexCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

func onThreads(_ count: Int, _ run: @escaping () -> Void) {
    var threads = [pthread_t](repeating: pthread_t(), count: count)
    for index in threads.indices {
        let body = Unmanaged.passRetained(ThreadBody(run)).toOpaque()
        pthread_create(
            &threads[index], nil,
            { raw in
                Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, body)
    }
    for thread in threads { pthread_join(thread, nil) }
}

let usePthread = CommandLine.arguments.dropFirst().first == "pthread"
let pthreadCounter = PthreadCounter()
let mutexCounter = MutexCounter()
onThreads(8) {
    for _ in 0..<1_000 { if usePthread { pthreadCounter.increment() } else { mutexCounter.increment() } }
}
print("count: \(usePthread ? pthreadCounter.value : mutexCounter.value)")
