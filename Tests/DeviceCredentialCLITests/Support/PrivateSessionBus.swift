import Foundation
import Testing

/// A D-Bus session bus of one test's own, optionally with a gnome-keyring whose login keyring is unlocked:
/// for locking a keyring without disturbing the tests that share the session's one. The bus has no
/// service activation, so a missing Secret Service stays missing.
final class PrivateSessionBus: @unchecked Sendable {
    let directory: URL
    let address: String
    private let processes: [Process]

    var environment: [String: String] { ["DBUS_SESSION_BUS_ADDRESS": address] }

    private init(directory: URL, address: String, processes: [Process]) {
        self.directory = directory
        self.address = address
        self.processes = processes
    }

    static func start(withKeyring: Bool) async throws -> PrivateSessionBus {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent(TestEnvironment.uniqueName("dc-bus"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("bus").path
        let config = directory.appendingPathComponent("bus.conf")
        try Data(
            """
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(socket)</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """.utf8
        ).write(to: config)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        daemon.arguments = ["--config-file=\(config.path)", "--nofork", "--nopidfile", "--print-address=1"]
        let printed = Pipe()
        daemon.standardOutput = printed
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        // dbus-daemon prints its address once it accepts connections.
        let addressLine = await BlockingIO.firstLine(of: printed.fileHandleForReading)
        let address = "unix:path=\(socket)"
        guard addressLine.hasPrefix("unix:") else {
            kill(daemon.processIdentifier, SIGKILL)
            throw ProcessRunnerError(message: "dbus-daemon did not start: \(addressLine)")
        }
        var processes = [daemon]
        if withKeyring {
            let home = directory.appendingPathComponent("home")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            let keyring = Process()
            keyring.executableURL = URL(fileURLWithPath: "/usr/bin/gnome-keyring-daemon")
            keyring.arguments = ["--foreground", "--unlock", "--components=secrets"]
            keyring.environment = ProcessInfo.processInfo.environment.merging([
                "DBUS_SESSION_BUS_ADDRESS": address, "HOME": home.path,
                "XDG_DATA_HOME": home.appendingPathComponent("data").path,
                "XDG_RUNTIME_DIR": directory.path,
            ]) { $1 }
            let password = Pipe()
            keyring.standardInput = password
            keyring.standardOutput = FileHandle.nullDevice
            keyring.standardError = FileHandle.nullDevice
            try keyring.run()
            password.fileHandleForWriting.write(Data("private-test-keyring".utf8))
            try password.fileHandleForWriting.close()
            processes.append(keyring)
            // gdbus returns as soon as the Secret Service owns its name on the bus (no polling).
            let waited = try await ProcessRunner.run(
                "/usr/bin/gdbus", ["wait", "--session", "--timeout", "30", "org.freedesktop.secrets"],
                environment: ["DBUS_SESSION_BUS_ADDRESS": address])
            try #require(waited.status == 0, "gnome-keyring-daemon did not come up: \(waited)")
        }
        return PrivateSessionBus(directory: directory, address: address, processes: processes)
    }

    /// Locks the login collection, as the screen locker or Seahorse would.
    func lockLoginKeyring() async throws {
        let locked = try await ProcessRunner.run(
            "/usr/bin/gdbus",
            [
                "call", "--session", "--dest", "org.freedesktop.secrets", "--object-path", "/org/freedesktop/secrets",
                "--method", "org.freedesktop.Secret.Service.Lock", "['/org/freedesktop/secrets/collection/login']",
            ], environment: environment)
        try #require(locked.status == 0, "could not lock the keyring: \(locked)")
    }

    func stop() {
        // SIGKILL: a child spawned from a test worker thread inherits its blocked SIGTERM and would outlive
        // the test run.
        for process in processes.reversed() where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
