#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Finds this session's D-Bus bus the way GIO does, except that it never falls back to `autolaunch:`.
///
/// GIO's own lookup ends in autolaunch when nothing else is found: with `DISPLAY` set that spawns a
/// `dbus-daemon` (and through it a `gnome-keyring-daemon`) which outlives the command. Every place that
/// connects to the session bus asks this first and reports `dbus_unavailable` ("no session bus") when
/// it finds nothing; GIO, looking in the same places in the same order, then finds the same bus.
package enum SessionBusAddress {
    /// `DBUS_SESSION_BUS_ADDRESS` when set, else the systemd user bus at `$XDG_RUNTIME_DIR/bus` when that
    /// socket exists.
    /// - Throws: `dbus_unavailable` when neither is there, or when the address asks for autolaunch.
    package static func resolve(environment: (String) -> String? = Self.processEnvironment) throws -> String {
        if let address = environment("DBUS_SESSION_BUS_ADDRESS"), !address.isEmpty {
            guard !address.contains("autolaunch:") else {
                throw DeviceCredentialError(
                    code: .dbusUnavailable,
                    message: "no session bus: DBUS_SESSION_BUS_ADDRESS asks for autolaunch, which would start a "
                        + "dbus-daemon that outlives this command; start a session bus instead")
            }
            return address
        }
        if let runtime = environment("XDG_RUNTIME_DIR"), !runtime.isEmpty, isSocket(runtime + "/bus") {
            return "unix:path=" + escaped(runtime + "/bus")
        }
        throw DeviceCredentialError(
            code: .dbusUnavailable,
            message: "no session bus: DBUS_SESSION_BUS_ADDRESS is not set and $XDG_RUNTIME_DIR/bus does not exist "
                + "(log in to a desktop session, or run under dbus-run-session)")
    }

    package static func processEnvironment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    private static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// D-Bus address escaping: bytes outside `[-0-9A-Za-z_/.\*]` become `%XX`.
    static func escaped(_ value: String) -> String {
        var result = ""
        for byte in value.utf8 {
            let scalar = Unicode.Scalar(byte)
            let plain =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "-_/.\\*".unicodeScalars.contains(scalar)
            if plain {
                result.unicodeScalars.append(scalar)
            } else {
                let hex = String(byte, radix: 16)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
