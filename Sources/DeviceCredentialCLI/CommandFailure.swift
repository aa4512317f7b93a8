public import DeviceCredential

/// A failed command as the person or script sees it: a stable code (the `--json` error's `code`), a
/// sentence, and the documented exit status. Messages never contain tokens, keys or signatures.
public struct CommandFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Machine-readable: the library's or service's error code (`not_enrolled`, `expired_token`...) or a CLI one.
    public var code: String
    /// A sentence for a person.
    public var message: String
    /// The exit status.
    public var status: DevicecredExitStatus

    /// Creates a failure.
    public init(code: String, message: String, status: DevicecredExitStatus) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { "\(code): \(message)" }

    /// What the command was doing when the library failed: the same service answer means different things
    /// (a `not_found` while answering a challenge is a challenge that is gone).
    public enum Operation: Sendable {
        /// Enrolling with a token.
        case enrollment
        /// Approving or denying a challenge.
        case answeringChallenge
        /// Anything else.
        case other
    }

    /// The failure a library error stands for.
    public init(_ error: DeviceCredentialError, during operation: Operation) {
        let code = error.code.rawValue
        switch error.code {
        case .notEnrolled:
            self.init(code: code, message: error.message, status: .notEnrolled)
        case .invalidCredential:
            self.init(
                code: code,
                message: "the server no longer knows this device's credential (revoked or removed there); "
                    + "enroll again",
                status: .revoked)
        case .keyringLocked:
            // One sentence with the advice once, whatever the key store's own message already advises.
            self.init(
                code: code, message: "the keyring is locked: unlock it (log in to the desktop session) and retry",
                status: .keyringUnavailable)
        case .keyringUnavailable, .dbusUnavailable:
            self.init(
                code: code,
                message: "\(error.message); start a keyring (gnome-keyring, KWallet, KeePassXC) in the session, "
                    + "or enroll with --key-store file on a headless host",
                status: .keyringUnavailable)
        case .expiredToken where operation == .enrollment:
            self.init(
                code: code,
                message: "the enrollment token has expired (tokens from track last 10 minutes); "
                    + "get a new one from your backend and enroll again",
                status: .tokenRejected)
        case .unauthorized where operation == .enrollment:
            self.init(
                code: code, message: "the server rejected the enrollment token: \(error.message)",
                status: .tokenRejected)
        case .notFound where operation == .answeringChallenge, .expiredToken where operation == .answeringChallenge:
            self.init(
                code: code, message: "the challenge is gone: \(error.message)", status: .challengeUnavailable)
        case .alreadyAnswered:
            self.init(
                code: code, message: "already answered: \(error.message); nothing was sent",
                status: .challengeUnavailable)
        case _ where operation == .answeringChallenge && error.httpStatus == 409:
            self.init(
                code: code, message: "the challenge is gone: \(error.message)", status: .challengeUnavailable)
        case .tpmPINRequired, .tpmLockout:
            self.init(code: code, message: "\(error.message); nothing was signed or sent", status: .tpmPIN)
        case .tpmAuthFailed:
            self.init(
                code: code,
                message: "wrong PIN for the TPM key; nothing was signed or sent (the TPM counts wrong PINs "
                    + "and locks out after a few)",
                status: .tpmPIN)
        case .tpmUnavailable, .tpmPermissionDenied, .tpmProviderMissing:
            self.init(code: code, message: error.message, status: .tpmUnavailable)
        case .networkError, .serverError, .invalidResponse, .tooManyRequests:
            self.init(code: code, message: error.message, status: .serviceUnavailable)
        case _ where (error.httpStatus ?? 0) >= 500:
            self.init(code: code, message: "the server failed: \(error.message)", status: .serviceUnavailable)
        default:
            self.init(code: code, message: error.message, status: .failure)
        }
    }

    /// The failure any error stands for: library errors are mapped, anything else is a generic failure.
    public static func from(_ error: any Error, during operation: Operation = .other) -> CommandFailure {
        switch error {
        case let failure as CommandFailure: return failure
        case let error as DeviceCredentialError: return CommandFailure(error, during: operation)
        default: return CommandFailure(code: "failure", message: "\(error)", status: .failure)
        }
    }
}

extension CommandFailure {
    /// The command line is wrong in a way ArgumentParser cannot see (e.g. a number-matching code is needed).
    static func usage(_ code: String, _ message: String) -> CommandFailure {
        CommandFailure(code: code, message: message, status: .usage)
    }

    /// No profile of that name on this machine.
    static func notEnrolled(profile: String) -> CommandFailure {
        CommandFailure(
            code: DeviceCredentialError.Code.notEnrolled.rawValue,
            message: "the profile '\(profile)' is not enrolled on this machine; run devicecred enroll"
                + (profile == "default" ? "" : " --profile \(profile)"),
            status: .notEnrolled)
    }

    /// Nothing to approve or deny.
    static let noPendingChallenge = CommandFailure(
        code: "no_pending_challenge", message: "no pending challenge", status: .challengeUnavailable)
}

/// A failure the command has already reported in its own result (doctor's failed checks): the tool
/// exits with `status` and prints nothing more.
struct ReportedFailure: Error {
    var status: DevicecredExitStatus
}
