import FoundationEssentials

/// The QR-code namespace of a profile (the SDKs' `qr`): a browser shows a challenge as a QR code, this
/// machine claims it (which shows the person the sign-in's context), then approves or denies it.
///
/// Its key is its own, beside the profile's push key, in the profile's key store (a TPM key when the
/// profile holds TPM keys). Obtained from ``DeviceCredentialClient/qr``. Errors, `Retry-After` and
/// logging are the push client's: fixed messages, never a key, token or signature.
public struct QRCodeClient: Sendable {
    let session: DeviceAPISession

    private var slot: KeySlot { get throws { try KeySlot(profile: session.profile, namespace: .qrCode) } }
    private var credentialURL: String { session.credentialURL(.qrCode) }

    /// What can be shown about the local QR-code key; nil when there is none. Touches neither TPM nor PIN.
    public func localKeySummary() throws -> DeviceKeySummary? {
        try session.storedKey(try slot).map {
            DeviceKeySummary(publicKey: $0.publicKey, kind: $0.kind, requiresPIN: $0.requiresPIN)
        }
    }

    /// Enrolls this machine's QR-code credential: creates its key if there is none (so enrolling again
    /// registers the same key), then registers the public key with a `track` token.
    /// - Throws: `expired_token`, `unauthorized`, `invalid_request`, the key store's and transport's errors;
    ///   the key is kept on failure.
    public func addCredential(token: String, deviceName: String? = nil) async throws -> AppCredential {
        try await session.addCredential(
            try session.loadOrCreateKey(try slot), in: .qrCode, token: token, deviceName: deviceName)
    }

    /// The service's view of the QR-code credential.
    /// - Throws: `not_enrolled` without a local key; `invalid_credential` when the service no longer knows it.
    public func getCredential() async throws -> AppCredential {
        try await session.getCredential(try session.loadKey(try slot), in: .qrCode)
    }

    /// Removes the QR-code credential on the service, then its key (kept after any failure but
    /// `invalid_credential`, so the removal can be retried).
    /// - Returns: the removed authenticator's id, or nil when the service had already forgotten it.
    @discardableResult
    public func removeCredential() async throws -> String? {
        try await session.removeCredential(try slot)
    }

    /// Claims the challenge a browser shows as a QR code: from now on only this credential can answer it,
    /// and the browser sees it claimed.
    /// - Parameter challengeId: the challenge id the QR code holds.
    /// - Returns: the sign-in's context, to show the person before they approve or deny.
    /// - Throws: `not_enrolled`; the service's errors (`not_found`, `expired_token`, a claim by another
    ///   credential); `claim_refused` when the service answers `success: false`.
    public func claimChallenge(challengeId: String) async throws -> QRChallengeContext {
        let key = try session.loadKey(try slot)
        let body = Wire.SignedChallengeRequest(
            challengeId: challengeId, publicKey: key.publicKey.base64Representation,
            signature: try key.signature(for: challengeId).base64Representation)
        let response = try await session.send(
            .post, credentialURL + "/challenge/claim", body: try DeviceAPISession.encode(body))
        let claimed = try ResponseInterpreter.decode(Wire.ClaimedChallenge.self, from: response)
        guard claimed.success != false else {
            throw DeviceCredentialError(
                code: .claimRefused, message: "the service refused to let this machine claim the challenge")
        }
        session.logger.info(
            "QR-code challenge claimed", metadata: ["challengeId": "\(DisplayText.terminal(challengeId))"])
        return QRChallengeContext(
            challengeId: challengeId, actionCode: claimed.actionCode, idempotencyKey: claimed.idempotencyKey,
            ipAddress: claimed.ipAddress, userAgent: claimed.userAgent, custom: claimed.custom,
            userCustom: claimed.user?.custom)
    }

    /// Approves or denies a claimed challenge by signing its id.
    /// - Parameters:
    ///   - verificationCode: the number-matching code the browser shows, when the challenge uses one.
    /// - Returns: whether the service verified the answer (`isVerified`).
    @discardableResult
    public func updateChallenge(challengeId: String, approved: Bool, verificationCode: String? = nil) async throws
        -> Bool
    {
        let key = try session.loadKey(try slot)
        let body = Wire.UpdateChallengeRequest(
            challengeId: challengeId, publicKey: key.publicKey.base64Representation, approved: approved,
            signature: try key.signature(for: challengeId).base64Representation, verificationCode: verificationCode)
        let response = try await session.send(
            .post, credentialURL + "/challenge", body: try DeviceAPISession.encode(body))
        let verdict = try ResponseInterpreter.decode(Wire.ChallengeVerdict.self, from: response)
        session.logger.info(
            "QR-code challenge answered",
            metadata: ["challengeId": "\(DisplayText.terminal(challengeId))", "approved": "\(approved)"])
        return verdict.isVerified ?? false
    }
}
