import FoundationEssentials
import HTTPTypes
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The device side of Authsignal push authentication for one profile: enroll this machine, fetch
/// pending challenges, approve or deny them, remove the credential.
///
/// Named after the Authsignal mobile SDKs' `push` namespace and byte-compatible with the Client API.
/// The private key stays in the profile's ``KeyStore``; it is loaded for each call, so a keyring that
/// was locked meanwhile is reported as `keyring_locked`, never as "not enrolled". No call loses
/// anything when it fails: the key is only deleted after the service confirmed the removal.
public final class DeviceCredentialClient: Sendable {
    /// The profile this client acts for.
    public let profile: DeviceProfile
    private let keyStore: any KeyStore
    private let keyFactory: any DeviceKeyFactory
    private let transport: any HTTPTransport
    private let logger: Logger
    private let endpoints: Endpoints
    private let keyCreation = Mutex<Void>(())
    private let now: @Sendable () -> Date

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
        guard keyFactory.kind == profile.keyKind else {
            throw DeviceCredentialError(
                code: .invalidConfiguration,
                message: "the profile holds a \(profile.keyKind) key but the key factory makes \(keyFactory.kind) keys")
        }
        self.profile = profile
        self.keyStore = keyStore
        self.keyFactory = keyFactory
        self.transport = transport
        self.endpoints = Endpoints(base: try APIURL(profile.apiURL), namespace: profile.namespace)
        self.now = now
        var logger = logger
        logger[metadataKey: "profile"] = "\(profile.name)"
        self.logger = logger
    }

    // MARK: Local key

    /// The public key of this profile's local key, or nil when there is none.
    /// Throws the key store's error (e.g. `keyring_locked`) when it cannot tell.
    public func localPublicKey() throws -> DevicePublicKey? {
        try keyStore.loadKey(profile: profile.name).map { try keyFactory.loadKey(from: $0).publicKey }
    }

    /// Whether signing with this profile's key needs a PIN (a TPM key created with one), so a caller
    /// can ask for it before approving. Reads the stored key only: touches neither the TPM nor the PIN.
    /// - Throws: `not_enrolled` without a local key; the key store's errors.
    public func localKeyRequiresPIN() throws -> Bool {
        try loadKey().requiresPIN
    }

    /// What can be shown about this profile's local key, from one read of its store; nil when there is
    /// none. Touches neither the TPM nor the PIN.
    public func localKeySummary() throws -> DeviceKeySummary? {
        try keyStore.loadKey(profile: profile.name).map {
            let key = try keyFactory.loadKey(from: $0)
            return DeviceKeySummary(publicKey: key.publicKey, kind: key.kind, requiresPIN: key.requiresPIN)
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
        let key = try loadOrCreateKey()
        let body = Wire.AddCredentialRequest(
            publicKey: key.publicKey.base64Representation,
            deviceName: deviceName ?? profile.deviceName ?? Self.hostName(),
            devicePlatform: profile.devicePlatform)
        let response = try await send(
            .post, endpoints.credential, authorization: "Bearer " + token, body: try Self.encode(body))
        let credential = try ResponseInterpreter.decode(Wire.Credential.self, from: response).value
        let shownID = DisplayText.terminal(credential.userAuthenticatorId)
        logger.info("credential added", metadata: ["userAuthenticatorId": "\(shownID)"])
        return credential
    }

    /// The service's view of this machine's credential.
    /// - Throws: `not_enrolled` without a local key; `invalid_credential` when the service no longer knows it.
    public func getCredential() async throws -> AppCredential {
        let key = try loadKey()
        let response = try await send(.get, endpoints.credential + query(key))
        return try ResponseInterpreter.decode(Wire.Credential.self, from: response).value
    }

    /// Removes the credential on the service, then deletes the local key.
    ///
    /// The key is deleted only once the service confirmed the removal, or said the credential is already
    /// gone (`invalid_credential`); after any other failure (network, server) it is kept, so the removal
    /// can be retried.
    /// - Returns: the removed authenticator's id, or nil when the service had already forgotten the credential.
    @discardableResult
    public func removeCredential() async throws -> String? {
        let key = try loadKey()
        let message = ProtocolEncoding.removeWindowMessage(unixSeconds: now().timeIntervalSince1970)
        let body = Wire.RemoveCredentialRequest(
            publicKey: key.publicKey.base64Representation,
            signature: try key.signature(for: message).base64Representation)
        let removedID: String?
        do {
            let response = try await send(.post, endpoints.credential + "/remove", body: try Self.encode(body))
            removedID = try ResponseInterpreter.decode(Wire.RemovedCredential.self, from: response)
                .removedAuthenticatorId
        } catch let error as DeviceCredentialError where error.code == .invalidCredential {
            logger.notice("credential already gone on the server; deleting the local key")
            removedID = nil
        }
        try keyStore.deleteKey(profile: profile.name)
        logger.info("credential removed")
        return removedID
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
            let nonceResponse = try await send(.post, endpoints.challenge + "/sign" + query(key))
            let nonce = try ResponseInterpreter.decode(Wire.Nonce.self, from: nonceResponse)
            headers[.authsignalSignature] = try key.signature(for: nonce.message).base64Representation
        } catch let error as DeviceCredentialError
            where error.isServiceOrTransportFailure || error.code == .tpmPINRequired
        {
            // A key with a PIN signs the nonce only when the PIN provider answers; polling must not prompt.
            logger.debug(
                "challenge nonce unavailable; using the unsigned request", metadata: ["error": "\(error.code)"])
        }
        let response = try await send(.get, endpoints.challenge + query(key), extraHeaders: headers)
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
            let response = try await send(.post, endpoints.challenge, body: try Self.encode(body))
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
        let nonceResponse = try await send(.post, endpoints.credential + "/sign" + query(key))
        let nonce = try ResponseInterpreter.decode(Wire.UpdateNonce.self, from: nonceResponse)
        let body = Wire.UpdateCredentialRequest(
            challengeId: nonce.challengeId, publicKey: key.publicKey.base64Representation,
            signature: try key.signature(for: nonce.message).base64Representation,
            resetExpiry: resetExpiry ? true : nil)
        let response = try await send(.patch, endpoints.credential, body: try Self.encode(body))
        return try ResponseInterpreter.decode(Wire.Credential.self, from: response).value
    }

    // MARK: Helpers

    private func loadKey() throws -> any DeviceSigningKey {
        guard let material = try keyStore.loadKey(profile: profile.name) else {
            throw DeviceCredentialError(
                code: .notEnrolled, message: "profile '\(profile.name)' has no key on this machine; enroll first")
        }
        return try keyFactory.loadKey(from: material)
    }

    private func loadOrCreateKey() throws -> any DeviceSigningKey {
        try keyCreation.withLock { _ in
            if let material = try keyStore.loadKey(profile: profile.name) {
                return try keyFactory.loadKey(from: material)
            }
            let key = try keyFactory.generateKey()
            try keyStore.storeKey(try key.keyMaterial(), for: profile.keyStoreItem)
            logger.info("key created", metadata: ["keyStore": "\(keyStore.kind)", "keyKind": "\(key.kind)"])
            return key
        }
    }

    private func query(_ key: any DeviceSigningKey) -> String {
        "?publicKey=" + key.publicKey.queryRepresentation
    }

    private func send(
        _ method: HTTPRequest.Method, _ url: String, authorization: String? = nil,
        extraHeaders: HTTPFields = [:], body: Data? = nil
    ) async throws -> (response: HTTPResponse, body: Data) {
        var headers: HTTPFields = [
            .authorization: authorization ?? ProtocolEncoding.basicAuthorization(tenantID: profile.tenantID),
            .accept: "application/json",
        ]
        if body != nil { headers[.contentType] = "application/json" }
        headers.append(contentsOf: extraHeaders)
        let path = url.dropFirst(endpoints.base.string.count).prefix { $0 != "?" }
        logger.debug("request", metadata: ["method": "\(method.rawValue)", "path": "\(path)"])
        guard let requestURL = URL(string: url) else {  // built from a validated APIURL: not expected
            throw DeviceCredentialError(code: .invalidConfiguration, message: "the request URL is not a URL")
        }
        let request = HTTPRequest(method: method, url: requestURL, headerFields: headers)
        let answer: (response: HTTPResponse, body: Data)
        do {
            answer = try await transport.send(request, body: body)
        } catch var error as DeviceCredentialError where error.code == .networkError {
            error.message += "; API URL \(shownBaseURL)"  // "server down" says which server
            throw error
        }
        let status = answer.response.status.code
        logger.debug("response", metadata: ["path": "\(path)", "status": "\(status)"])
        guard status == 200 else {
            var error = ResponseInterpreter.error(for: answer.response, body: answer.body, now: now())
            if [404, 405].contains(status), !endpoints.base.string.hasSuffix("/v1") {
                error.message +=
                    "; the API URL \(shownBaseURL) does not end with /v1 (e.g. https://api.authsignal.com/v1)"
            }
            throw error
        }
        return answer
    }

    /// The API URL as a message may show it: without any user name or password in it.
    private var shownBaseURL: String {
        let base = endpoints.base
        guard base.string.contains("@") else { return DisplayText.terminal(base.string) }
        return DisplayText.terminal("\(base.scheme)://\(base.host)" + (base.port.map { ":\($0)" } ?? ""))
    }

    private static func encode(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(body)
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "Linux device" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "Linux device" : name
    }
}

extension DeviceCredentialClient {
    /// The URLs of one namespace.
    struct Endpoints: Sendable {
        let base: APIURL
        let credential: String
        let challenge: String

        init(base: APIURL, namespace: DeviceNamespace) {
            self.base = base
            self.credential = base.string + "/client/user-authenticators/" + namespace.rawValue
            self.challenge = credential + "/challenge"
        }
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
