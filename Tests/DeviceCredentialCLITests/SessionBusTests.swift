import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The keyring and the session bus as a new user meets them: a keyring gnome-keyring loaded locked at
/// start (boot with a lingering user unit, an SSH login), and no session bus at all.
@Suite struct SessionBusTests {
    /// gnome-keyring shows the items of a keyring loaded locked from disk with its generic schema until
    /// it is unlocked; a search by schema found nothing there, and status said "not enrolled" (exit 3).
    @Test func aKeyringLockedSinceTheDaemonStartedExitsWithTheKeyringStatus() async throws {
        let bus = try await PrivateSessionBus(keyringPassword: "locked-at-start")
        defer { bus.stop() }
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("locked-at-start")
        let enrolled = try await sandbox.enroll(
            userID: TestEnvironment.uniqueName("cli-user"), profile: profile, environment: bus.environment
        ).result
        try #require(enrolled.status == 0, "\(enrolled)")

        try await bus.stopKeyring()
        try await bus.startKeyring(unlocked: false)
        for command in [["status"], ["challenge"], ["approve"], ["deny"], ["remove"]] {
            let result = try await sandbox.run(
                command + ["--profile", profile, "--json"], environment: bus.environment)
            #expect(result.status == 5, "\(command): \(result)")
            #expect(try result.errorCode() == "keyring_locked", "\(command)")
            #expect(result.stderr.contains("locked") && result.stderr.contains("unlock"), "\(command): \(result)")
        }

        try bus.unlockKeyring()
        let unlocked = try await sandbox.run(["status", "--profile", profile], environment: bus.environment)
        #expect(unlocked.status == 0, "\(unlocked)")
    }

    /// GLib's session-bus lookup ends in autolaunch: with DISPLAY on a live X server and no bus, it ran
    /// dbus-launch, whose dbus-daemon (and the gnome-keyring-daemon it activated) outlived the command.
    @Test func noSessionBusIsSaidAndNothingIsAutolaunched() async throws {
        let display = try await PrivateXServer()
        defer { display.stop() }
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("no-bus")
        try sandbox.saveSecretServiceProfile(profile)
        let marker = MarkedProcesses.marker()
        let runtime = sandbox.directory.appendingPathComponent("run").path
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        sandbox.environment["DBUS_SESSION_BUS_ADDRESS"] = nil
        sandbox.environment.merge(["DISPLAY": display.display, "XDG_RUNTIME_DIR": runtime, marker.name: marker.value]) {
            $1
        }

        let result = try await sandbox.run(["status", "--profile", profile, "--json"])
        #expect(result.status == 5, "\(result)")
        #expect(try result.errorCode() == "dbus_unavailable")
        #expect(result.stderr.contains("no session bus"), "\(result)")
        #expect(MarkedProcesses.find(marker) == [], "processes the command left behind")
    }
}

extension CLISandbox {
    /// Saves a profile whose key would be in the Secret Service, without enrolling (no bus needed).
    func saveSecretServiceProfile(_ name: String) throws {
        let store = ProfileStore(directory: directory.appendingPathComponent("config/devicecred").path)
        try store.save(
            try DeviceProfile(name: name, apiURL: server.apiURL, tenantID: server.tenantID, keyStore: .secretService))
    }
}
