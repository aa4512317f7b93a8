// A continuation resumed on a plain pthread, with a payload written there and read by the task after
// `await`. Built with -sanitize=thread by Tests/scripts/tsan-blind-spots.sh. With `resume-first` the
// continuation is resumed before the task reaches `await`; with `await-first`, long after.
import Glibc

final class Payload: @unchecked Sendable { var value = 0 }

final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

func onNewThread(_ run: @escaping () -> Void) {
    var thread = pthread_t()
    let body = Unmanaged.passRetained(ThreadBody(run)).toOpaque()
    pthread_create(
        &thread, nil,
        { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, body)
    pthread_detach(thread)
}

@main struct ContinuationProbe {
    static func main() async {
        let resumeFirst = CommandLine.arguments.dropFirst().first == "resume-first"
        var total = 0
        for _ in 0..<20 {
            let payload: Payload = await withUnsafeContinuation { continuation in
                onNewThread {
                    if !resumeFirst { usleep(20_000) }
                    let payload = Payload()
                    payload.value = 1
                    continuation.resume(returning: payload)
                }
                // A sleep is no synchronisation to TSan: the await just comes after the resume.
                if resumeFirst { usleep(5_000) }
            }
            total += payload.value
        }
        print("payloads read: \(total)")
    }
}
