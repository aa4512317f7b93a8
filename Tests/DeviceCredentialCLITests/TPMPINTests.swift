import DeviceCredentialTestSupport
import Foundation
import Testing

/// A TPM key protected by a PIN: set at enrollment, asked before every signature (approve, deny,
/// remove), from a 0600 file for scripts or typed on the terminal. Each test has a swtpm of its own
/// (see ``PrivateTPM``), so its wrong PINs cannot lock out the TPM other suites use.
@Suite struct TPMPINTests {
    static let pin = "4711 2342"

    /// A sandbox whose devicecred uses a private TPM; the blob goes to the file store.
    struct Setup {
        let tpm: PrivateTPM
        let sandbox: CLISandbox
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("tpm-pin")

        init() async throws {
            tpm = try PrivateTPM()
            sandbox = try CLISandbox()
            sandbox.environment["TPM2OPENSSL_TCTI"] = tpm.tcti
        }

        func pinFile(_ pin: String = TPMPINTests.pin) throws -> String {
            try sandbox.writeFile(TestEnvironment.uniqueName("pin"), pin + "\n", mode: 0o600)
        }

        /// Enrolls with `--tpm-pin --pin-file`.
        func enroll() async throws -> ProcessResult {
            try await sandbox.enroll(
                userID: user, profile: profile,
                extra: [
                    "--key-store", "tpm", "--blob-store", "file", "--tpm-pin", "--pin-file", try pinFile(), "--json",
                ]
            ).result
        }

        func isPending(_ push: ServerAPI.Push) async throws -> Bool {
            let state = try await sandbox.server.poll(token: push.token, challengeID: push.challengeID)
            return !state.isConsumed
        }
    }

