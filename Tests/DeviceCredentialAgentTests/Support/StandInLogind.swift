import DeviceCredentialTestSupport
import Foundation

/// A stand-in for logind, which cannot run in a test: a private bus that the agent takes for its system
/// bus (`DBUS_SYSTEM_BUS_ADDRESS`) with Fixtures/logind-standin.py owning `org.freedesktop.login1`, and
/// the test's hand on the session's lock and on suspend. The agent binary and its GDBus code are real.
final class StandInLogind: @unchecked Sendable {
    let bus: PrivateSessionBus
    private var standIn: ChildProcess?

    /// What the agent needs in its environment to use this bus as its system bus.
    var environment: [String: String] { ["DBUS_SYSTEM_BUS_ADDRESS": bus.address] }

    deinit { standIn?.stop() }

    /// A bus without logind on it, for the agent that must go on without.
    init() async throws {
        bus = try await PrivateSessionBus()
    }

    /// Starts the stand-in with the session in this state; returns once it owns the name.
    func start(locked: Bool = false, active: Bool = true, display: Bool = true) async throws {
        let arguments =
            [Fixtures.directory.appendingPathComponent("logind-standin.py").path, "--address", bus.address]
            + (locked ? ["--locked"] : []) + (active ? [] : ["--inactive"]) + (display ? [] : ["--no-display"])
        let standIn = try ChildProcess("/usr/bin/python3", arguments, standardOutput: .pipe)
        do {
            _ = try await standIn.waitForLine(containing: "ready")
        } catch {
            standIn.stop()
            throw error
        }
        self.standIn = standIn
    }

    /// The screen locker locks or unlocks the session (logind's `LockedHint`, with PropertiesChanged).
    func setLocked(_ locked: Bool) async throws {
        try await control("SetLocked", "\(locked)")
    }

    /// Another session takes the seat, or this one comes back (`Active`).
    func setActive(_ active: Bool) async throws {
        try await control("SetActive", "\(active)")
    }

    /// The machine suspends and resumes: `PrepareForSleep(true)`, then `PrepareForSleep(false)`.
    func sleepAndResume() async throws {
        try await control("Sleep")
    }

    /// Another process on the bus forges logind's unlock and resume signals (Fixtures/forge-logind-signals.py);
    /// returns once the bus has routed them.
    func forgeUnlockAndResume() async throws {
        try await run(
            "/usr/bin/python3",
            [Fixtures.directory.appendingPathComponent("forge-logind-signals.py").path, "--address", bus.address])
    }

    private func control(_ method: String, _ arguments: String...) async throws {
        try await run(
            "/usr/bin/gdbus",
            [
                "call", "--address", bus.address, "--dest", "org.freedesktop.login1", "--object-path",
                "/org/freedesktop/login1", "--method", "org.devicecred.TestLogind.\(method)",
            ] + arguments)
    }

    private func run(_ executable: String, _ arguments: [String]) async throws {
        let result = try await ChildProcess.run(executable, arguments)
        guard result.status == 0 else {
            throw TestFailure(
                "\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.errors)")
        }
    }
}
