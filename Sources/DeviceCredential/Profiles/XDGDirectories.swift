#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The XDG base directories (freedesktop.org Base Directory Specification).
public struct XDGDirectories: Sendable {
    /// `$XDG_CONFIG_HOME`, or `$HOME/.config`.
    public var configHome: String
    /// `$XDG_DATA_HOME`, or `$HOME/.local/share`.
    public var dataHome: String
    /// `$XDG_STATE_HOME`, or `$HOME/.local/state`: what the user's programs keep between runs (the history).
    public var stateHome: String

    /// Explicit directories (tests, or an app with its own layout); the state directory defaults to a
    /// `state` directory beside `dataHome`'s parent layout (`~/.local/share` gives `~/.local/state`).
    public init(configHome: String, dataHome: String, stateHome: String? = nil) {
        self.configHome = configHome
        self.dataHome = dataHome
        self.stateHome =
            stateHome ?? (dataHome.hasSuffix("/share") ? String(dataHome.dropLast(6)) + "/state" : dataHome + "/state")
    }

    /// The directories of the current process's environment. Relative values are ignored, as the spec says.
    public static func current() throws -> XDGDirectories {
        func variable(_ name: String) -> String? {
            guard let value = getenv(name).map({ String(cString: $0) }), value.hasPrefix("/") else { return nil }
            return value
        }
        let home = variable("HOME") ?? getpwuid(getuid()).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } }
        guard let home else {
            throw DeviceCredentialError(code: .invalidConfiguration, message: "HOME is not set and has no passwd entry")
        }
        return XDGDirectories(
            configHome: variable("XDG_CONFIG_HOME") ?? home + "/.config",
            dataHome: variable("XDG_DATA_HOME") ?? home + "/.local/share",
            stateHome: variable("XDG_STATE_HOME") ?? home + "/.local/state")
    }
}
