import DeviceCredential
import Testing

@testable import DeviceCredentialCLI

/// The one table from library errors to exit statuses.
@Suite struct ExitStatusMappingTests {
    @Test func statusesAreDistinctAndDocumentedInOrder() {
        #expect(DevicecredExitStatus.all.map(\.code) == Array(0...16))
        #expect(Set(DevicecredExitStatus.all.map(\.meaning)).count == DevicecredExitStatus.all.count)
    }

    @Test(arguments: [
        (DeviceCredentialError.Code.notEnrolled, CommandFailure.Operation.other, DevicecredExitStatus.notEnrolled),
        (.invalidCredential, .other, .revoked),
        (.keyringLocked, .other, .keyringUnavailable),
        (.keyringUnavailable, .other, .keyringUnavailable),
        (.dbusUnavailable, .other, .keyringUnavailable),
        (.networkError, .other, .serviceUnavailable),
        (.serverError, .other, .serviceUnavailable),
        (.invalidResponse, .enrollment, .serviceUnavailable),
        (.tooManyRequests, .answeringChallenge, .serviceUnavailable),
        (.expiredToken, .enrollment, .tokenRejected),
        (.unauthorized, .enrollment, .tokenRejected),
        (.notFound, .answeringChallenge, .challengeUnavailable),
        (.expiredToken, .answeringChallenge, .challengeUnavailable),
        (.unauthorized, .other, .failure),
        (.insecureKeyFile, .other, .failure),
        (.invalidConfiguration, .enrollment, .failure),
        (.tpmPINRequired, .answeringChallenge, .tpmPIN),
        (.tpmAuthFailed, .answeringChallenge, .tpmPIN),
        (.tpmLockout, .other, .tpmPIN),
        (.tpmUnavailable, .enrollment, .tpmUnavailable),
        (.tpmPermissionDenied, .enrollment, .tpmUnavailable),
        (.tpmProviderMissing, .other, .tpmUnavailable),
    ])
    func libraryErrorsMapToTheirStatus(
        code: DeviceCredentialError.Code, operation: CommandFailure.Operation, status: DevicecredExitStatus
    ) {
        let failure = CommandFailure(DeviceCredentialError(code: code, message: "m"), during: operation)
        #expect(failure.status == status)
        #expect(failure.code == code.rawValue)
    }

    @Test func aConflictWhileAnsweringIsAChallengeThatIsGone() {
        let answered = DeviceCredentialError(code: .invalidRequest, message: "answered", httpStatus: 409)
        #expect(CommandFailure(answered, during: .answeringChallenge).status == .challengeUnavailable)
        #expect(CommandFailure(answered, during: .other).status == .failure)
        let unknown5xx = DeviceCredentialError(code: .init(rawValue: "internal_error"), message: "x", httpStatus: 503)
        #expect(CommandFailure(unknown5xx, during: .other).status == .serviceUnavailable)
    }

    @Test func theExpiryOfAJWTIsReadForTheMessage() {
        // {"alg":"HS256"} . {"exp":1700000000,"sub":"a"} . signature
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDAsInN1YiI6ImEifQ.c2ln"
        #expect(EnrollmentToken.expiry(of: token)?.timeIntervalSince1970 == 1_700_000_000)
        #expect(EnrollmentToken.expiry(of: "not-a-token") == nil)
        #expect(EnrollmentToken.expiry(of: "a.b.c") == nil)
    }

    @Test func usageErrorsBeginWithTheProgramsName() throws {
        let error = try #require(throws: (any Error).self) { try DevicecredCommand.parseAsRoot(["status", "--bogus"]) }
        let message = DevicecredCommand.usageMessage(for: error)
        #expect(message.hasPrefix("devicecred: Unknown option '--bogus'\nUsage: devicecred status "), "\(message)")
        #expect(!message.contains("Error:"))
    }

    @Test func theCommandTreeIsTheDocumentOfExperimentalDumpHelp() throws {
        let description = try ToolDescription(json: ToolDescription.json())
        #expect(description.command.commandName == "devicecred")
        #expect(description.command.subcommands?.contains { $0.commandName == "enroll" } == true)
    }

    @Test func theManualIsRenderedFromTheCommandTree() throws {
        let page = try ManualPage.render(toolInfoJSON: ToolDescription.json())
        #expect(page.contains(".SS \"devicecred enroll\""))
        #expect(page.contains("\\fB\\-\\-no\\-number\\-matching\\fR\n"))
        #expect(!page.contains("\\fB\\-\\-help\\fR"))
        #expect(page.contains("AUTHSIGNAL_API_URL"))
        #expect(!page.split(separator: "\n").contains { $0.hasPrefix("'") })
    }
}
