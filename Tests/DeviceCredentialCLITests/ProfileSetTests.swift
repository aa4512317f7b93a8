import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// `devicecred profile set`, and the mistakes it fixes: number matching the profile does not know about.
@Suite struct ProfileSetTests {
    @Test func anApprovalTheServerRefusesSaysWhatToChangeAndProfileSetFixesIt() async throws {
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        defer { server.stop() }
        let sandbox = try CLISandbox(server: server.api)
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("nm-unknown")
        // Enrolled without --number-matching, for an action that uses it.
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")

        let refused = try await server.api.pushChallenge(userID: user)
        let approve = try await sandbox.run("approve", refused.challengeID, "--profile", profile, "--json")
        #expect(approve.status == 9, "\(approve)")
        #expect(try approve.errorCode() == "not_verified")
        #expect(approve.stderr.contains("refused"), "\(approve)")
        #expect(
            approve.stderr.contains("devicecred profile set --number-matching on --profile \(profile)"), "\(approve)")
        #expect(try await server.api.poll(refused) == .init(isVerified: false, isConsumed: true))

        let set = try await sandbox.run("profile", "set", "--number-matching", "on", "--profile", profile, "--json")
        #expect(set.status == 0, "\(set)")
        #expect(try set.jsonObject()["numberMatching"] as? Bool == true)
        #expect(try set.jsonObject()["name"] as? String == profile)
        let listed = try await sandbox.run("profiles", "--json")
        #expect((try listed.json() as? [[String: Any]])?.first?["numberMatching"] as? Bool == true)

        let push = try await server.api.pushChallenge(userID: user)
        let noCode = try await sandbox.run("approve", push.challengeID, "--profile", profile, "--json")
        #expect(noCode.status == 2, "number matching is on now: no approval without a code: \(noCode)")
        #expect(try noCode.errorCode() == "verification_code_required", "\(noCode)")
        let approved = try await sandbox.run(
            "approve", push.challengeID, "--code", try #require(push.verificationCode), "--profile", profile)
        #expect(approved.status == 0, "\(approved)")
        #expect(try await server.api.poll(push).isVerified)
    }

    @Test func theDeviceNameAndNumberMatchingChangeAndNothingElse() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("settings")
        let enrolled = try await sandbox.enroll(
            userID: TestEnvironment.uniqueName("cli-user"), profile: profile, extra: ["--number-matching"]
        ).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let before = try #require((try await sandbox.run("profiles", "--json").json() as? [[String: Any]])?.first)

        let human = try await sandbox.run(
            "profile", "set", "--profile", profile, "--number-matching", "off", "--device-name", "Build box")
        #expect(human.status == 0, "\(human)")
        #expect(human.stdout.contains("number matching: off"), "\(human)")
        let after = try #require((try await sandbox.run("profiles", "--json").json() as? [[String: Any]])?.first)
        #expect(after["numberMatching"] as? Bool == false)
        #expect(after["deviceName"] as? String == "Build box")
        for key in ["apiUrl", "tenantId", "keyStore", "keyKind", "userId", "userAuthenticatorId"] {
            #expect(after[key] as? String == before[key] as? String, "\(key)")
        }
        let status = try await sandbox.run("status", "--profile", profile)
        #expect(status.status == 0, "the key and the credential are untouched: \(status)")
    }

    @Test func mistakesExitWithTheDocumentedStatus() async throws {
        let sandbox = try CLISandbox()
        let nothing = try await sandbox.run("profile", "set", "--profile", "whatever", "--json")
        #expect(nothing.status == 2, "\(nothing)")
        #expect(nothing.stderr.contains("nothing to change"), "\(nothing)")
        let bogus = try await sandbox.run("profile", "set", "--number-matching", "maybe")
        #expect(bogus.status == 2, "\(bogus)")
        let missing = try await sandbox.run(
            "profile", "set", "--profile", "absent", "--number-matching", "on", "--json")
        #expect(missing.status == 3, "\(missing)")
        #expect(try missing.errorCode() == "not_enrolled")
    }
}

/// Enrollment reads the credential back with the profile's own settings before it keeps anything.
@Suite struct EnrollmentCheckTests {
    @Test(arguments: ["secret-service", "file"])
    func aWrongTenantIDIsRefusedAndLeavesNothingBehind(keyStore: String) async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("wrong-tenant")
        let user = TestEnvironment.uniqueName("cli-user")
        let token = try await sandbox.server.track(userID: user).token
        let file = try sandbox.writeFile(TestEnvironment.uniqueName("token"), token + "\n", mode: 0o600)
        let result = try await sandbox.run(
            "enroll", "--token-file", file, "--profile", profile, "--key-store", keyStore, "--api-url",
            sandbox.server.apiURL, "--tenant-id", "not-the-tenant", "--json")
        #expect(result.status == 12, "\(result)")
        #expect(try result.errorCode() == "enrollment_not_confirmed")
        #expect(result.stderr.contains("--tenant-id"), "\(result)")
        #expect(!result.allOutput.contains(token))
        let profiles = try await sandbox.run("profiles", "--json")
        #expect((try profiles.json() as? [Any])?.isEmpty == true, "\(profiles)")

        // No key left in the store this run created it in.
        let key =
            keyStore == "file"
            ? try FileKeyStore(directory: sandbox.directory.appendingPathComponent("data/devicecred/keys").path)
                .loadKey(profile: profile)
            : try SecretServiceKeyStore().loadKey(profile: profile)
        #expect(key == nil, "the new key was deleted")
        // The server did register the credential: the message names it for the backend to delete.
        let ids = try await sandbox.server.authenticatorIDs(userID: user)
        #expect(ids.count == 1)
        #expect(result.stderr.contains(try #require(ids.first)), "\(result)")
    }
}
