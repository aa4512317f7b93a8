import FoundationEssentials
import HTTPTypes
public import Logging

/// The device side of Authsignal push authentication for one profile: enroll this machine, fetch
/// pending challenges, approve or deny them, remove the credential.
///
/// Named after the Authsignal mobile SDKs' `push` namespace and byte-compatible with the Client API.
/// The private key stays in the profile's ``KeyStore``; it is loaded for each call, so a keyring that
/// was locked meanwhile is reported as `keyring_locked`, never as "not enrolled". No call loses
/// anything when it fails: the key is only deleted after the service confirmed the removal.
public final class DeviceCredentialClient: Sendable {
    /// The profile this client acts for.
    public var profile: DeviceProfile { session.profile }
    let session: DeviceAPISession
    private let slot: KeySlot
    private var logger: Logger { session.logger }
    private var credentialURL: String { session.credentialURL(profile.namespace) }
    private var challengeURL: String { credentialURL + "/challenge" }

    /// The profile's QR-code credential (the SDKs' `qr` namespace): its own key, beside the push key.
    public var qr: QRCodeClient { QRCodeClient(session: session) }
    /// The profile's in-app credentials (the SDKs' `inapp` namespace): a key of their own, and one per user name.
    public var inApp: InAppClient { InAppClient(session: session) }

