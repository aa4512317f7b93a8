import DeviceCredential
import FoundationEssentials
import Logging

/// One profile: its key, its server, its credential, the clock against the server's, the credential's expiry.
struct ProfileChecks {
    /// An offset beyond this is a warning: Date has one-second steps and the request takes time.
    static let skewWarning = 60.0
    /// An offset beyond this fails: removals are signed for a 10-minute window and tokens expire in minutes.
    static let skewFailure = 300.0
    /// A credential expiring sooner than this is a warning.
    static let expiryWarning = 7.0 * 86_400

    let profile: DeviceProfile
    let logger: Logger
    let now: @Sendable () -> Date

    private var label: String { "profile \(profile.name)" }
    private var profileFlag: String { profile.name == DeviceProfile.defaultName ? "" : " --profile \(profile.name)" }

    func run() async -> [DoctorCheck] {
        let transport = DateRecordingTransport(CurlTransport())
        let client: DeviceCredentialClient
        do {
            client = try DeviceCredentialClient(profile: profile, transport: transport, logger: logger)
        } catch {
            return [.fail("\(label) key", Self.describe(error), fix: "devicecred enroll\(profileFlag)")]
        }
        var checks = [keyCheck(client)]
        guard checks[0].status != .fail else { return checks }

        let started = now()
        let credential: Result<AppCredential, any Error>
        do {
            credential = .success(try await client.getCredential())
        } catch {
            credential = .failure(error)
        }
        checks += serverAndCredentialChecks(credential)
        if let clock = clockCheck(dateHeader: transport.lastDateHeader, sentAt: started, receivedAt: now()) {
            checks.append(clock)
        }
        if case .success(let value) = credential, let expiresAt = value.expiresAt {
            checks.append(expiryCheck(expiresAt))
        }
        return checks
    }

    private func keyCheck(_ client: DeviceCredentialClient) -> DoctorCheck {
        let name = "\(label) key"
        do {
            guard let key = try client.localKeySummary() else {
                return .fail(
                    name, "no key in its \(profile.keyStore) store",
                    fix: "devicecred remove\(profileFlag), then devicecred enroll\(profileFlag)")
            }
            let pin = profile.keyKind == .tpm ? (key.requiresPIN ? ", PIN set" : ", no PIN") : ""
            return .ok(name, "\(profile.keyKind) key in \(profile.keyStore) (\(key.publicKey.fingerprint)\(pin))")
        } catch let error as DeviceCredentialError where error.code == .keyringLocked {
            return .fail(name, Self.describe(error), fix: KeyringFix.unlock)
        } catch {
            return .fail(name, Self.describe(error), fix: CommandFailure.from(error).fixHint)
        }
    }

    private func serverAndCredentialChecks(_ result: Result<AppCredential, any Error>) -> [DoctorCheck] {
        let server = "\(label) server"
        let credentialName = "\(label) credential"
        let reachable = DoctorCheck.ok(
            server, DisplayText.terminal(profile.apiURL) + (profile.apiURL.hasPrefix("https:") ? " (TLS verified)" : "")
        )
        switch result {
        case .success(let credential):
            return [
                reachable,
                .ok(
                    credentialName,
                    "known to the server (authenticator \(DisplayText.terminal(credential.userAuthenticatorId)))"),
            ]
        case .failure(let error as DeviceCredentialError) where error.code == .networkError:
            return [
                .fail(
                    server, "cannot reach \(DisplayText.terminal(profile.apiURL)): \(Self.describe(error))",
                    fix: "check the network and proxy (https_proxy), and the API URL (devicecred profiles)")
            ]
        case .failure(let error as DeviceCredentialError) where error.code == .invalidCredential:
            return [
                reachable,
                .fail(
                    credentialName, "the server no longer knows this credential (revoked or removed there)",
                    fix: "devicecred remove\(profileFlag), then enroll again with a new token"),
            ]
        case .failure(let error as DeviceCredentialError) where error.isServerSide:
            return [
                .fail(server, Self.describe(error), fix: "retry later; if it persists, tell the service's operator")
            ]
        case .failure(let error):
            return [reachable, .fail(credentialName, Self.describe(error), fix: CommandFailure.from(error).fixHint)]
        }
    }

    /// Compares the server's `Date` with the middle of the request: nil when no answer came at all.
    func clockCheck(dateHeader: String?, sentAt: Date, receivedAt: Date) -> DoctorCheck? {
        let name = "\(label) clock"
        guard let dateHeader else { return nil }
        guard let serverDate = RetryAfter.httpDate(dateHeader) else {
            return .info(
                name, "the server's Date header is not an HTTP date: \(DisplayText.terminal(dateHeader, limit: 80))")
        }
        let local = sentAt.addingTimeInterval(receivedAt.timeIntervalSince(sentAt) / 2)
        let offset = local.timeIntervalSince(serverDate)
        let direction = offset >= 0 ? "ahead of" : "behind"
        let detail =
            "this machine's clock is \(TimeFormatting.duration(seconds: abs(offset))) \(direction) the server's"
        let fix = "synchronise the clock: sudo timedatectl set-ntp true"
        if abs(offset) > Self.skewFailure {
            return .fail(name, detail + " (signed removals and token expiry break)", fix: fix)
        }
        if abs(offset) > Self.skewWarning { return .warn(name, detail, fix: fix) }
        return .ok(name, "within \(Int(Self.skewWarning))s of the server's")
    }

    private func expiryCheck(_ expiresAt: Date) -> DoctorCheck {
        let name = "\(label) expiry"
        let left = expiresAt.timeIntervalSince(now())
        let detail = "the credential \(TimeFormatting.expiry(expiresAt, now: now()))"
        let fix = "devicecred refresh --reset-expiry\(profileFlag)"
        if left <= 0 { return .fail(name, detail, fix: fix) }
        if left < Self.expiryWarning { return .warn(name, detail, fix: fix) }
        return .ok(name, detail)
    }

    /// A library error's own message (the fix goes in its own column), or any other error's, safe for a terminal.
    static func describe(_ error: any Error) -> String {
        let message = (error as? DeviceCredentialError)?.message ?? CommandFailure.from(error).message
        return DisplayText.terminal(message, limit: 300)
    }
}

extension DeviceCredentialError {
    /// The server failed or answered something that is not the protocol.
    fileprivate var isServerSide: Bool {
        [.serverError, .invalidResponse, .tooManyRequests].contains(code) || (httpStatus ?? 0) >= 500
    }
}

/// What unlocks a keyring, for every check that finds it locked.
enum KeyringFix {
    static let unlock =
        "unlock the keyring: log in to the desktop session, or unlock the \"login\" keyring in Passwords and Keys (seahorse)"
}

extension CommandFailure {
    /// The advice a failure's message already carries, for the `fix` column: its exit status says what to do.
    var fixHint: String {
        switch status {
        case .notEnrolled: "devicecred enroll"
        case .keyringUnavailable: KeyringFix.unlock
        case .tpmUnavailable, .tpmPIN: "see the TPM checks above"
        case .revoked: "enroll again with a new token"
        default: "see the message"
        }
    }
}