    @Test func aPINFileEnrollsAndApproves() async throws {
        let setup = try await Setup()
        defer { setup.tpm.stop() }
        let enrolled = try await setup.enroll()
        try #require(enrolled.status == 0, "\(enrolled)")
        let key = try #require(try enrolled.jsonObject()["key"] as? [String: Any])
        #expect(key["kind"] as? String == "tpm")
        #expect(key["pinRequired"] as? Bool == true)
        let status = try await setup.sandbox.run("status", "--profile", setup.profile)
        #expect(status.stdout.contains("TPM, wrapped blob in file, PIN required to sign"), "\(status)")

        let push = try await setup.sandbox.server.pushChallenge(userID: setup.user)
        let approved = try await setup.sandbox.run(
            "approve", push.challengeID, "--pin-file", try setup.pinFile(), "--profile", setup.profile)
        #expect(approved.status == 0, "\(approved)")
        let verified = try await setup.sandbox.server.poll(token: push.token, challengeID: push.challengeID)
        #expect(verified.isVerified)
        for output in [enrolled, status, approved] { #expect(!output.allOutput.contains(Self.pin)) }
    }

    @Test func withoutThePINNothingIsSent() async throws {
        let setup = try await Setup()
        defer { setup.tpm.stop() }
        try #require(try await setup.enroll().status == 0)
        let push = try await setup.sandbox.server.pushChallenge(userID: setup.user)
        for command in ["approve", "deny"] {
            let refused = try await setup.sandbox.run(command, push.challengeID, "--profile", setup.profile, "--json")
            #expect(refused.status == 10, "\(refused)")
            #expect(try refused.errorCode() == "tpm_pin_required")
            #expect(refused.stdout.contains("pass --pin-file PATH, or run on a terminal"), "\(refused)")
        }
        #expect(try await setup.isPending(push))
    }

    @Test func aWrongPINFileIsTriedOnceAndSendsNothing() async throws {
        let setup = try await Setup()
        defer { setup.tpm.stop() }
        try #require(try await setup.enroll().status == 0)
        let push = try await setup.sandbox.server.pushChallenge(userID: setup.user)
        let wrong = try await setup.sandbox.run(
            "approve", push.challengeID, "--pin-file", try setup.pinFile("0000"), "--profile", setup.profile)
        #expect(wrong.status == 10, "\(wrong)")
        #expect(wrong.stderr.contains("wrong PIN"), "\(wrong)")
        #expect(try await setup.isPending(push))

        let right = try await setup.sandbox.run(
            "approve", push.challengeID, "--pin-file", try setup.pinFile(), "--profile", setup.profile)
        #expect(right.status == 0, "\(right)")
        #expect(try await setup.sandbox.server.poll(token: push.token, challengeID: push.challengeID).isVerified)
    }

    @Test func denyRefreshAndRemoveSignWithThePINToo() async throws {
        let setup = try await Setup()
        defer { setup.tpm.stop() }
        try #require(try await setup.enroll().status == 0)
        let push = try await setup.sandbox.server.pushChallenge(userID: setup.user)
        let denied = try await setup.sandbox.run(
            "deny", push.challengeID, "--pin-file", try setup.pinFile(), "--profile", setup.profile)
        #expect(denied.status == 0, "\(denied)")
        let state = try await setup.sandbox.server.poll(token: push.token, challengeID: push.challengeID)
        #expect(state.isConsumed && !state.isVerified)

        let refreshRefused = try await setup.sandbox.run("refresh", "--profile", setup.profile)
        #expect(refreshRefused.status == 10, "\(refreshRefused)")
        let refreshed = try await setup.sandbox.run(
            "refresh", "--pin-file", try setup.pinFile(), "--profile", setup.profile)
        #expect(refreshed.status == 0, "\(refreshed)")

        let kept = try await setup.sandbox.run("remove", "--profile", setup.profile)
        #expect(kept.status == 10, "\(kept)")
        #expect(try await setup.sandbox.run("status", "--profile", setup.profile).status == 0)
        let removed = try await setup.sandbox.run(
            "remove", "--pin-file", try setup.pinFile(), "--profile", setup.profile)
        #expect(removed.status == 0, "\(removed)")
        #expect(try await setup.sandbox.server.authenticatorIDs(userID: setup.user).isEmpty)
    }

    @Test func aPersonTypesThePINTwiceToEnrollAndMayRetypeAWrongOne() async throws {
        let setup = try await Setup()
        defer { setup.tpm.stop() }
        let token = try await setup.sandbox.server.track(userID: setup.user).token
        let tokenFile = try setup.sandbox.writeFile(TestEnvironment.uniqueName("token"), token, mode: 0o600)
        let enrolling = try await TerminalSession(
            ["enroll", "--token-file", tokenFile, "--profile", setup.profile, "--key-store", "tpm", "--tpm-pin"]
                + setup.sandbox.serverOptions,
            environment: setup.sandbox.environment)
        try await enrolling.waitFor("New TPM PIN: ")
        enrolling.type(Self.pin)
        try await enrolling.waitFor("Repeat the TPM PIN: ")
        enrolling.type("typo")
        try await enrolling.waitFor("The two PINs differ; try again.")
        try await enrolling.waitFor("New TPM PIN: ", occurrence: 2)
        enrolling.type(Self.pin)
        try await enrolling.waitFor("Repeat the TPM PIN: ", occurrence: 2)
        enrolling.type(Self.pin)
        #expect(try await enrolling.exitStatus() == 0, "\(enrolling.transcript)")
        #expect(enrolling.transcript.contains("PIN required to sign"), "\(enrolling.transcript)")

        let push = try await setup.sandbox.server.pushChallenge(userID: setup.user)
        let approving = try await TerminalSession(
            ["approve", "--profile", setup.profile], environment: setup.sandbox.environment)
        try await approving.waitFor("Approve this sign-in? [y/N] ")
        approving.type("y")
        try await approving.waitFor("TPM PIN for profile '\(setup.profile)': ")
        approving.type("wrong-pin")
        try await approving.waitFor("Wrong PIN.")
        approving.type(Self.pin)
        #expect(try await approving.exitStatus() == 0, "\(approving.transcript)")
        #expect(approving.transcript.contains("approved challenge \(push.challengeID)"))
        #expect(try await setup.sandbox.server.poll(token: push.token, challengeID: push.challengeID).isVerified)
        // Typed without echo: the terminal never showed a PIN.
        for session in [enrolling, approving] {
            #expect(!session.transcript.contains(Self.pin) && !session.transcript.contains("wrong-pin"))
        }
    }

    @Test func badPINInputIsRefusedBeforeAnythingIsCreated() async throws {
        let setup = try await Setup()
        defer { setup.tpm.stop() }
        let sandbox = setup.sandbox
        let tooLong = try setup.pinFile(String(repeating: "9", count: 33))
        let readable = try sandbox.writeFile(TestEnvironment.uniqueName("pin"), Self.pin, mode: 0o644)
        let cases: [(pinOptions: [String], status: Int32, code: String)] = [
            (["--pin-file", tooLong], 2, "invalid_pin"),
            ([], 2, "pin_required"),  // no terminal to type it on
            (["--pin-file", readable], 1, "insecure_pin_file"),
        ]
        for (pinOptions, status, code) in cases {
            let refused = try await sandbox.enroll(
                userID: setup.user, profile: setup.profile,
                extra: ["--key-store", "tpm", "--tpm-pin", "--json"] + pinOptions
            ).result
            #expect(refused.status == status, "\(refused)")
            #expect(try refused.errorCode() == code)
        }
        #expect(try await sandbox.run("status", "--profile", setup.profile).status == 3)
        #expect(try await sandbox.server.authenticatorIDs(userID: setup.user).isEmpty)

        for extra in [["--tpm-pin"], ["--key-store", "tpm", "--pin-file", tooLong]] {
            let usage = try await sandbox.enroll(userID: setup.user, profile: setup.profile, extra: extra).result
            #expect(usage.status == 2, "\(usage)")
        }
    }

    @Test func aKeyWithoutAPINCannotGainOneByEnrollingAgain() async throws {
        let setup = try await Setup()
        defer { setup.tpm.stop() }
        let plain = try await setup.sandbox.enroll(
            userID: setup.user, profile: setup.profile, extra: ["--key-store", "tpm", "--blob-store", "file"]
        ).result
        try #require(plain.status == 0, "\(plain)")
        let again = try await setup.enroll()
        #expect(again.status == 2, "\(again)")
        #expect(try again.errorCode() == "profile_conflict")
        let status = try await setup.sandbox.run("status", "--profile", setup.profile, "--json")
        let key = try #require(try status.jsonObject()["key"] as? [String: Any])
        #expect(key["pinRequired"] as? Bool == false)
    }
}