    /// Creates a client.
    /// - Parameters:
    ///   - profile: the enrollment's settings (API URL, tenant, namespace, platform).
    ///   - keyStore: where the profile's key lives; should match `profile.keyStore`.
    ///   - keyFactory: makes new keys for `addCredential` and loads stored ones; must match `profile.keyKind`.
    ///   - transport: the HTTP transport (default: the system libcurl).
    ///   - logger: receives fixed messages with metadata; never keys, tokens or signatures.
    public convenience init(
        profile: DeviceProfile,
        keyStore: any KeyStore,
        keyFactory: any DeviceKeyFactory = SoftwareKeyFactory(),
        transport: any HTTPTransport = CurlTransport(),
        logger: Logger = Logger(label: "DeviceCredential", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        try self.init(
            profile: profile, keyStore: keyStore, keyFactory: keyFactory, transport: transport, logger: logger,
            now: { Date() })
    }

    init(
        profile: DeviceProfile, keyStore: any KeyStore, keyFactory: any DeviceKeyFactory, transport: any HTTPTransport,
        logger: Logger, now: @escaping @Sendable () -> Date
    ) throws {
        session = try DeviceAPISession(
            profile: profile, keyStore: keyStore, keyFactory: keyFactory, transport: transport, logger: logger, now: now
        )
        slot = try KeySlot(profile: profile, namespace: profile.namespace)
    }

    // MARK: Local key

    /// The public key of this profile's local key, or nil when there is none.
    /// Throws the key store's error (e.g. `keyring_locked`) when it cannot tell.
    public func localPublicKey() throws -> DevicePublicKey? {
        try session.storedKey(slot)?.publicKey
    }

    /// Whether signing with this profile's key needs a PIN (a TPM key created with one), so a caller
    /// can ask for it before approving. Reads the stored key only: touches neither the TPM nor the PIN.
    /// - Throws: `not_enrolled` without a local key; the key store's errors.
    public func localKeyRequiresPIN() throws -> Bool {
        try session.loadKey(slot).requiresPIN
    }

    /// What can be shown about this profile's local key, from one read of its store; nil when there is
    /// none. Touches neither the TPM nor the PIN.
    public func localKeySummary() throws -> DeviceKeySummary? {
        try session.storedKey(slot).map {
            DeviceKeySummary(publicKey: $0.publicKey, kind: $0.kind, requiresPIN: $0.requiresPIN)
        }
    }

    // MARK: The push namespace

    /// Enrolls this machine: creates the profile's key if it has none (reusing an existing one, so
    /// enrolling again is idempotent), then registers its public key with the service.
    ///
    /// - Parameters:
    ///   - token: a token from the backend's `track` call (never logged).
    ///   - deviceName: shown to the user in their list of devices; default: the profile's, else the host name.
    /// - Throws: `expired_token`, `unauthorized`, `invalid_request`, the key store's and transport's errors.
    ///   The key is kept on failure, so a retry registers the same key.
    public func addCredential(token: String, deviceName: String? = nil) async throws -> AppCredential {
        try await session.addCredential(
            try session.loadOrCreateKey(slot), in: profile.namespace, token: token, deviceName: deviceName)
    }

    /// The service's view of this machine's credential.
    /// - Throws: `not_enrolled` without a local key; `invalid_credential` when the service no longer knows it.
    public func getCredential() async throws -> AppCredential {
        try await session.getCredential(try session.loadKey(slot), in: profile.namespace)
    }

    /// Removes the credential on the service, then deletes the local key.
    ///
    /// The key is deleted only once the service confirmed the removal, or said the credential is already
    /// gone (`invalid_credential`); after any other failure (network, server) it is kept, so the removal
    /// can be retried.
    /// - Returns: the removed authenticator's id, or nil when the service had already forgotten the credential.
    @discardableResult
    public func removeCredential() async throws -> String? {
        try await session.removeCredential(slot)
    }

    /// The pending challenge for this credential, or nil when nothing is pending.
    ///
    /// Uses the signed flow (fetch a nonce, sign it, send the signature), which also returns the
    /// action's and user's custom data; when the nonce step fails it falls back to the unsigned GET, as
    /// the official SDKs do (then ``AppChallenge/custom`` and ``AppChallenge/userCustom`` are nil).
    public func getChallenge() async throws -> AppChallenge? {
        let key = try loadKey()
        var headers = HTTPFields()
        do {
            let nonceResponse = try await send(.post, challengeURL + "/sign" + query(key))
            let nonce = try ResponseInterpreter.decode(Wire.Nonce.self, from: nonceResponse)
            headers[.authsignalSignature] = try key.signature(for: nonce.message).base64Representation
        } catch let error as DeviceCredentialError
            where error.isServiceOrTransportFailure || error.code == .tpmPINRequired
        {
            // A key with a PIN signs the nonce only when the PIN provider answers; polling must not prompt.
            logger.debug(
                "challenge nonce unavailable; using the unsigned request", metadata: ["error": "\(error.code)"])
        }
        let response = try await send(.get, challengeURL + query(key), extraHeaders: headers)
        return try ResponseInterpreter.decode(Wire.Challenge.self, from: response).value
    }

    /// Approves or denies a challenge by signing its id.
    /// - Parameters:
    ///   - challengeId: from ``getChallenge()`` (or from elsewhere, e.g. a notification).
    ///   - approved: true to approve, false to deny.
    ///   - verificationCode: the number-matching code the person typed, when the challenge uses one.
    /// - Returns: whether the service verified the answer (`isVerified`).
    /// - Throws: `already_answered`, before signing, when another answer to it from this machine (the agent,
    ///   the CLI, an app) is being sent or was sent (see `$XDG_RUNTIME_DIR/devicecred/answers/`).
    @discardableResult
    public func updateChallenge(challengeId: String, approved: Bool, verificationCode: String? = nil) async throws
        -> Bool
    {
        // One answer per challenge from this machine: taken before signing, held until the server answered.
        let claim = try AnswerClaim.take(profile: profile.name, challengeId: challengeId)
        let key = try loadKey()
        let body = Wire.UpdateChallengeRequest(
            challengeId: challengeId, publicKey: key.publicKey.base64Representation, approved: approved,
            signature: try key.signature(for: challengeId).base64Representation, verificationCode: verificationCode)
        let verdict: Wire.ChallengeVerdict
        do {
            let response = try await send(.post, challengeURL, body: try Self.encode(body))
            verdict = try ResponseInterpreter.decode(Wire.ChallengeVerdict.self, from: response)
        } catch let error as DeviceCredentialError where error.httpStatus == 409 {
            // The server took another answer (another device, or one sent before this machine claimed it).
            claim?.markAnswered()
            throw error
        }
        claim?.markAnswered()
        logger.info(
            "challenge answered",
            metadata: ["challengeId": "\(DisplayText.terminal(challengeId))", "approved": "\(approved)"])
        return verdict.isVerified ?? false
    }

    /// Proves possession of the key to the service (signing a fresh nonce), refreshing `lastVerifiedAt`.
    /// - Parameter resetExpiry: also restart the credential's expiry period.
    public func updateCredential(resetExpiry: Bool = false) async throws -> AppCredential {
        let key = try loadKey()
        let nonceResponse = try await send(.post, credentialURL + "/sign" + query(key))
        let nonce = try ResponseInterpreter.decode(Wire.UpdateNonce.self, from: nonceResponse)
        let body = Wire.UpdateCredentialRequest(
            challengeId: nonce.challengeId, publicKey: key.publicKey.base64Representation,
            signature: try key.signature(for: nonce.message).base64Representation,
            resetExpiry: resetExpiry ? true : nil)
        let response = try await send(.patch, credentialURL, body: try Self.encode(body))
        return try ResponseInterpreter.decode(Wire.Credential.self, from: response).value
    }

    // MARK: Helpers

    private func loadKey() throws -> any DeviceSigningKey {
        try session.loadKey(slot)
    }

    private func query(_ key: any DeviceSigningKey) -> String {
        DeviceAPISession.query(key)
    }

    private func send(
        _ method: HTTPRequest.Method, _ url: String, extraHeaders: HTTPFields = [:], body: Data? = nil
    ) async throws -> (response: HTTPResponse, body: Data) {
        try await session.send(method, url, extraHeaders: extraHeaders, body: body)
    }

    private static func encode(_ body: some Encodable) throws -> Data {
        try DeviceAPISession.encode(body)
    }
}

extension DeviceCredentialError {
    /// Failures of the service or the network (as opposed to local key or keyring failures).
    var isServiceOrTransportFailure: Bool {
        httpStatus != nil || [.networkError, .invalidResponse, .serverError].contains(code)
    }
}

extension HTTPField.Name {
    /// The signed nonce on a challenge request (PROTOCOL.md); a valid field name, so never nil.
    fileprivate static let authsignalSignature = HTTPField.Name("X-Authsignal-Signature")!
}
