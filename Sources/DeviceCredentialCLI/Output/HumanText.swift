import DeviceCredential
import FoundationEssentials

/// The short, readable text printed without `--json`.
enum HumanText {
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
                ("server", "\(profile.apiURL) (tenant \(profile.tenantID))"),
                ("device name", profile.deviceName),
                ("matching", profile.usesNumberMatching ? "number matching (approve asks for the code)" : nil),
            ] + keyRows(key, of: profile))
    }

    static func credential(_ credential: AppCredential, now: Date) -> String {
        rows([
            ("credential", "\(credential.userAuthenticatorId) (user \(credential.userId))"),
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
            ? "already enrolled: profile '\(profile.name)' is authenticator \(credential.userAuthenticatorId) "
                + "for user \(credential.userId) (same key)"
            : "enrolled profile '\(profile.name)' as authenticator \(credential.userAuthenticatorId) "
                + "for user \(credential.userId)"
        return headline + "\n" + rows(keyRows(key, of: profile))
    }

    static func challenge(_ challenge: AppChallenge, now: Date) -> String {
        let expiry = challenge.expiresAt.map { " (\(TimeFormatting.expiry($0, now: now)))" } ?? ""
        return "pending challenge \(challenge.challengeId)\(expiry)\n"
            + rows([
                ("action", challenge.actionCode),
                ("user", challenge.userId),
                ("from", challenge.ipAddress),
                ("user agent", challenge.userAgent),
                ("device", challenge.deviceId),
                ("custom", challenge.custom.map(JSONRendering.render)),
                ("user custom", challenge.userCustom.map(JSONRendering.render)),
            ])
    }

    static func profiles(_ profiles: [DeviceProfile]) -> String {
        guard !profiles.isEmpty else { return "no profiles; enroll one with devicecred enroll" }
        let header = ["PROFILE", "USER", "KEY", "SERVER"]
        let lines = profiles.map { profile in
            [
                profile.name, profile.userID ?? "-",
                "\(profile.keyKind == .tpm ? "TPM" : profile.keyKind.rawValue)/\(profile.keyStore)",
                profile.apiURL,
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
