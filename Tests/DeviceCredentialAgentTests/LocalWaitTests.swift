import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent never gives up on a profile for something on this machine that can change (a keyring
/// locked since its daemon started, a Secret Service or session bus that is gone for a while): it says
/// once that it waits, and answers by itself once things are back.
@Suite("devicecred-agent waits for the keyring and the bus")
struct LocalWaitTests {
    let home: TestHome

    init() throws {
        home = try TestHome()
    }

    /// Enrolls a profile through `devicecred enroll` into the keyring of `bus`, as a user's key gets there.
    private func enroll(on bus: PrivateSessionBus, backend: ServerAPI, profile: String) async throws -> String {
        let userID = "agent-user-" + UUID().uuidString.lowercased()
        let token = try await backend.track(userID: userID, action: "enroll").token
        let tokenFile = home.root + "/token"
        FileManager.default.createFile(
            atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        let enroll = try await RunningProcess(
            try TestBinaries.path("devicecred"),
            [
                "enroll", "--token-file", tokenFile, "--api-url", backend.apiURL, "--tenant-id", backend.tenantID,
                "--profile", profile, "--device-name", "agent test",
            ],
            environment: home.environment(extra: bus.environment))
        #expect(try await enroll.waitForExit() == 0, "\(enroll.stderr.lines)")
        return userID
    }

    private func approvingAgent(on bus: PrivateSessionBus) async throws -> RunningProcess {
        try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", "0.2", "--log-level", "debug"],
            home: home, environment: bus.environment)
    }

    @Test("keyring locked since gnome-keyring started: the agent waits, then answers after the unlock")
    func lockedSinceStart() async throws {
        let backend = try TestServices.server()
        let bus = try await PrivateSessionBus(keyringPassword: "agent-locked-at-start")
        defer { bus.stop() }
        let userID = try await enroll(on: bus, backend: backend, profile: "locked-at-start")
        try await bus.stopKeyring()
        try await bus.startKeyring(unlocked: false)

        let agent = try await approvingAgent(on: bus)
        try await agent.stderr.waitForLine(containing: "keyring locked; waiting for it to be unlocked")
        let push = try await backend.pushChallenge(userID: userID)
        let stillLocked = agent.stderr.lines.count
        try await agent.stderr.waitForLine(containing: "outcome=keyring_locked", from: stillLocked)
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))

        try bus.unlockKeyring()
        try await agent.stderr.waitForLine(containing: "polling works again")
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
        let lines = agent.stderr.lines
        #expect(lines.count { $0.contains("keyring locked; waiting") } == 1)
        #expect(!lines.contains { $0.contains("no longer polling") })
    }

    @Test("Secret Service gone for a while: the agent waits, then answers once it is back")
    func secretServiceRestarted() async throws {
        let backend = try TestServices.server()
        let bus = try await PrivateSessionBus(keyringPassword: "agent-keyring-restart")
        defer { bus.stop() }
        let userID = try await enroll(on: bus, backend: backend, profile: "keyring-restart")
        let agent = try await approvingAgent(on: bus)
        try await agent.stderr.waitForLine(containing: "outcome=idle")

        try await bus.stopKeyring()
        try await agent.stderr.waitForLine(containing: "no Secret Service on the session bus; waiting")
        let gone = agent.stderr.lines.count
        try await agent.stderr.waitForLine(containing: "outcome=keyring_unavailable", from: gone)
        #expect(agent.isRunning)

        try await bus.startKeyring(unlocked: true)
        try await agent.stderr.waitForLine(containing: "polling works again", from: gone)
        let push = try await backend.pushChallenge(userID: userID)
        try await agent.stderr.waitForLine(containing: "challenge approved", from: gone)
        #expect(try await backend.poll(push).isVerified)
        let lines = agent.stderr.lines
        #expect(lines.count { $0.contains("no Secret Service on the session bus; waiting") } == 1)
        #expect(!lines.contains { $0.contains("no longer polling") })
    }

    /// GLib's session-bus lookup ends in autolaunch: with DISPLAY on a live X server and no bus it ran
    /// dbus-launch, whose dbus-daemon outlived the agent.
    @Test("no session bus: said plainly, nothing autolaunched, the agent keeps waiting")
    func noSessionBus() async throws {
        let display = try await PrivateXServer()
        defer { display.stop() }
        let profile = try DeviceProfile(
            name: "no-bus", apiURL: try TestServices.server().apiURL, tenantID: try TestServices.server().tenantID,
            keyStore: .secretService)
        try home.profileStore.save(profile)
        let marker = MarkedProcesses.marker()
        var environment = home.environment(extra: ["DISPLAY": display.display, marker.name: marker.value])
        environment["DBUS_SESSION_BUS_ADDRESS"] = nil

        let waiting = try await RunningProcess(
            try TestBinaries.path("devicecred-agent"),
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", "0.2", "--log-level", "debug"],
            environment: environment)
        try await waiting.stderr.waitForLine(containing: "no D-Bus session bus; waiting for it to start")
        let mark = waiting.stderr.lines.count
        try await waiting.stderr.waitForLine(containing: "outcome=dbus_unavailable", from: mark)
        waiting.signal(SIGTERM)
        #expect(try await waiting.waitForExit() == 0)
        #expect(waiting.stderr.lines.count { $0.contains("no D-Bus session bus; waiting") } == 1)

        let notifying = try await RunningProcess(
            try TestBinaries.path("devicecred-agent"), ["--prompt", "notification"], environment: environment)
        #expect(try await notifying.waitForExit() != 0)
        #expect(notifying.stderr.lines.contains { $0.contains("no session bus") }, "\(notifying.stderr.lines)")
        #expect(MarkedProcesses.find(marker) == [], "processes the agent left behind")
    }

    @Test("number matching the profile does not know about: the refusal is an error naming the fix")
    func unknownNumberMatching() async throws {
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        defer { server.stop() }
        let backend = server.api
        let device = try await TestDevice.enroll(in: home, backend: backend, numberMatching: false)
        // Prints the code once the test wrote it (after the push that makes it), and approves.
        let codeFile = home.root + "/code"
        let command = "while [ ! -s '\(codeFile)' ]; do sleep 0.05; done; cat '\(codeFile)'"
        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", command, "--interval", "0.2", "--log-level", "debug"],
            home: home)
        let refused = try await backend.pushChallenge(userID: device.userID)
        try Data("00".utf8).write(to: URL(fileURLWithPath: codeFile), options: .atomic)
        let error = try await agent.stderr.waitForLine(containing: "the server refused the approval (isVerified=false)")
        #expect(error.contains("error"), "logged as an error: \(error)")
        #expect(error.contains("devicecred profile set --number-matching on --profile \(device.profile.name)"))
        #expect(!agent.stderr.lines.contains { $0.contains("challenge approved") })
        #expect(try await backend.poll(refused) == .init(isVerified: false, isConsumed: true))

        try FileManager.default.removeItem(atPath: codeFile)
        let mark = agent.stderr.lines.count
        let set = try await RunningProcess(
            try TestBinaries.path("devicecred"),
            ["profile", "set", "--number-matching", "on", "--profile", device.profile.name],
            environment: home.environment())
        #expect(try await set.waitForExit() == 0, "\(set.stderr.lines)")
        try await agent.stderr.waitForLine(containing: "polling profile", from: mark)
        let push = try await backend.pushChallenge(userID: device.userID)
        try Data(try #require(push.verificationCode).utf8).write(to: URL(fileURLWithPath: codeFile), options: .atomic)
        try await agent.stderr.waitForLine(containing: "challenge approved", from: mark)
        #expect(try await backend.poll(push).isVerified)
    }
}
