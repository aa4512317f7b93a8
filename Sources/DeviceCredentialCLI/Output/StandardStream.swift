import SystemPackage

/// Writes whole strings to standard output or standard error, unbuffered, so results and messages reach
/// a pipe in the order they were written, even when the process exits right after.
enum StandardStream: Int32 {
    case output = 1
    case error = 2

    func write(_ text: String) {
        // A closed pipe: nothing more can be said.
        _ = try? FileDescriptor(rawValue: rawValue).writeAll(text.utf8)
    }
}
