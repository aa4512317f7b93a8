import DeviceCredentialTestSupport
import Foundation

/// Calls the agent's D-Bus API as an app would, with real clients no one here wrote: `gdbus` (GLib's)
/// and `busctl` (systemd's), on a private session bus.
struct AgentBusClient {
    let bus: PrivateSessionBus
    static let destination = [
        "--dest", "io.github.DeviceCredential.Agent", "--object-path", "/io/github/DeviceCredential/Agent",
    ]

    struct CallResult {
        var status: Int32
        var output: String
        var errors: String
    }

    /// `gdbus call` of `method` of io.github.DeviceCredential.Agent1 with GVariant-text arguments.
    func call(_ method: String, _ arguments: String...) async throws -> CallResult {
        let result = try await ChildProcess.run(
            "/usr/bin/gdbus",
            ["call", "--address", bus.address] + Self.destination
                + ["--method", "io.github.DeviceCredential.Agent1.\(method)"] + arguments)
        return CallResult(status: result.status, output: result.output, errors: result.errors)
    }

    /// Like ``call(_:_:)``, throwing when the call fails.
    @discardableResult
    func succeed(_ method: String, _ arguments: String...) async throws -> String {
        let result = try await ChildProcess.run(
            "/usr/bin/gdbus",
            ["call", "--address", bus.address] + Self.destination
                + ["--method", "io.github.DeviceCredential.Agent1.\(method)"] + arguments)
        guard result.status == 0 else { throw TestFailure("\(method) failed: \(result.errors)") }
        return result.output
    }

    /// The process that owns the agent's name (for ending one that D-Bus activation started).
    func agentProcessID() async throws -> pid_t {
        let result = try await ChildProcess.run(
            "/usr/bin/gdbus",
            [
                "call", "--address", bus.address, "--dest", "org.freedesktop.DBus", "--object-path",
                "/org/freedesktop/DBus",
                "--method", "org.freedesktop.DBus.GetConnectionUnixProcessID", "io.github.DeviceCredential.Agent",
            ])
        // "(uint32 1234,)": the last number is the pid (the first is the type's 32).
        guard result.status == 0, let number = result.output.split(whereSeparator: { !$0.isNumber }).last,
            let pid = pid_t(number)
        else { throw TestFailure("no process owns the agent's name: \(result.errors)") }
        return pid
    }

    /// Returns once no process owns the agent's name (bounded).
    func waitUntilAgentLeaves(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let result = try await ChildProcess.run(
                "/usr/bin/gdbus",
                [
                    "call", "--address", bus.address, "--dest", "org.freedesktop.DBus", "--object-path",
                    "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.NameHasOwner",
                    "io.github.DeviceCredential.Agent",
                ])
            if result.output.contains("false") { return }
            guard ContinuousClock.now < deadline else { throw TestFailure("the agent did not leave the bus") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `busctl introspect` of the agent's object.
    func introspect() async throws -> String {
        let result = try await ChildProcess.run(
            "/usr/bin/busctl",
            [
                "--address=\(bus.address)", "introspect", "io.github.DeviceCredential.Agent",
                "/io/github/DeviceCredential/Agent",
            ])
        guard result.status == 0 else { throw TestFailure("busctl introspect failed: \(result.errors)") }
        return result.output
    }

    /// Starts `gdbus monitor` on the agent's name, writing the signals it sees to `file`; returns once it
    /// said it monitors (its match rule is on the bus).
    func monitor(into file: String) async throws -> ChildProcess {
        let monitor = try ChildProcess(
            "/usr/bin/gdbus", ["monitor", "--address", bus.address, "--dest", "io.github.DeviceCredential.Agent"],
            standardOutput: .file(file))
        try await Self.waitFor(file, containing: "Monitoring signals")
        return monitor
    }

    /// Waits until `file` contains `text` (bounded).
    static func waitFor(_ file: String, containing text: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains(text) {
            guard ContinuousClock.now < deadline else { throw TestFailure("'\(text)' did not appear in \(file)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
