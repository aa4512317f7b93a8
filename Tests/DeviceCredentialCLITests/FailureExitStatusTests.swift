import DeviceCredentialTestSupport
import Foundation
import Testing

/// Each documented failure has its own exit status and `--json` error code.
@Suite struct FailureExitStatusTests {
    /// A well-formed challenge id that no server knows.
    static let someID = "01e8189d-272a-49ee-9409-e160ecec881a"

    @Test func everyProfileCommandOnAnUnknownProfileExitsNotEnrolled() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("nobody")
        for command in [
            ["status"], ["challenge"], ["approve"], ["approve", Self.someID, "--code", "12"], ["deny"], ["refresh"],
            ["remove"],
        ] {
            let human = try await sandbox.run(command + ["--profile", profile])
            #expect(human.status == 3, "\(command): \(human)")
            #expect(human.stderr.hasPrefix("devicecred: the profile '\(profile)' is not enrolled on this machine"))
            #expect(human.stdout.isEmpty)
            let json = try await sandbox.run(command + ["--profile", profile, "--json"])
            #expect(json.status == 3, "\(command): \(json)")
            #expect(try json.errorCode() == "not_enrolled")
        }
    }

    @Test func aCredentialDeletedOnTheServerExitsRevoked() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("revoked")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let id = try #require(try await sandbox.server.authenticatorIDs(userID: user).first)
        try await sandbox.server.deleteAuthenticator(userID: user, id: id)

        for command in [["status"], ["challenge"], ["approve", Self.someID], ["deny", Self.someID], ["refresh"]] {
            let result = try await sandbox.run(command + ["--profile", profile, "--json"])
            #expect(result.status == 4, "\(command): \(result)")
            #expect(try result.errorCode() == "invalid_credential")
            #expect(result.stderr.contains("enroll again"))
        }
        // The local key is still there: status prints what it knows before the server's verdict.
        let human = try await sandbox.run("status", "--profile", profile)
        #expect(human.status == 4, "\(human)")
        #expect(human.stdout.contains("fingerprint  SHA256:"))
        // remove tidies up locally: the server had already forgotten the credential.
        let removed = try await sandbox.run("remove", "--profile", profile, "--json")
        #expect(removed.status == 0, "\(removed)")
        #expect(try removed.jsonObject()["removedAuthenticatorId"] is NSNull)
        #expect(try await sandbox.run("status", "--profile", profile).status == 3)
    }

    @Test func aProfileWhoseKeyWasDeletedFromTheKeyringIsNotEnrolled() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("keyless")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let cleared = try await ProcessRunner.run(
            "/usr/bin/secret-tool", ["clear", "profile", profile], environment: sandbox.environment)
        try #require(cleared.status == 0, "\(cleared)")

        let status = try await sandbox.run("status", "--profile", profile, "--json")
        #expect(status.status == 3, "\(status)")
        #expect(try status.errorCode() == "not_enrolled")
        #expect(status.stderr.contains("has no key in its secret-service store"))
        // remove can only drop the settings; it says the server may still list the authenticator.
        let removed = try await sandbox.run("remove", "--profile", profile)
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stdout.contains("it had no key in its store"))
        #expect(try await sandbox.run("profiles", "--json").stdout == "[]\n")
    }

    @Test func removeDeletesTheCredentialTheKeyAndTheProfile() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("remove")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let id = try #require(try await sandbox.server.authenticatorIDs(userID: user).first)
        let removed = try await sandbox.run("remove", "--profile", profile)
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stdout == "removed profile '\(profile)' (authenticator \(id) removed on the server)\n")
        #expect(try await sandbox.server.authenticatorIDs(userID: user).isEmpty)
        #expect(try await sandbox.run("profiles", "--json").stdout == "[]\n")
        let lookup = try await ProcessRunner.run(
            "/usr/bin/secret-tool", ["lookup", "profile", profile], environment: sandbox.environment)
        #expect(lookup.stdout.isEmpty, "the key is gone from the keyring")
        #expect(try await sandbox.run("remove", "--profile", profile).status == 3)
    }

    @Test func anUnreachableServerExitsWithTheNetworkStatus() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("offline")
        let token = try await sandbox.server.track(userID: user).token
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let closed = ["--api-url", "http://127.0.0.1:1/v1", "--tenant-id", sandbox.server.tenantID]
        let enroll = try await sandbox.run(
            ["enroll", "--token", "-", "--profile", profile, "--key-store", "file", "--json"] + closed,
            standardInput: token)
        #expect(enroll.status == 6, "\(enroll)")
        #expect(try enroll.errorCode() == "network_error")
        #expect(!enroll.allOutput.contains(token))
        #expect(try await sandbox.run("status", "--profile", profile).status == 3, "nothing was saved")

        // An enrolled profile whose server is unreachable for this run (--api-url overrides, unsaved).
        let enrolled = try await sandbox.enroll(userID: user, profile: profile, extra: ["--key-store", "file"]).result
        try #require(enrolled.status == 0, "\(enrolled)")
        for command in [["status"], ["challenge"], ["approve", Self.someID], ["remove"]] {
            let result = try await sandbox.run(command + ["--profile", profile, "--api-url", "http://127.0.0.1:1/v1"])
            #expect(result.status == 6, "\(command): \(result)")
            #expect(result.stderr.hasPrefix("devicecred: the server refused the connection"))
            #expect(result.stderr.contains("API URL http://127.0.0.1:1/v1"), "the message names the server")
        }
        #expect(try await sandbox.run("status", "--profile", profile).status == 0, "the failed remove kept everything")
    }

    @Test func noSessionBusExitsWithTheKeyringStatus() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("nobus")
        let missingBus = ["DBUS_SESSION_BUS_ADDRESS": "unix:path=\(sandbox.directory.path)/no-such-bus"]
        let (token, enroll) = try await sandbox.enroll(
            userID: user, profile: profile, extra: ["--json"], environment: missingBus)
        #expect(enroll.status == 5, "\(enroll)")
        #expect(try enroll.errorCode() == "dbus_unavailable")
        #expect(enroll.stderr.contains("--key-store file"))
        #expect(!enroll.allOutput.contains(token))

        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        for command in [["status"], ["challenge"], ["approve"], ["deny"], ["remove"]] {
            let result = try await sandbox.run(command + ["--profile", profile, "--json"], environment: missingBus)
            #expect(result.status == 5, "\(command): \(result)")
            #expect(try result.errorCode() == "dbus_unavailable")
        }
        // Profiles need no keyring.
        #expect(try await sandbox.run(["profiles"], environment: missingBus).status == 0)
        #expect(try await sandbox.run("status", "--profile", profile).status == 0, "nothing was lost")
    }

    @Test func aBusWithoutASecretServiceExitsWithTheKeyringStatus() async throws {
        let bus = try await PrivateSessionBus()
        defer { bus.stop() }
        let sandbox = try CLISandbox()
        let (token, result) = try await sandbox.enroll(
            userID: TestEnvironment.uniqueName("cli-user"), profile: TestEnvironment.uniqueName("nokeyring"),
            extra: ["--json"], environment: bus.environment)
        #expect(result.status == 5, "\(result)")
        #expect(try result.errorCode() == "keyring_unavailable")
        #expect(!result.allOutput.contains(token))
    }

    @Test func aLockedKeyringExitsWithTheKeyringStatusAndIsNeverNotEnrolled() async throws {
        let bus = try await PrivateSessionBus(keyringPassword: "private-test-keyring")
        defer { bus.stop() }
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("locked")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile, environment: bus.environment).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let unlocked = try await sandbox.run(["status", "--profile", profile], environment: bus.environment)
        try #require(unlocked.status == 0, "\(unlocked)")

        try bus.lockKeyring()
        for command in [["status"], ["challenge"], ["approve"], ["deny"], ["remove"]] {
            let result = try await sandbox.run(
                command + ["--profile", profile, "--json"], environment: bus.environment)
            #expect(result.status == 5, "\(command): \(result)")
            #expect(try result.errorCode() == "keyring_locked")
            #expect(result.stderr.contains("unlock"))
            #expect(result.stderr.components(separatedBy: "unlock").count == 2, "the advice is said once: \(result)")
        }
        let profiles = try await sandbox.run(["profiles", "--json"], environment: bus.environment)
        #expect((try profiles.json() as? [[String: Any]])?.first?["name"] as? String == profile)
        #expect(try await sandbox.server.authenticatorIDs(userID: user).count == 1, "remove sent nothing")
    }
}
