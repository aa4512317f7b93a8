import DeviceCredential
import FoundationEssentials

/// The JSON documents `--json` prints (Docs/cli.md shows each shape). Every key is always present;
/// an unknown value is `null`, so scripts never have to test for a missing key.
enum Documents {
    /// `{"error": {"code": ..., "message": ...}}`
    static func error(_ failure: CommandFailure) -> JSONValue {
        .object(["error": .object(["code": .string(failure.code), "message": .string(failure.message)])])
    }

    /// A profile's saved settings.
    static func profile(_ profile: DeviceProfile) -> JSONValue {
        .object([
            "name": .string(profile.name),
            "apiUrl": .string(profile.apiURL),
            "tenantId": .string(profile.tenantID),
            "deviceName": optional(profile.deviceName),
            "devicePlatform": .string(profile.devicePlatform),
            "keyKind": .string(profile.keyKind.rawValue),
            "keyStore": .string(profile.keyStore.rawValue),
            "numberMatching": .bool(profile.usesNumberMatching),
            "userId": optional(profile.userID),
            "userAuthenticatorId": optional(profile.userAuthenticatorID),
        ])
    }

    /// The local key: its kind, where it is kept, the SHA-256 fingerprint of its DER SPKI, and whether
    /// signing needs a PIN.
    static func key(_ key: DeviceKeySummary, of profile: DeviceProfile) -> JSONValue {
        .object([
            "kind": .string(profile.keyKind.rawValue),
            "store": .string(profile.keyStore.rawValue),
            "fingerprint": .string(key.publicKey.fingerprint),
            "pinRequired": .bool(key.requiresPIN),
        ])
    }

    /// The server's view of the credential.
    static func credential(_ credential: AppCredential) -> JSONValue {
        .object([
            "userAuthenticatorId": .string(credential.userAuthenticatorId),
            "userId": .string(credential.userId),
            "verifiedAt": date(credential.verifiedAt),
            "lastVerifiedAt": date(credential.lastVerifiedAt),
            "expiresAt": date(credential.expiresAt),
        ])
    }

    /// What `status` and `enroll` print: the profile, the local key and the server's credential.
    static func status(profile: DeviceProfile, key: DeviceKeySummary, credential: AppCredential) -> JSONValue {
        .object([
            "profile": self.profile(profile),
            "key": self.key(key, of: profile),
            "credential": self.credential(credential),
        ])
    }

    /// A pending challenge with its context; `expiresInSeconds` is relative to `now` (never negative).
    static func challenge(_ challenge: AppChallenge, now: Date) -> JSONValue {
        .object([
            "challengeId": .string(challenge.challengeId),
            "userAuthenticatorId": .string(challenge.userAuthenticatorId),
            "userId": optional(challenge.userId),
            "actionCode": optional(challenge.actionCode),
            "idempotencyKey": optional(challenge.idempotencyKey),
            "deviceId": optional(challenge.deviceId),
            "userAgent": optional(challenge.userAgent),
            "ipAddress": optional(challenge.ipAddress),
            "expiresAt": date(challenge.expiresAt),
            "expiresInSeconds": challenge.expiresAt.map {
                .number(max(0, $0.timeIntervalSince(now)).rounded(.down))
            } ?? .null,
            "custom": challenge.custom ?? .null,
            "userCustom": challenge.userCustom ?? .null,
        ])
    }

    /// The answer to `approve` or `deny`.
    static func answer(challengeId: String, approved: Bool, isVerified: Bool) -> JSONValue {
        .object([
            "challengeId": .string(challengeId), "approved": .bool(approved), "isVerified": .bool(isVerified),
        ])
    }

    /// The result of `remove`.
    static func removal(profile: String, removedAuthenticatorId: String?) -> JSONValue {
        .object(["profile": .string(profile), "removedAuthenticatorId": optional(removedAuthenticatorId)])
    }

    private static func optional(_ text: String?) -> JSONValue {
        text.map { .string($0) } ?? .null
    }

    private static func date(_ date: Date?) -> JSONValue {
        date.map { .string($0.formatted(.iso8601)) } ?? .null
    }
}
