/// The exit statuses `devicecred` documents. Scripts branch on these numbers, so they live here and
/// only here: the man page's EXIT STATUS section is generated from ``all``, and Docs/cli.md lists the same.
public struct DevicecredExitStatus: Hashable, Sendable, CustomStringConvertible {
    /// The process exit status.
    public let code: Int32
    /// What the status means, as the man page says it.
    public let meaning: String

    init(_ code: Int32, _ meaning: String) {
        self.code = code
        self.meaning = meaning
    }

    public var description: String { "\(code)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The command did what it was asked (including "no pending challenge" for `challenge`).
    public static let success = DevicecredExitStatus(0, "Success.")
    /// Any failure without a more specific status below.
    public static let failure = DevicecredExitStatus(1, "Generic failure (see the message).")
    /// The command line is wrong: unknown or missing options, conflicting options, a malformed challenge id,
    /// a missing verification code, or a challenge id that approve or deny need when no one can be asked.
    public static let usage = DevicecredExitStatus(
        2,
        "Usage error: unknown, missing or conflicting options, a malformed challenge id, a number-matching code "
            + "that is needed, or a challenge id that is needed without a terminal.")
    /// The profile is not enrolled on this machine (no profile, or no key in its store).
    public static let notEnrolled = DevicecredExitStatus(3, "The profile is not enrolled on this machine.")
    /// The server no longer knows the credential (`invalid_credential`): it was revoked or removed there.
    public static let revoked = DevicecredExitStatus(
        4, "The credential was revoked or removed on the server (invalid_credential); enroll again.")
    /// The keyring is locked, has no Secret Service, or there is no D-Bus session bus.
    public static let keyringUnavailable = DevicecredExitStatus(
        5, "The keyring is locked, or no Secret Service or D-Bus session bus is available.")
    /// The server could not be reached, failed (5xx), answered something that is not the protocol, or asked to slow down.
    public static let serviceUnavailable = DevicecredExitStatus(
        6, "Network or server error: unreachable, timed out, HTTP 5xx, malformed answer, or rate limited.")
    /// The challenge was already answered (also "already answered" when the agent or another devicecred on
    /// this machine answers it at the same moment: only one answer is sent), has expired, or (without an id)
    /// none is pending.
    public static let challengeUnavailable = DevicecredExitStatus(
        7,
        "The challenge was already answered (here by the agent or another devicecred, or elsewhere) or has "
            + "expired, or no challenge is pending to approve or deny.")
    /// The enrollment token has expired or the server rejected it.
    public static let tokenRejected = DevicecredExitStatus(8, "The enrollment token has expired or was rejected.")
    /// The server did not verify an approval: a wrong number-matching code used the challenge up.
    public static let approvalNotVerified = DevicecredExitStatus(
        9, "The server did not verify the approval (wrong verification code); the challenge is used up.")

    /// The profile's TPM key needs its PIN and none was given, the PIN was wrong, or the TPM locked out.
    public static let tpmPIN = DevicecredExitStatus(
        10, "The TPM key's PIN was not given or was wrong, or the TPM is locked out after too many wrong PINs.")
    /// The profile's key is a TPM key and the TPM cannot be used here.
    public static let tpmUnavailable = DevicecredExitStatus(
        11, "The TPM cannot be used: no TPM, no permission (the tss group), or the tpm2 OpenSSL provider is missing.")
    /// The server took the enrollment token but refuses the profile's settings (a wrong tenant id): the
    /// enrollment was undone on this machine.
    public static let enrollmentNotConfirmed = DevicecredExitStatus(
        12, "Enrollment refused the profile's settings (wrong --tenant-id or --api-url); nothing was kept here.")

    /// The person was shown the challenge (or `open`'s enrollment) and did not confirm it, or `open` had no
    /// one to ask: nothing was sent, a challenge is still pending.
    public static let cancelled = DevicecredExitStatus(
        13,
        "The challenge, or open's enrollment, was shown and not confirmed (answered no, or no answer), or open "
            + "had no one to ask; nothing was sent.")
    /// `devicecred doctor` found at least one check that fails (its output says which and how to fix it).
    public static let doctorFoundFailure = DevicecredExitStatus(
        14, "devicecred doctor: at least one check failed (the output names it and its fix).")
    /// `devicecred open` refused the link before asking anyone: malformed, an unknown or repeated key, plain
    /// http off loopback, a malformed token, or a profile that already exists.
    public static let linkRefused = DevicecredExitStatus(
        15,
        "devicecred open refused the link: malformed, an unknown, repeated or missing key, plain http off "
            + "loopback, a malformed token, or an existing profile; nothing was enrolled.")

    /// `devicecred challenge --show` found no agent on the session bus (or no session bus) to ask.
    public static let agentUnavailable = DevicecredExitStatus(
        16,
        "challenge --show: no devicecred-agent runs on the session bus, or there is no session bus; nothing was shown.")

    /// Every status, in numeric order.
    public static let all: [DevicecredExitStatus] = [
        .success, .failure, .usage, .notEnrolled, .revoked, .keyringUnavailable, .serviceUnavailable,
        .challengeUnavailable, .tokenRejected, .approvalNotVerified, .tpmPIN, .tpmUnavailable,
        .enrollmentNotConfirmed, .cancelled, .doctorFoundFailure, .linkRefused, .agentUnavailable,
    ]
}
