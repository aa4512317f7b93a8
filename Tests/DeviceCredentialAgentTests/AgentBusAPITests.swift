import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredentialAgent

/// The agent's D-Bus API (io.github.DeviceCredential.Agent1), driven by gdbus and busctl against the real
/// agent binary on a private session bus, and the real devicecred-server.
@Suite("devicecred-agent D-Bus API")
struct AgentBusAPITests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    /// An agent whose own prompt stays open (a command that waits), so only the API answers.
    private func agent(on bus: PrivateSessionBus, interval: String = "0.2") async throws -> RunningProcess {
        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "sleep 600", "--interval", interval, "--log-level", "debug"],
            home: home, environment: bus.environment)
        try await agent.stderr.waitForLine(containing: "D-Bus API offered")
        return agent
    }

    @Test(
        "ListChallenges shows the open challenge with its context; Approve over D-Bus approves it and ends the prompt")
    func approveOverTheBus() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let signals = home.root + "/signals"
        let monitor = try await client.monitor(into: signals)
        defer { monitor.stop() }
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge received")

        let listed = try await client.succeed("ListChallenges")
        #expect(listed.contains("'challengeId': <'\(push.challengeID)'>"))
        #expect(listed.contains("'actionCode': <'signIn'>"))
        #expect(listed.contains("'profile': <'\(device.profile.name)'>"))
        #expect(listed.contains("'needsVerificationCode': <false>"))

        try await client.succeed("Approve", push.challengeID, "")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        try await agent.stderr.waitForLine(containing: "challenge approved")
        try await AgentBusClient.waitFor(signals, containing: "ChallengeResolved ('\(push.challengeID)'")
        let seen = try String(contentsOfFile: signals, encoding: .utf8)
        #expect(seen.contains("ChallengeReceived"))
        #expect(seen.contains("'\(device.profile.name)', 'approved')"))
        #expect(try await client.succeed("ListChallenges").contains("@aa{sv} []"))
    }

    @Test("Deny over D-Bus denies: the browser sees it consumed, not verified")
    func denyOverTheBus() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge received")
        try await client.succeed("Deny", push.challengeID)
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
    }

    @Test("an unknown or already answered challenge is the named error ChallengeGone; a wrong signature is InvalidArgs")
    func errorsAreNamed() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let unknown = try await client.call("Approve", "no-such-challenge", "")
        #expect(unknown.status != 0)
        #expect(unknown.errors.contains("io.github.DeviceCredential.Agent1.Error.ChallengeGone"))

        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge received")
        try await client.succeed("Deny", push.challengeID)
        let again = try await client.call("Approve", push.challengeID, "")
        #expect(again.errors.contains("io.github.DeviceCredential.Agent1.Error.ChallengeGone"))
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))

        // gdbus checks arguments against the introspection; busctl sends what it is told.
        let wrong = try await ChildProcess.run(
            "/usr/bin/busctl",
            [
                "--address=\(bus.address)", "call", "io.github.DeviceCredential.Agent",
                "/io/github/DeviceCredential/Agent",
                "io.github.DeviceCredential.Agent1", "Approve", "s", "only-one",
            ])
        #expect(wrong.status != 0)
        #expect(wrong.errors.contains("Approve takes (ss)"))
    }

    @Test(
        "a number-matched challenge approved without its code is WrongCode and stays pending; with the code it is approved"
    )
    func numberMatchingOverTheBus() async throws {
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        defer { server.stop() }
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: server.api, numberMatching: true)
        let agent = try await agent(on: bus)
        let push = try await server.api.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge received")
        #expect(try await client.succeed("ListChallenges").contains("'needsVerificationCode': <true>"))
        let withoutCode = try await client.call("Approve", push.challengeID, "")
        #expect(withoutCode.errors.contains("io.github.DeviceCredential.Agent1.Error.WrongCode"))
        #expect(try await server.api.poll(push) == .init(isVerified: false, isConsumed: false))
        try await client.succeed("Approve", push.challengeID, try #require(push.verificationCode))
        #expect(try await server.api.poll(push) == .init(isVerified: true, isConsumed: true))
    }

    @Test("an answer the agent cannot sign names why: KeyringLocked when the keyring was locked meanwhile")
    func keyringLockedIsNamed() async throws {
        let keyring = try await PrivateSessionBus(keyringPassword: "agent-api-keyring")
        let client = AgentBusClient(bus: keyring)
        let userID = try await enrollThroughCLI(
            profile: "api-keyring", in: home, backend: backend, environment: keyring.environment)
        let agent = try await agent(on: keyring)
        let push = try await backend.pushChallenge(userID: userID)
        try await agent.stderr.waitForLine(containing: "challenge received")
        try keyring.lockKeyring()
        let approved = try await client.call("Approve", push.challengeID, "")
        #expect(approved.status != 0)
        #expect(approved.errors.contains("io.github.DeviceCredential.Agent1.Error.KeyringLocked"), "\(approved.errors)")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }

    @Test("an answer the agent cannot sign names why: PINFailed when the TPM key's PIN is not given")
    func pinFailedIsNamed() async throws {
        let tpm = try PrivateTPM()
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: "Pin-5521-secret")
        let agent = try await RunningProcess.agent(
            [
                "--prompt", "command", "--prompt-command", "sleep 600", "--pin-prompt", "command", "--pin-command",
                "exit 1", "--interval", "0.2", "--log-level", "debug",
            ],
            home: home, environment: bus.environment.merging(tpm.environment) { $1 })
        try await agent.stderr.waitForLine(containing: "D-Bus API offered")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge received")
        let approved = try await client.call("Approve", push.challengeID, "")
        #expect(approved.status != 0)
        #expect(approved.errors.contains("io.github.DeviceCredential.Agent1.Error.PINFailed"), "\(approved.errors)")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }

    @Test("PollNow: an agent polling hourly fetches a new challenge at once")
    func pollNow() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus, interval: "3600")
        try await agent.stderr.waitForLine(containing: "polled")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await client.succeed("PollNow")
        try await agent.stderr.waitForLine(containing: "challenge received")
        #expect(try await client.succeed("ListChallenges").contains(push.challengeID))
    }

    @Test("ListProfiles gives each profile's state; busctl introspects the interface")
    func profilesAndIntrospection() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        try await agent.stderr.waitForLine(containing: "polled")
        let profiles = try await client.succeed("ListProfiles")
        #expect(profiles.contains("'name': <'\(device.profile.name)'>"))
        #expect(profiles.contains("'state': <'polling'>"))
        #expect(profiles.contains("'keyKind': <'software'>"))
        let introspection = try await client.introspect()
        for member in [
            "ListProfiles", "ListChallenges", "Approve", "Deny", "Report", "PollNow", "ChallengeReceived",
            "ChallengeResolved", "ProfilesChanged", "ShowChallenge", "RegisterPrompter", "UnregisterPrompter",
        ] {
            #expect(introspection.contains(".\(member)"))
        }
    }

    @Test("a hostile browser's text reaches apps as data, and the summary line shows its control characters escaped")
    func hostileTextInTheSummary() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let push = try await backend.pushChallenge(
            userID: device.userID, body: ["userAgent": "Evil\u{1B}[2J\u{1B}]0;owned\u{07}Browser"])
        try await agent.stderr.waitForLine(containing: "challenge received")
        let listed = try await client.succeed("ListChallenges")
        #expect(listed.contains(push.challengeID))
        // gdbus prints strings with GVariant escapes: the raw ESC would be \u001b; the summary holds the
        // terminal rendering's backslash escapes instead (doubled by gdbus's own quoting).
        #expect(listed.contains("'summary': <'signIn"))
        #expect(!listed.contains("'summary': <'signIn on Evil\\u001b"))
    }

    @Test("calling the API starts the agent (D-Bus activation from the installed service file's name)")
    func activation() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let services = home.root + "/dbus-services"
        try FileManager.default.createDirectory(atPath: services, withIntermediateDirectories: true)
        // The installed file, with this test's binary and home: dbus-daemon runs it without systemd.
        let installed = try String(
            contentsOf: Self.sourceFile("Sources/devicecred-agent/dbus/io.github.DeviceCredential.Agent.service"),
            encoding: .utf8)
        let environment = ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME"].map {
            "\($0)=\(home.environment()[$0] ?? "")"
        }
        let exec =
            "Exec=/usr/bin/env \(environment.joined(separator: " ")) \(try TestBinaries.path("devicecred-agent")) "
            + "--prompt command --prompt-command 'sleep 600' --interval 0.2"
        try installed.replacingOccurrences(of: "Exec=/usr/bin/devicecred-agent", with: exec)
            .write(toFile: services + "/io.github.DeviceCredential.Agent.service", atomically: true, encoding: .utf8)
        let bus = try await PrivateSessionBus(serviceDirectories: [services])
        let client = AgentBusClient(bus: bus)
        let profiles = try await client.succeed("ListProfiles")
        let started = try await client.agentProcessID()
        defer { kill(started, SIGTERM) }
        #expect(profiles.contains("@aa{sv}") || profiles.contains(device.profile.name))
        let push = try await backend.pushChallenge(userID: device.userID)
        try await client.succeed("PollNow")
        // The activated agent lists the challenge once its poll brought it in.
        let deadline = ContinuousClock.now + .seconds(30)
        while !(try await client.succeed("ListChallenges")).contains(push.challengeID) {
            guard ContinuousClock.now < deadline else { throw TestFailure("the activated agent never listed it") }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await client.succeed("Approve", push.challengeID, "")
        #expect(try await backend.poll(push).isVerified)
        // The activated agent ends on SIGTERM, as under systemd: its name leaves the bus.
        kill(started, SIGTERM)
        try await client.waitUntilAgentLeaves()
    }

    private static func sourceFile(_ path: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(path)
    }

    @Test("the installed interface XML is the one the agent introspects")
    func installedXMLMatches() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(
                "Sources/devicecred-agent/dbus/io.github.DeviceCredential.Agent1.xml")
        #expect(try String(contentsOf: file, encoding: .utf8) == AgentBusNames.introspectionXML + "\n")
    }
}
