import FoundationEssentials

/// The in-app namespace of a profile (the SDKs' `inapp`): proves to an app's backend that a request
/// comes from this enrolled machine (and, with a TPM key with a PIN, from its user), by signing a
/// challenge the service hands out and returning the token the backend checks with `validate`.
///
/// One key for the namespace, and one per `username` when one is given, in the profile's key store (a
/// TPM key when the profile holds TPM keys). Obtained from ``DeviceCredentialClient/inApp``. Errors,
/// `Retry-After` and logging are the push client's: fixed messages, never a key, token or signature.
public struct InAppClient: Sendable {
    let session: DeviceAPISession

    private func slot(_ username: String?) throws -> KeySlot {
        try KeySlot(profile: session.profile, namespace: .inApp, username: username)
    }

    private var base: String { session.base.string }

    /// What can be shown about the local in-app key (of `username`); nil when there is none.
    public func localKeySummary(username: String? = nil) throws -> DeviceKeySummary? {
        try session.storedKey(try slot(username)).map {
            DeviceKeySummary(publicKey: $0.publicKey, kind: $0.kind, requiresPIN: $0.requiresPIN)
        }
    }

    /// Enrolls an in-app credential: creates its key (the namespace's, or `username`'s) if there is none,
    /// then registers the public key with a `track` token.
    /// - Throws: `expired_token`, `unauthorized`, `invalid_request`, `invalid_configuration` for a user name
    ///   that is empty or longer than 128 bytes; the key is kept on failure.
    public func addCredential(token: String, username: String? = nil, deviceName: String? = nil) async throws
        -> AppCredential
    {
        try await session.addCredential(
            try session.loadOrCreateKey(try slot(username)), in: .inApp, token: token, deviceName: deviceName)
    }

    /// The service's view of the in-app credential (of `username`).
    public func getCredential(username: String? = nil) async throws -> AppCredential {
        try await session.getCredential(try session.loadKey(try slot(username)), in: .inApp)
    }

    /// Removes the in-app credential (of `username`) on the service, then its key.
    @discardableResult
    public func removeCredential(username: String? = nil) async throws -> String? {
        try await session.removeCredential(try slot(username))
    }

    /// Proves this machine holds the in-app key: asks the service for a challenge, signs its id, and
    /// returns the token the app's backend validates.
    /// - Parameters:
    ///   - action: the action code the token is for; nil verifies the action of `token`.
    ///   - username: whose in-app key signs (nil: the namespace's key).
    ///   - token: a `track` token, sent as Bearer when no action is given (the SDKs' cached token).
    /// - Throws: `not_enrolled` without the key; the service's errors.
    public func verify(action: String? = nil, username: String? = nil, token: String? = nil) async throws
        -> InAppVerification
    {
        let key = try session.loadKey(try slot(username))
        let challengeResponse = try await session.send(
            .post, base + "/client/challenge",
            body: try DeviceAPISession.encode(Wire.InAppChallengeRequest(action: action)))
        let challenge = try ResponseInterpreter.decode(Wire.InAppChallenge.self, from: challengeResponse)
        let body = Wire.SignedChallengeRequest(
            challengeId: challenge.challengeId, publicKey: key.publicKey.base64Representation,
            signature: try key.signature(for: challenge.challengeId).base64Representation)
        let authorization = action == nil ? token.map { "Bearer " + $0 } : nil
        let response = try await session.send(
            .post, base + "/client/verify/in-app", authorization: authorization, body: try DeviceAPISession.encode(body)
        )
        let verified = try ResponseInterpreter.decode(Wire.InAppVerified.self, from: response)
        session.logger.info(
            "in-app verification made",
            metadata: ["userAuthenticatorId": "\(DisplayText.terminal(verified.userAuthenticatorId))"])
        return InAppVerification(
            token: verified.token, userId: verified.userId, userAuthenticatorId: verified.userAuthenticatorId,
            username: verified.username)
    }
}
