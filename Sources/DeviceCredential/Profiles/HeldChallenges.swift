package import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The challenges the agent's push-fatigue guard holds for one profile (not shown one by one), so that
/// `devicecred challenge` can say so. Kept in `$XDG_RUNTIME_DIR/devicecred/held/<profile>.json`: per
/// user, gone at logout, written by the agent only.
package struct HeldChallenges: Codable, Equatable, Sendable {
    /// The held challenges, oldest first.
    package var challengeIds: [String]
    /// When the cool-down ends, Unix seconds.
    package var coolDownEnds: Double

    package init(challengeIds: [String], coolDownEnds: Double) {
        self.challengeIds = challengeIds
        self.coolDownEnds = coolDownEnds
    }

    /// `$XDG_RUNTIME_DIR/devicecred/held`, or nil without a runtime directory.
    package static func directory() -> String? {
        guard let raw = getenv("XDG_RUNTIME_DIR") else { return nil }
        let runtime = String(cString: raw)
        guard runtime.hasPrefix("/") else { return nil }
        return runtime + "/devicecred/held"
    }

    package static func path(profile: String) -> String? {
        guard (try? DeviceProfile.validate(name: profile)) != nil else { return nil }
        return directory().map { $0 + "/" + profile + ".json" }
    }

    /// What the agent holds for `profile` at `now`; nil when nothing (or the cool-down is over).
    package static func read(profile: String, now: Date = Date()) -> HeldChallenges? {
        guard let path = path(profile: profile), let bytes = try? FileSystem.readFile(path, limit: 64 << 10),
            let held = try? JSONDecoder().decode(HeldChallenges.self, from: Data(bytes)),
            held.coolDownEnds > now.timeIntervalSince1970
        else { return nil }
        return held
    }

    /// Replaces the file of `profile`; best effort (the CLI's note is a help, not a guarantee).
    package func write(profile: String) throws {
        guard let directory = Self.directory(), let path = Self.path(profile: profile) else { return }
        try FileSystem.createPrivateDirectory(directory)
        let data = try JSONEncoder().encode(self)
        try data.withUnsafeBytes { try FileSystem.writeAtomically($0, to: path, mode: 0o600) }
    }

    package static func remove(profile: String) {
        guard let path = path(profile: profile) else { return }
        unlink(path)
    }
}
