import DeviceCredential
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a small secret (an enrollment token, a TPM PIN) from a file or a descriptor, refusing a regular
/// file that group or others can read or write: mode 0600 or stricter, like the file key store. Pipes,
/// FIFOs and process substitutions are accepted as they are.
struct SecretFile {
    /// What the secret is, for messages and error codes: `token` gives `token_file_unreadable`,
    /// `insecure_token_file`.
    let noun: String
    /// What to suggest instead of a file that is too open.
    let alternative: String
    /// Secrets past this size are not what they claim to be.
    let maximumLength: Int

    func read(path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw unreadable("cannot open the \(noun) file \(path): \(reason)")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw unreadable("cannot inspect the \(noun) file \(path)") }
        if status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o077 != 0 {
            let mode = String(status.st_mode & 0o777, radix: 8)
            throw CommandFailure(
                code: "insecure_\(noun)_file",
                message: "the \(noun) file \(path) has mode \(mode): other users may read it; "
                    + "run chmod 600 on it (\(alternative))",
                status: .failure)
        }
        return try read(descriptor: descriptor, what: "the \(noun) file \(path)")
    }

    /// Reads `descriptor` to its end; `usage` error when it holds more than ``maximumLength`` bytes.
    func read(descriptor: Int32, what: String) throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { chunk.wipe() }
        while bytes.count <= maximumLength {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try FileDescriptor(rawValue: descriptor).read(into: $0) }
            } catch {
                throw unreadable("cannot read \(what): \(error)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        defer { bytes.wipe() }
        guard bytes.count <= maximumLength else {
            throw CommandFailure.usage(
                "malformed_\(noun)", "\(what) holds more than \(maximumLength) bytes: that is not a \(noun)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func unreadable(_ message: String) -> CommandFailure {
        CommandFailure(code: "\(noun)_file_unreadable", message: message, status: .failure)
    }
}
