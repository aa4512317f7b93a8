import DeviceCredentialTestSupport
import Foundation
import Testing

/// `devicecred enroll` run as a process against devicecred-server and the session's gnome-keyring.
@Suite struct EnrollTests {
    @Test func enrollFromTokenFileSavesTheProfileAndLaterCommandsNeedNoServerOptions() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("enroll")
        let (token, enrolled) = try await sandbox.enroll(userID: user, profile: profile, extra: ["--json"])
        #expect(enrolled.status == 0, "\(enrolled)")
        let document = try enrolled.jsonObject()
        let credential = try #require(document["credential"] as? [String: Any])
        let key = try #require(document["key"] as? [String: Any])
        let saved = try #require(document["profile"] as? [String: Any])
        #expect(credential["userId"] as? String == user)
        #expect(
            try await sandbox.server.authenticatorIDs(userID: user) == [credential["userAuthenticatorId"] as? String])
        #expect(key["kind"] as? String == "software")
        #expect(key["store"] as? String == "secret-service")
        #expect((key["fingerprint"] as? String)?.count == 64)
        #expect(saved["name"] as? String == profile)
        #expect(saved["apiUrl"] as? String == sandbox.server.apiURL)

        // No --api-url or --tenant-id from here on: the profile remembers them.
        let status = try await sandbox.run("status", "--profile", profile, "--json")
        #expect(status.status == 0, "\(status)")
        let statusDocument = try status.jsonObject()
        #expect(NSDictionary(dictionary: statusDocument).isEqual(to: document))
        let human = try await sandbox.run("status", "--profile", profile)
        #expect(human.status == 0, "\(human)")
        #expect(human.stdout.contains("software, in secret-service"))
        #expect(human.stdout.contains("SHA256:\(key["fingerprint"] as? String ?? "?")"))
        #expect(human.stdout.contains("(user \(user))"))
        for output in [enrolled, status, human] { #expect(!output.allOutput.contains(token)) }
    }

    @Test func enrollReadsTheTokenFromStandardInputAndTheServerFromTheEnvironment() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("stdin")
        let token = try await sandbox.server.track(userID: user).token
        let result = try await sandbox.run(
            ["enroll", "--token", "-", "--profile", profile, "--device-name", "build host 7"],
            standardInput: token + "\n",
            environment: [
                "AUTHSIGNAL_API_URL": sandbox.server.apiURL, "AUTHSIGNAL_TENANT_ID": sandbox.server.tenantID,
            ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("enrolled profile '\(profile)' as authenticator "))
        #expect(result.stdout.contains("for user \(user)"))
        #expect(!result.allOutput.contains(token))
        let profiles = try #require(try await sandbox.run("profiles", "--json").json() as? [[String: Any]])
        #expect(profiles.first?["deviceName"] as? String == "build host 7")
        #expect(profiles.first?["apiUrl"] as? String == sandbox.server.apiURL)
    }

    @Test func enrollingTheSameProfileAgainReusesTheKeyAndPrintsTheSameCredential() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("again")
        let first = try await sandbox.enroll(userID: user, profile: profile, extra: ["--json"]).result
        #expect(first.status == 0, "\(first)")
        // The second token comes from a user who is now enrolled (CHALLENGE_REQUIRED): still good for re-enrolling.
        let second = try await sandbox.enroll(userID: user, profile: profile, extra: ["--json"]).result
        #expect(second.status == 0, "\(second)")
        #expect(NSDictionary(dictionary: try first.jsonObject()).isEqual(to: try second.jsonObject()))
        #expect(try await sandbox.server.authenticatorIDs(userID: user).count == 1)
        let third = try await sandbox.enroll(userID: user, profile: profile).result
        #expect(third.status == 0, "\(third)")
        #expect(third.stdout.hasPrefix("already enrolled: profile '\(profile)'"))
    }

    @Test func aTokenFileOthersCanReadIsRefusedBeforeAnythingIsSent() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("perm")
        let token = try await sandbox.server.track(userID: user).token
        let file = try sandbox.writeFile("token", token, mode: 0o644)
        let result = try await sandbox.run(
            ["enroll", "--token-file", file, "--profile", profile, "--json"] + sandbox.serverOptions)
        #expect(result.status == 1, "\(result)")
        #expect(try result.errorCode() == "insecure_token_file")
        #expect(result.stderr.contains("chmod 600"))
        #expect(!result.allOutput.contains(token))
        #expect(try await sandbox.server.authenticatorIDs(userID: user).isEmpty)
        #expect(try await sandbox.run("profiles", "--json").stdout == "[]\n")
    }

    @Test func anExpiredTokenExitsWithTheTokenStatusAndSaysItExpired() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("expired")
        let issued = Int(Date().timeIntervalSince1970) - 3600
        let token = try await ForgedToken.make(
            secretKey: sandbox.server.secretKey, tenantID: sandbox.server.tenantID, userID: user,
            issuedAt: issued, expiresAt: issued + 600)
        let file = try sandbox.writeFile("token", token, mode: 0o600)
        let human = try await sandbox.run(
            ["enroll", "--token-file", file, "--profile", profile] + sandbox.serverOptions)
        #expect(human.status == 8, "\(human)")
        #expect(human.stderr.contains("devicecred: the enrollment token expired 50m"))
        #expect(human.stderr.contains("get a new one"))
        let json = try await sandbox.run(
            ["enroll", "--token-file", file, "--profile", profile, "--json"] + sandbox.serverOptions)
        #expect(json.status == 8, "\(json)")
        #expect(try json.errorCode() == "expired_token")
        for output in [human, json] { #expect(!output.allOutput.contains(token)) }
        #expect(try await sandbox.run("status", "--profile", profile).status == 3)
    }

    @Test func aTokenTheServerRejectsExitsWithTheTokenStatus() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let real = try await sandbox.server.track(userID: user).token
        // The same claims with a signature that does not match them.
        var parts = real.split(separator: ".").map(String.init)
        parts[2] = String(parts[2].reversed())
        for token in [parts.joined(separator: "."), "not-a-token"] {
            let result = try await sandbox.run(
                ["enroll", "--token", "-", "--profile", TestEnvironment.uniqueName("bad"), "--json"]
                    + sandbox.serverOptions, standardInput: token)
            #expect(result.status == 8, "\(result)")
            #expect(try result.errorCode() == "unauthorized")
            #expect(!result.allOutput.contains(token))
        }
    }

    @Test func theDebugLogNeverShowsTheToken() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let (token, result) = try await sandbox.enroll(
            userID: user, profile: TestEnvironment.uniqueName("verbose"), extra: ["--verbose"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("debug"), "--verbose logs at debug level: \(result.stderr)")
        #expect(!result.allOutput.contains(token))
        #expect(!result.allOutput.contains(String(token.split(separator: ".")[2])))
    }

    @Test func theFileKeyStoreKeepsTheKeyInA0600File() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("file")
        let (token, enrolled) = try await sandbox.enroll(
            userID: user, profile: profile, extra: ["--key-store", "file"])
        #expect(enrolled.status == 0, "\(enrolled)")
        let keys = sandbox.directory.appendingPathComponent("data/devicecred/keys")
        let keyFile = keys.appendingPathComponent("\(profile).pem").path
        let fileMode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        let directoryMode = try FileManager.default.attributesOfItem(atPath: keys.path)[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(directoryMode == 0o700)
        let status = try await sandbox.run("status", "--profile", profile)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("software, in file"))
        // The key's bytes never appear in any output.
        let pem = try String(contentsOfFile: keyFile, encoding: .utf8)
        let keyLines = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }
        try #require(!keyLines.isEmpty)
        for output in [enrolled, status] {
            #expect(!output.allOutput.contains(token))
            for line in keyLines { #expect(!output.allOutput.contains(line)) }
        }
        let removed = try await sandbox.run("remove", "--profile", profile)
        #expect(removed.status == 0, "\(removed)")
        #expect(!FileManager.default.fileExists(atPath: keyFile))
    }

    @Test func theSecretServiceKeyNeverAppearsInAnyOutput() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("secret")
        let (token, enrolled) = try await sandbox.enroll(userID: user, profile: profile, extra: ["--json"])
        #expect(enrolled.status == 0, "\(enrolled)")
        let lookup = try await ProcessRunner.run(
            "/usr/bin/secret-tool", ["lookup", "profile", profile], environment: sandbox.environment)
        #expect(lookup.status == 0, "\(lookup)")
        let keyLines = lookup.stdout.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count > 16 }
        try #require(!keyLines.isEmpty, "the keyring holds the profile's PEM key")
        let status = try await sandbox.run("status", "--profile", profile, "--json", "--verbose")
        #expect(status.status == 0, "\(status)")
        for output in [enrolled, status] {
            #expect(!output.allOutput.contains(token))
            for line in keyLines { #expect(!output.allOutput.contains(line)) }
        }
    }

    @Test func refreshProvesTheKeyAndTheServerRecordsTheTime() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("refresh")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile, extra: ["--json"]).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let before = try #require(try enrolled.jsonObject()["credential"] as? [String: Any])
        #expect(before["lastVerifiedAt"] is NSNull)

        let refreshed = try await sandbox.run("refresh", "--reset-expiry", "--profile", profile, "--json")
        #expect(refreshed.status == 0, "\(refreshed)")
        let credential = try refreshed.jsonObject()
        #expect(credential["userAuthenticatorId"] as? String == before["userAuthenticatorId"] as? String)
        let lastVerified = try #require(credential["lastVerifiedAt"] as? String)
        // The server kept it: status (getCredential) reports the same time.
        let status = try await sandbox.run("status", "--profile", profile, "--json")
        let after = try #require(try status.jsonObject()["credential"] as? [String: Any])
        #expect(after["lastVerifiedAt"] as? String == lastVerified)

        let human = try await sandbox.run("refresh", "--profile", profile)
        #expect(human.status == 0, "\(human)")
        #expect(human.stdout.hasPrefix("refreshed the credential of profile '\(profile)'\n"))
        #expect(human.stdout.contains("last used"))
    }

    @Test func aTPMKeyIsEnrolledWithItsWrappedBlobInTheChosenStore() async throws {
        _ = try #require(
            ProcessInfo.processInfo.environment["TPM2OPENSSL_TCTI"], "TPM2OPENSSL_TCTI is not set: run with `make test`"
        )
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("tpm")
        let (token, result) = try await sandbox.enroll(
            userID: user, profile: profile, extra: ["--key-store", "tpm", "--blob-store", "file", "--json"])
        #expect(result.status == 0, "\(result)")
        let key = try #require(try result.jsonObject()["key"] as? [String: Any])
        #expect(key["kind"] as? String == "tpm")
        #expect(key["store"] as? String == "file")
        let status = try await sandbox.run("status", "--profile", profile)
        #expect(status.stdout.contains("TPM, wrapped blob in file"), "\(status)")
        #expect(!result.allOutput.contains(token))
    }
}
