import Foundation

/// Blocking reads run on a thread of their own, never on the cooperative pool (two threads on a two-core
/// machine), so a test waiting for a daemon's first line cannot stall the other tests.
enum BlockingIO {
    /// The first line `handle` yields (without the newline), or what came before end of file.
    static func firstLine(of handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            Thread {
                var buffer = Data()
                while !buffer.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffer.append(chunk)
                }
                let text = String(decoding: buffer, as: UTF8.self)
                continuation.resume(returning: String(text.split(separator: "\n").first ?? ""))
            }.start()
        }
    }
}
