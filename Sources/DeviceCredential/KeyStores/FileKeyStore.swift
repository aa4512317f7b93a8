#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Keeps each profile's key as a PEM PKCS#8 file, mode 0600, in a directory of mode 0700.
///
/// For headless hosts without a keyring. It protects the key from other users, not from other processes
/// of the same user (see Docs/security.md). A key file that group or others can read is refused with
/// `insecure_key_file` rather than used.
public struct FileKeyStore: KeyStore {
    /// The directory holding `<profile>.pem` files.
    public let directory: String

    /// A store in `directory` (created with mode 0700 on first write).
    public init(directory: String) {
        self.directory = directory
    }

    /// The standard location: `$XDG_DATA_HOME/devicecred/keys`.
    public static func standard() throws -> FileKeyStore {
        FileKeyStore(directory: try XDGDirectories.current().dataHome + "/devicecred/keys")
    }

    public var kind: KeyStoreKind { .file }

    /// The file a profile's key lives in.
    public func path(profile: String) throws -> String {
        try DeviceProfile.validate(keyName: profile)
        return directory + "/" + profile + ".pem"
    }

    public func storeKey(_ material: KeyMaterial, for item: KeyStoreItem) throws {
        let path = try path(profile: item.profile)
        try FileSystem.createPrivateDirectory(directory)
        try material.pemText().withUnsafeBytes { try FileSystem.writeAtomically($0, to: path, mode: 0o600) }
    }

    public func loadKey(profile: String) throws -> KeyMaterial? {
        let path = try path(profile: profile)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw FileSystem.error("cannot open the key file \(path)")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileSystem.error("cannot inspect the key file \(path)") }
        guard status.st_mode & 0o077 == 0 else {
            throw DeviceCredentialError(
                code: .insecureKeyFile,
                message: "the key file \(path) is readable by other users; run chmod 600 on it or enroll again")
        }
        guard status.st_uid == getuid() else {
            throw DeviceCredentialError(code: .insecureKeyFile, message: "the key file \(path) belongs to another user")
        }
        let contents = try FileSystem.readAll(descriptor, limit: 64 * 1024, path: path)
        return try contents.withUnsafeBytes { try KeyMaterial(pemText: $0) }
    }

    @discardableResult
    public func deleteKey(profile: String) throws -> Bool {
        let path = try path(profile: profile)
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw FileSystem.error("cannot delete the key file \(path)")
    }
}
