import DeviceCredentialTestSupport
import Foundation

/// A private session bus for one notification test, with the fixture notification server
/// (Fixtures/notification-server.py) on it when asked: it records every call as a JSON line and clicks
/// like a person. The bus has no service activation unless given a service directory, so "no
/// notification server" means none.
final class NotificationDesktop: @unchecked Sendable {
    let bus: PrivateSessionBus
    let log: String
    private(set) var server: ChildProcess?

    deinit { server?.stop() }

    init(home: TestHome, serviceDirectories: [String] = []) async throws {
        bus = try await PrivateSessionBus(serviceDirectories: serviceDirectories)
        log = home.root + "/notifications.jsonl"
    }

    var address: String { bus.address }

    /// The fixture's command line, for starting it here or from a D-Bus service file.
    func serverArguments(answer: String, markup: Bool = false, actions: Bool = true) -> [String] {
        [Fixtures.directory.appendingPathComponent("notification-server.py").path, "--log", log, "--answer", answer]
            + (markup ? ["--markup"] : []) + (actions ? [] : ["--no-actions"])
    }

    /// Starts the fixture server (a new one numbers its notifications from 1 again, as a restarted
    /// notification daemon does); returns once it owns the name.
    func startServer(answer: String, markup: Bool = false, actions: Bool = true) async throws {
        // ChildProcess, not Process: a daemon started by Process could hold other tests' pipes open.
        let server = try ChildProcess(
            "/usr/bin/python3", serverArguments(answer: answer, markup: markup, actions: actions),
            environment: ProcessInfo.processInfo.environment.merging(bus.environment) { $1 }, standardOutput: .pipe,
            standardError: .file(log + ".stderr"))
        do {
            _ = try await server.waitForLine(containing: "ready")
        } catch {
            server.stop()
            throw error
        }
        self.server = server
    }

    /// Kills the fixture server and returns once it is gone (its name released on the bus).
    func killServer() async throws {
        guard let server else { return }
        await Task.detached { server.stop() }.value
        self.server = nil
    }

    /// Every call the fixture recorded, in order.
    func calls() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// The Notify calls, in order.
    func shown() throws -> [[String: Any]] {
        try calls().filter { $0["call"] as? String == "Notify" }
    }

    /// Whether the fixture was asked to close notification `id`.
    func wasClosed(_ id: Int) throws -> Bool {
        try calls().contains { $0["call"] as? String == "CloseNotification" && $0["id"] as? Int == id }
    }

    /// The fixture server clicks `key` on notification `id`, as a person would.
    func click(_ id: Int, _ key: String) async throws {
        try await run(
            "/usr/bin/gdbus",
            [
                "call", "--session", "--dest", "org.freedesktop.Notifications", "--object-path",
                "/org/freedesktop/Notifications", "--method", "org.devicecred.TestNotifications.Click", "uint32 \(id)",
                "'\(key)'",
            ])
    }

    /// Another process on the bus forges the server's clicks of `key` on ids 1...count (see the script);
    /// returns once the bus has routed them all.
    func spoof(_ key: String, count: Int = 8) async throws {
        try await run(
            "/usr/bin/python3",
            [
                Fixtures.directory.appendingPathComponent("spoof-notification-signals.py").path, "--count", "\(count)",
                "--key", key,
            ])
    }

    /// Runs a short command on this bus (through ChildProcess: no other test's pipe leaks into it).
    private func run(_ executable: String, _ arguments: [String]) async throws {
        let result = try await ChildProcess.run(
            executable, arguments, environment: ProcessInfo.processInfo.environment.merging(bus.environment) { $1 })
        guard result.status == 0 else {
            throw TestFailure(
                "\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.errors)")
        }
    }
}
