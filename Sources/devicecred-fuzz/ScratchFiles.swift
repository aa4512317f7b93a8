#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A directory of this process for the targets whose parser reads a file (the profile list, the history).
enum ScratchFiles {
    static let directory: String = {
        var template = Array("/tmp/devicecred-fuzz-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { fatalError("devicecred-fuzz: cannot make a scratch directory") }
        return String(cString: path)
    }()

    /// Writes `bytes` to `name` in the directory (mode 0600, as the programs write it); returns the directory.
    static func write(_ bytes: [UInt8], as name: String) throws -> String {
        let path = directory + "/" + name
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { fatalError("devicecred-fuzz: cannot write \(path)") }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { fatalError("devicecred-fuzz: cannot write \(path)") }
        return directory
    }
}
