import DeviceCredentialLocking
import Dispatch
import Testing

/// The lock all shared state is kept behind. Under `make test-tsan` these same tests are the check that
/// ThreadSanitizer sees it: the concurrent appends below were reported as races behind
/// `Synchronization.Mutex`, whose contended hand-over TSan on Linux does not see.
@Suite("Locked")
struct LockedTests {
    @Test("threads appending at once under the lock: every append kept, none torn")
    func concurrentAppendsAreAllKept() {
        let appended = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<1_000 { appended.withLock { $0.append(thread * 1_000 + index) } }
        }
        let values = appended.withLock { $0 }
        #expect(values.count == 8_000)
        #expect(Set(values).count == 8_000)
    }

    @Test("withLock returns the body's value, and its typed error leaves the lock free and the value as set")
    func returnsAndThrows() {
        struct Refused: Error, Equatable {}
        let counter = Locked(0)
        #expect(
            counter.withLock { value -> Int in
                value += 2
                return value * 10
            } == 20)
        #expect(throws: Refused()) {
            try counter.withLock { (value: inout Int) throws(Refused) in
                value += 1
                throw Refused()
            }
        }
        // Taken again at once: the throw unlocked it.
        #expect(counter.withLock { $0 } == 3)
    }
}
