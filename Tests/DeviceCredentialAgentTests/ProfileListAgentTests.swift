import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent follows the profile list while it runs: enrolling, removing and re-enrolling need no restart.
@Suite("devicecred-agent follows the profile list")
struct ProfileListAgentTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    private func approvingAgent() async throws -> RunningProcess {
        try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", "0.2", "--log-level", "debug"],
            home: home)
    }

    @Test("a profile enrolled while the agent runs is polled, and its challenge answered")
    func enrolledWhileRunning() async throws {
        let agent = try await approvingAgent()
        defer { agent.stop() }
        try await agent.stderr.waitForLine(containing: "no enrolled profile yet; waiting for one")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        try await agent.stderr.waitForLine(containing: "polling profile")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
    }

    @Test("a profile with QR-code credentials only is not polled, and says so without an error; a push one is")
    func qrCodeOnlyProfile() async throws {
        // A name of its own: the CLI keeps the key in the shared test keyring, where a fixed name would
        // meet the key of an earlier run against the same services, enrolled to another user.
        let qrOnly = "qr-only-" + UUID().uuidString.prefix(8).lowercased()
        _ = try await enrollThroughCLI(
            profile: qrOnly, in: home, backend: backend, extraArguments: ["--namespace", "qr"])
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await approvingAgent()
        defer { agent.stop() }
        try await agent.stderr.waitForLine(containing: "QR-code or in-app credentials only")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
        #expect(!agent.stderr.lines.contains { $0.contains(" error ") && $0.contains(qrOnly) })
    }

    @Test("a removed profile is no longer polled; the others go on")
    func removedWhileRunning() async throws {
        let removed = try await TestDevice.enroll(in: home, backend: backend)
        let kept = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await approvingAgent()
        defer { agent.stop() }
        try await agent.stderr.waitForLine(containing: "profile=\(removed.profile.name)")
        try home.profileStore.remove(named: removed.profile.name)
        let stopped = try await agent.stderr.waitForLine(containing: "stopped polling it")
        #expect(stopped.contains(removed.profile.name))
        let after = agent.stderr.lines.count

        // The kept profile is polled three more times; the removed one never again.
        var mark = after
        for _ in 0..<3 {
            try await agent.stderr.waitForLine(containing: "profile=\(kept.profile.name)", from: mark)
            mark = agent.stderr.lines.count
        }
        #expect(agent.stderr.lines.dropFirst(after).allSatisfy { !$0.contains("profile=\(removed.profile.name)") })
    }

    @Test("a revoked profile stays quiet when another profile is enrolled")
    func revokedStaysQuiet() async throws {
        let revoked = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await approvingAgent()
        defer { agent.stop() }
        try await agent.stderr.waitForLine(containing: "polling profile")
        try await backend.deleteAuthenticators(userID: revoked.userID)
        try await agent.stderr.waitForLine(containing: "credential revoked on the server")
        let after = agent.stderr.lines.count

        let other = try await TestDevice.enroll(in: home, backend: backend)
        var mark = after
        for _ in 0..<3 {
            try await agent.stderr.waitForLine(containing: "profile=\(other.profile.name)", from: mark)
            mark = agent.stderr.lines.count
        }
        #expect(agent.stderr.lines.dropFirst(after).allSatisfy { !$0.contains("profile=\(revoked.profile.name)") })
    }

    @Test("the profile directory deleted while the agent runs is followed again")
    func directoryDeletedAndCreatedAgain() async throws {
        let agent = try await approvingAgent()
        defer { agent.stop() }
        try await agent.stderr.waitForLine(containing: "no enrolled profile yet; waiting for one")
        try FileManager.default.removeItem(atPath: home.profileStore.directory)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        try await agent.stderr.waitForLine(containing: "polling profile")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
    }

    @Test("a profile revoked on the server and enrolled again is polled again")
    func reenrolledAfterRevocation() async throws {
        let first = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await approvingAgent()
        defer { agent.stop() }
        try await agent.stderr.waitForLine(containing: "polling profile")
        try await backend.deleteAuthenticators(userID: first.userID)
        try await agent.stderr.waitForLine(containing: "credential revoked on the server")
        let mark = agent.stderr.lines.count

        let again = try await TestDevice.enroll(in: home, backend: backend, name: first.profile.name)
        try await agent.stderr.waitForLine(containing: "polling profile", from: mark)
        let push = try await backend.pushChallenge(userID: again.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved", from: mark)
        #expect(try await backend.poll(push).isVerified)
    }
}
