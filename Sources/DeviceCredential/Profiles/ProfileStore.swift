import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The list of profiles, kept as one JSON file (`profiles.json`) that is replaced atomically and
/// changed under a file lock, so the CLI and the agent never see half a file or lose each other's writes.
public struct ProfileStore: Sendable {
    /// The directory holding `profiles.json`.
    public let directory: String

    /// A store in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The standard location: `$XDG_CONFIG_HOME/devicecred`.
    public static func standard() throws -> ProfileStore {
        ProfileStore(directory: try XDGDirectories.current().configHome + "/devicecred")
    }

    /// The JSON file's path.
    public var path: String { directory + "/profiles.json" }

    private struct File: Codable {
        var version = 1
        var profiles: [DeviceProfile] = []
    }

    /// Creates the store's directory (mode 0700, with its parents) when it is missing, so that it can be
    /// watched for changes before the first profile is saved.
    public func createDirectory() throws {
        try FileSystem.createPrivateDirectory(directory)
    }

    /// Every profile, sorted by name.
    public func profiles() throws -> [DeviceProfile] {
        try read().profiles.sorted { $0.name < $1.name }
    }

    /// The profile named `name`, or nil.
    public func profile(named name: String) throws -> DeviceProfile? {
        try read().profiles.first { $0.name == name }
    }

    /// Adds `profile`, or replaces the one with its name.
    public func save(_ profile: DeviceProfile) throws {
        try update { file in
            file.profiles.removeAll { $0.name == profile.name }
            file.profiles.append(profile)
        }
    }

    /// Removes the profile named `name`. Returns whether there was one.
    @discardableResult
    public func remove(named name: String) throws -> Bool {
        var removed = false
        try update { file in
            let before = file.profiles.count
            file.profiles.removeAll { $0.name == name }
            removed = file.profiles.count != before
        }
        return removed
    }

    private func read() throws -> File {
        guard let bytes = try FileSystem.readFile(path) else { return File() }
        do {
            return try JSONDecoder().decode(File.self, from: Data(bytes))
        } catch {
            throw DeviceCredentialError(code: .invalidConfiguration, message: "\(path) is not a valid profile list")
        }
    }

    private func update(_ change: (inout File) throws -> Void) throws {
        try FileSystem.createPrivateDirectory(directory)
        let lock = open(directory + "/profiles.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw FileSystem.error("cannot open the profile lock", code: .invalidConfiguration) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else {
            throw FileSystem.error("cannot lock the profile list", code: .invalidConfiguration)
        }
        var file = try read()
        try change(&file)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(file)
        try data.withUnsafeBytes { try FileSystem.writeAtomically($0, to: path, mode: 0o600) }
    }
}
