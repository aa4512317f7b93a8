import Foundation

/// A D-Bus session bus and gnome-keyring of one test's own, for locking a keyring without disturbing
/// the tests that share the session's one. The bus has no service activation.
final class PrivateKeyring: @unchecked Sendable {
    let address: String
    let password = "agent-private-keyring"
    private let directory: String
    private let bus: RunningProcess
    private let keyring: RunningProcess

    /// The environment a process needs to use this keyring.
    var environment: [String: String] { ["DBUS_SESSION_BUS_ADDRESS": address] }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("agent-bus-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = """
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(directory)/bus</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """
        try config.write(toFile: directory + "/bus.conf", atomically: true, encoding: .utf8)
        bus = try RunningProcess(
            "/usr/bin/dbus-daemon",
            ["--config-file=\(directory)/bus.conf", "--nofork", "--nopidfile", "--print-address=1"])
        // dbus-daemon prints its address once it accepts connections.
        try await bus.stdout.waitForLine(containing: "unix:")
        address = "unix:path=\(directory)/bus"

        let passwordFile = directory + "/password"
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        var keyringEnvironment = ProcessInfo.processInfo.environment
        keyringEnvironment.merge(
            [
                "DBUS_SESSION_BUS_ADDRESS": address, "HOME": directory, "XDG_DATA_HOME": directory + "/data",
                "XDG_RUNTIME_DIR": directory,
            ]) { $1 }
        keyring = try RunningProcess(
            "/usr/bin/gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"],
            environment: keyringEnvironment, stdin: FileHandle(forReadingAtPath: passwordFile))
        // gdbus returns as soon as the Secret Service owns its name (bounded by its own timeout).
        try KeyringControl.run(
            self, "/usr/bin/gdbus", "wait", "--session", "--timeout", "30", "org.freedesktop.secrets")
    }

    deinit {
        keyring.signal(SIGKILL)
        bus.signal(SIGKILL)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
