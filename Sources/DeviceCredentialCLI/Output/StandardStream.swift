#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes whole strings to standard output or standard error, unbuffered, so results and messages reach
/// a pipe in the order they were written, even when the process exits right after.
enum StandardStream: Int32 {
    case output = 1
    case error = 2

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        var written = 0
        bytes.withUnsafeMutableBytes { buffer in
            while written < buffer.count {
                let result = Glibc.write(rawValue, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return  // a closed pipe: nothing more can be said
                }
                written += result
            }
        }
    }
}
