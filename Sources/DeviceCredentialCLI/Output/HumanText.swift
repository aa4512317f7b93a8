import DeviceCredential
import FoundationEssentials

/// The short, readable text printed without `--json`. Every value that came from outside (the server,
/// the browser through the server, the backend) goes through `shown(_:)`, i.e. `DisplayText.terminal`:
/// an escape sequence or a newline in a User-Agent is printed as `\e` or `\n`, never acted on.
enum HumanText {
    /// Outside text as a terminal may print it.
    static func shown(_ text: String) -> String { DisplayText.terminal(text) }

    /// Label/value rows, values aligned in one column across every block a command prints; absent values are left out.
    static func rows(_ rows: [(String, String?)]) -> String {
        rows.compactMap { label, value in
            value.map { label + String(repeating: " ", count: max(1, labelWidth - label.count)) + $0 }
        }.joined(separator: "\n")
    }

    private static let labelWidth = 13

    static func keyRows(_ key: DeviceKeySummary, of profile: DeviceProfile) -> [(String, String?)] {
        let kind = profile.keyKind == .tpm ? "TPM" : profile.keyKind.rawValue
        let place = profile.keyKind == .tpm ? "wrapped blob in \(profile.keyStore)" : "in \(profile.keyStore)"
        let pin = key.requiresPIN ? ", PIN required to sign" : ""
        return [("key", "\(kind), \(place)\(pin)"), ("fingerprint", "SHA256:\(key.publicKey.fingerprint)")]
    }

    static func localStatus(_ profile: DeviceProfile, key: DeviceKeySummary) -> String {
        rows(
            [
                ("profile", profile.name),
                ("server", "\(shown(profile.apiURL)) (tenant \(shown(profile.tenantID)))"),
                ("device name", profile.deviceName.map(shown)),
                ("matching", profile.usesNumberMatching ? "number matching (approve asks for the code)" : nil),
            ] + keyRows(key, of: profile))
    }

    static func credential(_ credential: AppCredential, now: Date) -> String {
        rows([
            ("credential", "\(shown(credential.userAuthenticatorId)) (user \(shown(credential.userId)))"),
            ("verified", credential.verifiedAt.map { TimeFormatting.timestamp($0, now: now) }),
            ("last used", credential.lastVerifiedAt.map { TimeFormatting.timestamp($0, now: now) }),
            (
                "expires",
                credential.expiresAt.map { "\($0.formatted(.iso8601)) (\(TimeFormatting.expiry($0, now: now)))" }
            ),
        ])
    }

    static func enrolled(
        _ profile: DeviceProfile, key: DeviceKeySummary, credential: AppCredential, wasEnrolled: Bool
    ) -> String {
        let headline =
            wasEnrolled
            ? "already enrolled: profile '\(profile.name)' is authenticator \(shown(credential.userAuthenticatorId)) "
                + "for user \(shown(credential.userId)) (same key)"
            : "enrolled profile '\(profile.name)' as authenticator \(shown(credential.userAuthenticatorId)) "
                + "for user \(shown(credential.userId))"
        return headline + "\n" + rows(keyRows(key, of: profile))
    }

    /// A pending challenge: the browser as a short summary ("Chrome 131 on Linux"), or with `fullUserAgent`
    /// the whole User-Agent; an expiry the server did not give (or gave as nonsense) is "expiry unknown".
    static func challenge(_ challenge: AppChallenge, now: Date, fullUserAgent: Bool = false) -> String {
        let expiry = challenge.expiresAt.map { TimeFormatting.expiry($0, now: now) } ?? "expiry unknown"
        return "pending challenge \(shown(challenge.challengeId)) (\(expiry))\n"
            + rows([
                ("action", challenge.actionCode.map(shown)),
                ("user", challenge.userId.map(shown)),
                ("from", challenge.ipAddress.map(shown)),
                fullUserAgent
                    ? ("user agent", challenge.userAgent.map(shown))
                    : ("browser", challenge.userAgent.map { shown(UserAgentSummary.text(for: $0)) }),
                ("device", challenge.deviceId.map(shown)),
                // JSONRendering already writes every control and separator as a \uXXXX escape.
                ("custom", challenge.custom.map(JSONRendering.render)),
                ("user custom", challenge.userCustom.map(JSONRendering.render)),
            ])
    }

    /// The note under a challenge the agent's push-fatigue guard holds.
    static func heldByGuard(until: Date, now: Date) -> String {
        "\nnote: held by the agent's push-fatigue guard (many sign-in requests were refused or ignored; someone "
            + "may know your password); not shown as a prompt until the cool-down ends "
            + "(\(TimeFormatting.relative(until, now: now))). Answer it only if you are signing in yourself."
    }

    static func profiles(_ profiles: [DeviceProfile]) -> String {
        guard !profiles.isEmpty else { return "no profiles; enroll one with devicecred enroll" }
        let header = ["PROFILE", "USER", "KEY", "SERVER"]
        let lines = profiles.map { profile in
            [
                profile.name, profile.userID.map(shown) ?? "-",
                "\(profile.keyKind == .tpm ? "TPM" : profile.keyKind.rawValue)/\(profile.keyStore)",
                shown(profile.apiURL),
            ]
        }
        let widths = (0..<header.count).map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        return ([header] + lines).map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }.joined()
        }.joined(separator: "\n")
    }
}
