import DeviceCredentialTestSupport
import Foundation
import Logging
import Testing

@testable import DeviceCredential

/// The `qr` and `inapp` namespaces against the real devicecred-server over loopback: a key per namespace
/// (and per in-app user name) in one profile, the QR-code claim and answer, in-app verification.
@Suite("QR-code and in-app namespaces against devicecred-server")
struct QRAndInAppTests {
    private func client(_ server: ServerAPI, store: any KeyStore = InMemoryKeyStore(), logger: Logger? = nil) throws
        -> DeviceCredentialClient
    {
        try DeviceCredentialClient(
            profile: try server.profile(), keyStore: store,
            logger: logger ?? Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A token that may add a credential beside others.
    private func enrollToken(_ server: ServerAPI, _ userID: String) async throws -> String {
        try await server.track(userID: userID, action: "enroll", body: ["scope": "add:authenticators"]).token
    }

    @Test("one profile holds push, QR-code and in-app credentials, each with its own key; the push key keeps its name")
    func oneProfileSeveralNamespaces() async throws {
        let server = try TestServices.server()
        let store = InMemoryKeyStore()
        let client = try client(server, store: store)
        let name = client.profile.name
        let userID = ServerAPI.newUserID()
        let push = try await client.addCredential(token: try enrollToken(server, userID))
        let qr = try await client.qr.addCredential(token: try enrollToken(server, userID))
        let inApp = try await client.inApp.addCredential(token: try enrollToken(server, userID))
        let alice = try await client.inApp.addCredential(token: try enrollToken(server, userID), username: "alice")
        #expect(Set([push, qr, inApp, alice].map(\.userAuthenticatorId)).count == 4)
        #expect(Set([push, qr, inApp, alice].map(\.userId)) == [userID])

        // The push key is where it always was; the others beside it, under names no profile can have.
        let keys = [
            name, name + "@qr-code", name + "@in-app",
            name + "@in-app~" + Base64.urlEncodeUnpadded(Array("alice".utf8)),
        ]
        let publicKeys = try keys.map {
            try SoftwareKeyFactory().loadKey(from: #require(try store.loadKey(profile: $0))).publicKey
        }
        #expect(Set(publicKeys).count == 4)
        #expect(publicKeys[0] == (try client.localPublicKey()))
        #expect(publicKeys[1] == (try client.qr.localKeySummary()?.publicKey))
        #expect(publicKeys[3] == (try client.inApp.localKeySummary(username: "alice")?.publicKey))
        #expect(try client.inApp.localKeySummary(username: "bob") == nil)
        #expect(throws: DeviceCredentialError.self) { try DeviceProfile.validate(name: name + "@qr-code") }

        let listed = try await server.authenticators(userID: userID)
        #expect(listed.map(\.method) == ["PUSH", "QR_CODE", "IN_APP", "IN_APP"])
        #expect(try await client.qr.getCredential().userAuthenticatorId == qr.userAuthenticatorId)
        #expect(
            try await client.inApp.getCredential(username: "alice").userAuthenticatorId == alice.userAuthenticatorId)

        // Removing one namespace's credential leaves the others alone.
        #expect(try await client.qr.removeCredential() == qr.userAuthenticatorId)
        #expect(try client.qr.localKeySummary() == nil)
        #expect(try client.localPublicKey() == publicKeys[0])
        #expect(try await client.getCredential().userAuthenticatorId == push.userAuthenticatorId)
        await #expect(throws: DeviceCredentialError(code: .notEnrolled, message: "")) {
            try await client.qr.getCredential()
        }
        #expect(try await server.authenticators(userID: userID).map(\.method) == ["PUSH", "IN_APP", "IN_APP"])
    }

    @Test("a QR code is claimed with its context, approved, and the browser's token validates")
    func qrClaimAndApprove() async throws {
        let server = try TestServices.server()
        let logs = LogCapture()
        let client = try client(server, logger: logs.logger)
        let userID = ServerAPI.newUserID()
        _ = try await client.qr.addCredential(token: try enrollToken(server, userID))
        let signIn = try await server.track(
            userID: userID, action: "signIn",
            body: [
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
                "ipAddress": "198.51.100.7", "custom": ["note": "<b>hi</b>"],
            ])
        let code = try await server.createQRCode(token: signIn.token)

        let context = try await client.qr.claimChallenge(challengeId: code.challengeID)
        #expect(context.challengeId == code.challengeID)
        #expect(context.actionCode == "signIn" && context.idempotencyKey == signIn.idempotencyKey)
        #expect(context.ipAddress == "198.51.100.7" && context.userAgent?.contains("Firefox/140.0") == true)
        #expect(context.custom == .object(["note": .string("<b>hi</b>")]))
        #expect(try await server.poll(code)["isClaimed"] as? Bool == true)

        #expect(try await client.qr.updateChallenge(challengeId: code.challengeID, approved: true))
        let verdict = try await server.poll(code)
        #expect(verdict["isVerified"] as? Bool == true)
        let validation = try await server.validate(token: try #require(verdict["token"] as? String))
        #expect(validation["isValid"] as? Bool == true && validation["verificationMethod"] as? String == "QR_CODE")

        // Answered once; an unknown challenge is the service's not_found, said as such.
        await #expect(throws: DeviceCredentialError.self) {
            try await client.qr.updateChallenge(challengeId: code.challengeID, approved: false)
        }
        do {
            _ = try await client.qr.claimChallenge(challengeId: UUID().uuidString.lowercased())
            Issue.record("an unknown challenge was claimed")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .notFound && error.httpStatus == 404)
        }
        // The log names the challenge, never a key or signature.
        let logged = logs.lines.joined(separator: "\n")
        #expect(logged.contains("QR-code challenge claimed"))
        #expect(!logged.contains(try #require(try client.qr.localKeySummary()).publicKey.base64Representation))
    }

