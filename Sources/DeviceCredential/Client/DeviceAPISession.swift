import DeviceCredentialLocking
import FoundationEssentials
import HTTPTypes
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What the push, QR-code and in-app clients of one profile share: the key store and factory, the
/// transport, and the one way a request is sent and its answer turned into a value or an error.
final class DeviceAPISession: Sendable {
    let profile: DeviceProfile
    let keyStore: any KeyStore
    let keyFactory: any DeviceKeyFactory
    let transport: any HTTPTransport
    let logger: Logger
    let base: APIURL
    let now: @Sendable () -> Date
    private let keyCreation = Locked<Void>(())

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
        self.base = try APIURL(profile.apiURL)
        self.now = now
        var logger = logger
        logger[metadataKey: "profile"] = "\(profile.name)"
        self.logger = logger
    }

    /// The URL of a namespace's credential endpoint, e.g. `{base}/client/user-authenticators/qr-code`.
    func credentialURL(_ namespace: DeviceNamespace) -> String {
        base.string + "/client/user-authenticators/" + namespace.rawValue
    }

    // MARK: Keys

    /// The key stored under `slot`; nil when there is none.
    func storedKey(_ slot: KeySlot) throws -> (any DeviceSigningKey)? {
        try keyStore.loadKey(profile: slot.keyName).map { try keyFactory.loadKey(from: $0) }
    }

    /// The key stored under `slot`; `not_enrolled` when there is none.
    func loadKey(_ slot: KeySlot) throws -> any DeviceSigningKey {
        guard let key = try storedKey(slot) else {
            throw DeviceCredentialError(
                code: .notEnrolled,
                message: "profile '\(profile.name)' has no \(slot.shownName) key on this machine; enroll first")
        }
        return key
    }

    /// The key stored under `slot`, created and stored first when there is none.
    func loadOrCreateKey(_ slot: KeySlot) throws -> any DeviceSigningKey {
        try keyCreation.withLock { _ in
            if let key = try storedKey(slot) { return key }
            let key = try keyFactory.generateKey()
            try keyStore.storeKey(try key.keyMaterial(), for: profile.keyStoreItem(slot))
            logger.info(
                "key created",
                metadata: [
                    "keyStore": "\(keyStore.kind)", "keyKind": "\(key.kind)", "namespace": "\(slot.namespace)",
                ])
            return key
        }
    }

    /// Deletes the key stored under `slot`.
    func deleteKey(_ slot: KeySlot) throws {
        try keyStore.deleteKey(profile: slot.keyName)
    }

    /// Adds the credential of `key` in `namespace` (`POST {namespace}` with the track token).
    func addCredential(_ key: any DeviceSigningKey, in namespace: DeviceNamespace, token: String, deviceName: String?)
        async throws -> AppCredential
    {
        let body = Wire.AddCredentialRequest(
            publicKey: key.publicKey.base64Representation,
            deviceName: deviceName ?? profile.deviceName ?? Self.hostName(),
            devicePlatform: profile.devicePlatform)
        let response = try await send(
            .post, credentialURL(namespace), authorization: "Bearer " + token, body: try Self.encode(body))
        let credential = try ResponseInterpreter.decode(Wire.Credential.self, from: response).value
        let shownID = DisplayText.terminal(credential.userAuthenticatorId)
        logger.info(
            "credential added", metadata: ["userAuthenticatorId": "\(shownID)", "namespace": "\(namespace)"])
        return credential
    }

    /// The service's view of the credential of `key` in `namespace`.
    func getCredential(_ key: any DeviceSigningKey, in namespace: DeviceNamespace) async throws -> AppCredential {
        let response = try await send(.get, credentialURL(namespace) + Self.query(key))
        return try ResponseInterpreter.decode(Wire.Credential.self, from: response).value
    }

    /// Removes the credential of `slot` on the service, then its key: only once the service confirmed the
    /// removal or said the credential is already gone (`invalid_credential`).
    func removeCredential(_ slot: KeySlot) async throws -> String? {
        let key = try loadKey(slot)
        let message = ProtocolEncoding.removeWindowMessage(unixSeconds: now().timeIntervalSince1970)
        let body = Wire.RemoveCredentialRequest(
            publicKey: key.publicKey.base64Representation,
            signature: try key.signature(for: message).base64Representation)
        let removedID: String?
        do {
            let response = try await send(
                .post, credentialURL(slot.namespace) + "/remove", body: try Self.encode(body))
            removedID = try ResponseInterpreter.decode(Wire.RemovedCredential.self, from: response)
                .removedAuthenticatorId
        } catch let error as DeviceCredentialError where error.code == .invalidCredential {
            logger.notice("credential already gone on the server; deleting the local key")
            removedID = nil
        }
        try deleteKey(slot)
        logger.info("credential removed", metadata: ["namespace": "\(slot.namespace)"])
        return removedID
    }

    // MARK: Requests

    static func query(_ key: any DeviceSigningKey) -> String {
        "?publicKey=" + key.publicKey.queryRepresentation
    }

    /// Sends one request (tenant Basic auth unless `authorization` is given) and returns a 200 answer;
    /// anything else is thrown as the protocol's error, with `Retry-After` read.
    func send(
        _ method: HTTPRequest.Method, _ url: String, authorization: String? = nil,
        extraHeaders: HTTPFields = [:], body: Data? = nil
    ) async throws -> (response: HTTPResponse, body: Data) {
        var headers: HTTPFields = [
            .authorization: authorization ?? ProtocolEncoding.basicAuthorization(tenantID: profile.tenantID),
            .accept: "application/json",
        ]
        if body != nil { headers[.contentType] = "application/json" }
        headers.append(contentsOf: extraHeaders)
        let path = url.dropFirst(base.string.count).prefix { $0 != "?" }
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
            if [404, 405].contains(status), !base.string.hasSuffix("/v1") {
                error.message +=
                    "; the API URL \(shownBaseURL) does not end with /v1 (e.g. https://api.authsignal.com/v1)"
            }
            throw error
        }
        return answer
    }

    /// The API URL as a message may show it: without any user name or password in it.
    private var shownBaseURL: String {
        guard base.string.contains("@") else { return DisplayText.terminal(base.string) }
        return DisplayText.terminal("\(base.scheme)://\(base.host)" + (base.port.map { ":\($0)" } ?? ""))
    }

    static func encode(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(body)
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "Linux device" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "Linux device" : name
    }
}
