import Foundation

/// A D-Bus session bus of one test's own, optionally with a gnome-keyring whose login keyring a password
/// unlocks: for locking a keyring, or taking the Secret Service away, without disturbing the tests that
/// share the session's one. The bus has no service activation, so a missing Secret Service stays missing,
/// unless `serviceDirectories` name directories of D-Bus service files to activate from.
public final class PrivateSessionBus: @unchecked Sendable {
    public let address: String
    /// The login keyring's password; nil when the bus has no keyring.
    public let keyringPassword: String?
    private let directory: String
    private let bus: ChildProcess
    private let keyringLock = NSLock()
    private var keyring: ChildProcess?

    /// What a process needs to use this bus.
    public var environment: [String: String] { ["DBUS_SESSION_BUS_ADDRESS": address] }

    /// Starts the bus and, given a password, a gnome-keyring on it; returns once both are ready.
    public init(keyringPassword: String? = nil, serviceDirectories: [String] = []) async throws {
        directory = try makePrivateDirectory("dc-bus")
        self.keyringPassword = keyringPassword
        let socket = directory + "/bus"
        try """
        <busconfig>
          <type>session</type>
          <listen>unix:path=\(socket)</listen>
          <auth>EXTERNAL</auth>
        \(serviceDirectories.map { "  <servicedir>\($0)</servicedir>\n" }.joined())\
          <policy context="default">
            <allow send_destination="*" eavesdrop="true"/>
            <allow eavesdrop="true"/>
            <allow own="*"/>
          </policy>
        </busconfig>
        """.write(toFile: directory + "/bus.conf", atomically: true, encoding: .utf8)
        bus = try ChildProcess(
            "/usr/bin/dbus-daemon",
            ["--config-file=\(directory)/bus.conf", "--nofork", "--nopidfile", "--print-address=1"],
            standardOutput: .pipe, standardError: .file(directory + "/dbus.log"))
        address = "unix:path=\(socket)"
        do {
            // dbus-daemon prints its address once it accepts connections.
            _ = try await bus.waitForLine(containing: "unix:")
            if let keyringPassword {
                keyring = try await Self.startKeyring(
                    on: address, in: directory, password: keyringPassword, unlocked: true)
            } else {
                keyring = nil
            }
        } catch {
            bus.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    deinit { stop() }

    /// Ends the keyring and the bus and removes their files (also done when it is released).
    public func stop() {
        keyringLock.withLock { keyring }?.stop()
        bus.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts gnome-keyring-daemon on this bus with the HOME of earlier runs, so it finds their login
    /// keyring file. `unlocked`: with the password on its standard input (`--unlock`), as a desktop login
    /// does; otherwise it loads the keyring locked, as after boot with a lingering user unit or over SSH.
    private static func startKeyring(on address: String, in directory: String, password: String, unlocked: Bool)
        async throws -> ChildProcess
    {
        let home = directory + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        // gnome-keyring-daemon --unlock reads the password from its standard input.
        let passwordFile = directory + "/password"
        guard
            FileManager.default.createFile(
                atPath: passwordFile, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        else { throw TestSupportError("cannot write \(passwordFile)") }
        let environment = ProcessInfo.processInfo.environment.merging([
            "DBUS_SESSION_BUS_ADDRESS": address, "HOME": home, "XDG_DATA_HOME": home + "/data",
            "XDG_RUNTIME_DIR": directory,
        ]) { $1 }
        let keyring = try ChildProcess(
            "/usr/bin/gnome-keyring-daemon",
            ["--foreground", "--components=secrets"] + (unlocked ? ["--unlock"] : []),
            environment: environment, standardInput: unlocked ? passwordFile : nil,
            standardError: .file(directory + "/keyring.log"))
        // gdbus returns as soon as the Secret Service owns its name on the bus (bounded by its own timeout).
        let waited = try await ChildProcess.run(
            "/usr/bin/gdbus", ["wait", "--session", "--timeout", "30", "org.freedesktop.secrets"],
            environment: ["DBUS_SESSION_BUS_ADDRESS": address])
        guard waited.status == 0 else {
            keyring.stop()
            let log = (try? String(contentsOfFile: directory + "/keyring.log", encoding: .utf8)) ?? ""
            throw TestSupportError("gnome-keyring-daemon did not come up: \(waited.errors) \(log)")
        }
        return keyring
    }
}

extension PrivateSessionBus {
    /// Takes the Secret Service away: ends gnome-keyring-daemon and returns once its name left the bus.
    public func stopKeyring() async throws {
        let running = keyringLock.withLock {
            defer { keyring = nil }
            return keyring
        }
        running?.stop()
        // The bus drops the name when it sees the connection close; a new daemon cannot own it before.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while try await hasSecretService() {
            guard clock.now < deadline else { throw TestSupportError("the Secret Service name stayed on the bus") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Starts gnome-keyring-daemon again on the same HOME (see ``stopKeyring()``); `unlocked: false` leaves
    /// the login keyring locked from the start.
    public func startKeyring(unlocked: Bool) async throws {
        guard let keyringPassword else { throw TestSupportError("this bus has no keyring") }
        let started = try await Self.startKeyring(
            on: address, in: directory, password: keyringPassword, unlocked: unlocked)
        keyringLock.withLock { keyring = started }
    }

    /// Has the bus read its service directories again, as `dbus-send --reload` would: a service file
    /// written after the bus started is activatable once this returns. (The daemon also notices new files
    /// by itself through inotify, but at a moment of its own.)
    public func reloadServiceFiles() async throws {
        _ = try await callBusDriver("ReloadConfig")
    }

    private func hasSecretService() async throws -> Bool {
        try await callBusDriver("NameHasOwner", "org.freedesktop.secrets").contains("true")
    }

    /// Calls `method` of the bus daemon itself (org.freedesktop.DBus) through gdbus; returns its reply.
    private func callBusDriver(_ method: String, _ arguments: String...) async throws -> String {
        let reply = try await ChildProcess.run(
            "/usr/bin/gdbus",
            [
                "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
                "--method", "org.freedesktop.DBus." + method,
            ] + arguments,
            environment: environment)
        guard reply.status == 0 else { throw TestSupportError("\(method) failed: \(reply.errors)") }
        return reply.output
    }

    /// Locks the login keyring, as the screen locker or Seahorse would.
    public func lockKeyring() throws {
        try SecretServiceControl(busAddress: address).lockDefaultCollection()
    }

    /// Unlocks the login keyring with its password, as gnome-keyring's own prompt would.
    public func unlockKeyring() throws {
        guard let keyringPassword else { throw TestSupportError("this bus has no keyring to unlock") }
        try SecretServiceControl(busAddress: address).unlockDefaultCollection(password: keyringPassword)
    }
}
