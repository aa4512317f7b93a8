import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// Usage errors (2) and the profile list.
@Suite struct UsageAndProfilesTests {
    @Test(arguments: [
        (["enroll"], "give the enrollment token"),
        (["enroll", "--token", "x", "--token-file", "/dev/null"], "not both"),
        (
            ["enroll", "--token-file", "/dev/null", "--blob-store", "file"],
            "--blob-store applies to --key-store tpm only"
        ),
        (["enroll", "--token", "x", "--key-store", "floppy"], "floppy"),
        (["status", "--profile", "../etc"], "profile names use"),
        (["approve", "--code", " "], "--code is empty"),
        (["approve", "not-a-uuid"], "'not-a-uuid' is not a challenge id: challenge ids are UUIDs"),
        (["deny", "01e8189d-272a-49ee-9409-e160ecec881"], "is not a challenge id"),
        (["approve", "\u{1B}[2J"], #"'\e[2J' is not a challenge id"#),
        (["frobnicate"], "frobnicate"),
        (["status", "--no-such-option"], "--no-such-option"),
    ])
    func usageErrorsExit2WithAMessage(arguments: [String], message: String) async throws {
        let sandbox = try CLISandbox()
        let human = try await sandbox.run(arguments)
        #expect(human.status == 2, "\(human)")
        #expect(human.stderr.hasPrefix("devicecred: "), "\(human.stderr)")
        #expect(human.stderr.contains(message), "\(human.stderr)")
        let json = try await sandbox.run(arguments + ["--json"])
        #expect(json.status == 2, "\(json)")
        #expect(try json.errorCode() == "usage")
    }

    @Test func enrollingANewProfileNeedsTheServer() async throws {
        let sandbox = try CLISandbox()
        let result = try await sandbox.run(
            ["enroll", "--token", "-", "--profile", TestEnvironment.uniqueName("noserver"), "--json"],
            standardInput: "token")
        #expect(result.status == 2, "\(result)")
        #expect(try result.errorCode() == "missing_api_url")
        #expect(!result.allOutput.contains("token\""))
        let empty = try await sandbox.run(
            ["enroll", "--token", "-", "--json"] + sandbox.serverOptions, standardInput: " \n")
        #expect(empty.status == 2, "\(empty)")
        #expect(try empty.errorCode() == "empty_token")
    }

    @Test func changingTheKeyStoreOfAnEnrolledProfileIsRefused() async throws {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("switch")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let (token, switched) = try await sandbox.enroll(
            userID: user, profile: profile, extra: ["--key-store", "file", "--json"])
        #expect(switched.status == 2, "\(switched)")
        #expect(try switched.errorCode() == "profile_conflict")
        #expect(switched.stderr.contains("devicecred remove --profile \(profile)"))
        #expect(!switched.allOutput.contains(token))
        #expect(try await sandbox.run("status", "--profile", profile).status == 0)
    }

    @Test func helpAndVersionExit0OnStandardOutput() async throws {
        let sandbox = try CLISandbox()
        let help = try await sandbox.run("--help")
        #expect(help.status == 0)
        for command in ["enroll", "status", "challenge", "approve", "deny", "remove", "profiles"] {
            #expect(help.stdout.contains("  \(command) "), "\(command) in \(help.stdout)")
        }
        #expect(!help.stdout.contains("generate-manual"))
        let enrollHelp = try await sandbox.run("enroll", "--help")
        #expect(enrollHelp.status == 0)
        #expect(enrollHelp.stdout.contains("--token-file <path>"))
        let version = try await sandbox.run("--version")
        #expect(version.status == 0)
        #expect(version.stdout.split(separator: ".").count == 3)
        // The agent and the server say the same version, from the one place (DeviceCredentialRelease),
        // and so does the library's User-Agent.
        for executable in ["devicecred-agent", "devicecred-server"] {
            let other = try await ProcessRunner.run(
                TestBinaries.directory + "/" + executable, ["--version"], environment: sandbox.environment)
            #expect(other.status == 0, "\(executable): \(other)")
            #expect(other.stdout == version.stdout, "\(executable)")
        }
        #expect(version.stdout == DeviceCredentialVersion.string + "\n")
    }

    @Test func profilesListsEveryEnrolledProfileSortedByName() async throws {
        let sandbox = try CLISandbox()
        let empty = try await sandbox.run("profiles")
        #expect(empty.status == 0)
        #expect(empty.stdout == "no profiles; enroll one with devicecred enroll\n")
        #expect(try await sandbox.run("profiles", "--json").stdout == "[]\n")

        let users = (0..<3).map { _ in TestEnvironment.uniqueName("cli-user") }
        let names = ["work", "home", "lab"].map { TestEnvironment.uniqueName($0) }
        for (index, (user, name)) in zip(users, names).enumerated() {
            let store = index == 2 ? ["--key-store", "file"] : []
            let enrolled = try await sandbox.enroll(userID: user, profile: name, extra: store).result
            try #require(enrolled.status == 0, "\(enrolled)")
        }
        let human = try await sandbox.run("profiles")
        #expect(human.status == 0, "\(human)")
        let lines = human.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("PROFILE") == true)
        #expect(lines.dropFirst().map { String($0.prefix { $0 != " " }) } == names.sorted())
        #expect(human.stdout.contains("software/file"))
        #expect(human.stdout.contains("software/secret-service"))

        let json = try await sandbox.run("profiles", "--json")
        let listed = try #require(try json.json() as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == names.sorted())
        #expect(Set(listed.compactMap { $0["userId"] as? String }) == Set(users))
        #expect(
            Set(listed.first?.keys.map { $0 } ?? []) == [
                "name", "apiUrl", "tenantId", "deviceName", "devicePlatform", "keyKind", "keyStore", "numberMatching",
                "userId", "userAuthenticatorId",
            ])
    }
}