    @Test("a denied QR code is consumed without a token")
    func qrDeny() async throws {
        let server = try TestServices.server()
        let client = try client(server)
        _ = try await client.qr.addCredential(token: try enrollToken(server, ServerAPI.newUserID()))
        let code = try await server.createQRCode()
        _ = try await client.qr.claimChallenge(challengeId: code.challengeID)
        #expect(try await client.qr.updateChallenge(challengeId: code.challengeID, approved: false) == false)
        let verdict = try await server.poll(code)
        #expect(verdict["isConsumed"] as? Bool == true && verdict["isVerified"] as? Bool == false)
        #expect(verdict["token"] == nil)
    }

    @Test("in-app verify returns a token the backend validates, per user name and with the track token")
    func inAppVerify() async throws {
        let server = try TestServices.server()
        let logs = LogCapture()
        let client = try client(server, logger: logs.logger)
        let userID = ServerAPI.newUserID()
        let shared = try await client.inApp.addCredential(token: try enrollToken(server, userID))
        let alice = try await client.inApp.addCredential(token: try enrollToken(server, userID), username: "alice")

        let proof = try await client.inApp.verify(action: "vpnConnect")
        #expect(proof.userId == userID && proof.userAuthenticatorId == shared.userAuthenticatorId)
        let validation = try await server.validate(token: proof.token)
        #expect(validation["isValid"] as? Bool == true && validation["action"] as? String == "vpnConnect")
        #expect(validation["verificationMethod"] as? String == "IN_APP")

        let aliceProof = try await client.inApp.verify(action: "vpnConnect", username: "alice")
        #expect(aliceProof.userAuthenticatorId == alice.userAuthenticatorId)

        let signIn = try await server.track(userID: userID, action: "signIn")
        let tracked = try await client.inApp.verify(token: signIn.token)
        let trackedValidation = try await server.validate(token: tracked.token)
        #expect(trackedValidation["idempotencyKey"] as? String == signIn.idempotencyKey)
        #expect(trackedValidation["isValid"] as? Bool == true)

        await #expect(throws: DeviceCredentialError(code: .notEnrolled, message: "")) {
            try await client.inApp.verify(action: "vpnConnect", username: "bob")
        }
        await #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
            try await client.inApp.verify(action: "x", username: String(repeating: "u", count: 129))
        }
        let logged = logs.lines.joined(separator: "\n")
        #expect(logged.contains("in-app verification made"))
        #expect(!logged.contains(proof.token) && !logged.contains(signIn.token))
    }

    @Test("file store: one 0600 file per namespace and user name, names that are no profile's")
    func fileStoreKeepsAKeyPerNamespace() async throws {
        let server = try TestServices.server()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FileKeyStore(directory: directory.path)
        let client = try client(server, store: store)
        let userID = ServerAPI.newUserID()
        _ = try await client.addCredential(token: try enrollToken(server, userID))
        _ = try await client.qr.addCredential(token: try enrollToken(server, userID))
        _ = try await client.inApp.addCredential(token: try enrollToken(server, userID), username: "ünïcode/user")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let name = client.profile.name
        #expect(files.count == 3)
        #expect(files.contains(name + ".pem") && files.contains(name + "@qr-code.pem"))
        #expect(files.contains { $0.hasPrefix(name + "@in-app~") && !$0.dropFirst(name.count).contains("/") })
        _ = try await client.inApp.verify(action: "login", username: "ünïcode/user")
        #expect(throws: DeviceCredentialError.self) { try store.loadKey(profile: "../escape") }
        #expect(throws: DeviceCredentialError.self) { try store.loadKey(profile: name + "@qr-code/../x") }
    }

    @Test("a 429 on a claim carries Retry-After; nothing is lost")
    func claimRetryAfter() async throws {
        let fixture = try HTTPFixture(
            always: .respond(
                status: 429, headers: ["Retry-After": "9", "Content-Type": "application/json"],
                body: #"{"error":"too_many_requests","errorCode":"too_many_requests","errorDescription":"slow down"}"#))
        defer { fixture.stop() }
        let store = InMemoryKeyStore()
        let profile = try DeviceProfile(name: "limits", apiURL: fixture.baseURL, tenantID: "tenant", keyStore: .memory)
        let key = try SoftwareSigningKey()
        let slot = try KeySlot(profile: profile, namespace: .qrCode)
        try store.storeKey(try key.keyMaterial(), for: profile.keyStoreItem(slot))
        try store.storeKey(
            try key.keyMaterial(), for: profile.keyStoreItem(try KeySlot(profile: profile, namespace: .inApp)))
        let client = try DeviceCredentialClient(profile: profile, keyStore: store)
        do {
            _ = try await client.qr.claimChallenge(challengeId: "c1")
            Issue.record("a 429 did not throw")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .tooManyRequests && error.retryAfter == .seconds(9))
        }
        await #expect(throws: DeviceCredentialError(code: .tooManyRequests, message: "")) {
            try await client.inApp.verify(action: "a")
        }
        #expect(try store.loadKey(profile: "limits@qr-code") != nil)
    }

    @Test("cancelling a claim or a verification stops the request, long before the timeout; the keys stay")
    func cancelledWhileTheServerIsSilent() async throws {
        for namespace in [DeviceNamespace.qrCode, .inApp] {
            let fixture = try HTTPFixture(always: .hang)
            defer { fixture.stop() }
            let store = InMemoryKeyStore()
            let profile = try DeviceProfile(
                name: "silent", apiURL: fixture.baseURL, tenantID: "tenant", keyStore: .memory)
            let key = try SoftwareSigningKey()
            try store.storeKey(
                try key.keyMaterial(), for: profile.keyStoreItem(try KeySlot(profile: profile, namespace: namespace)))
            // Without working cancellation the request would end with the timeout: network_error, not cancelled.
            let transport = CurlTransport(configuration: HTTPTransportConfiguration(timeout: .seconds(60)))
            let client = try DeviceCredentialClient(profile: profile, keyStore: store, transport: transport)
            let request = Task {
                if namespace == .qrCode {
                    _ = try await client.qr.claimChallenge(challengeId: "c1")
                } else {
                    _ = try await client.inApp.verify(action: "a")
                }
            }
            try await fixture.waitForRequest()
            request.cancel()
            let result = await request.result
            #expect(throws: CancellationError.self, "\(namespace)") { try result.get() }
            #expect(try store.loadKey(profile: "silent@\(namespace.rawValue)") != nil)
        }
    }
}
