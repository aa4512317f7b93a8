import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The few POSIX file operations the stores need: private directories, atomic writes, bounded reads.
enum FileSystem {
    static func error(_ what: String, code: DeviceCredentialError.Code = .keyStoreFailure) -> DeviceCredentialError {
        error(what, Errno(rawValue: errno), code: code)
    }

    static func error(
        _ what: String, _ reason: any Error, code: DeviceCredentialError.Code = .keyStoreFailure
    ) -> DeviceCredentialError {
        DeviceCredentialError(code: code, message: "\(what): \(reason)")
    }

    /// Creates `path` and its missing parents; the last component gets mode 0700.
    static func createPrivateDirectory(_ path: String) throws {
        var prefix = ""
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            if mkdir(prefix, index == components.count - 1 ? 0o700 : 0o755) != 0, errno != EEXIST {
                throw error("cannot create the directory \(prefix)")
            }
        }
    }

    /// Writes `bytes` to a temporary file next to `path`, flushes it, then renames it over `path`, so a
    /// reader sees the old file or the new one, never half of one.
    static func writeAtomically(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .truncate, .closeOnExec, .noFollow],
                permissions: FilePermissions(rawValue: mode))
        } catch {
            throw self.error("cannot create \(temporary)", error)
        }
        do {
            _ = try file.writeAll(bytes)
        } catch {
            try? file.close()
            unlink(temporary)
            throw self.error("cannot write \(temporary)", error)
        }
        guard fchmod(file.rawValue, mode) == 0, fsync(file.rawValue) == 0 else {
            let failure = error("cannot flush \(temporary)")
            try? file.close()
            unlink(temporary)
            throw failure
        }
        try? file.close()
        guard rename(temporary, path) == 0 else {
            let failure = error("cannot replace \(path)")
            unlink(temporary)
            throw failure
        }
    }

    /// Reads a whole file from `descriptor`, refusing files larger than `limit`.
    static func readAll(_ descriptor: Int32, limit: Int, path: String) throws -> SecretBytes {
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        defer { buffer.wipe() }
        var total = 0
        while total <= limit {
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes {
                    try FileDescriptor(rawValue: descriptor).read(
                        into: UnsafeMutableRawBufferPointer(rebasing: $0[total...]))
                }
            } catch {
                throw self.error("cannot read \(path)", error)
            }
            if count == 0 { break }
            total += count
        }
        guard total <= limit else {
            throw DeviceCredentialError(code: .keyStoreFailure, message: "\(path) is larger than \(limit) bytes")
        }
        return buffer.withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<total])) }
    }

    /// Reads a whole, small, non-secret file; nil when it does not exist.
    static func readFile(_ path: String, limit: Int = 1 << 20) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw error("cannot open \(path)", code: .invalidConfiguration)
        }
        defer { close(descriptor) }
        return try readAll(descriptor, limit: limit, path: path).withUnsafeBytes { Array($0) }
    }
}
