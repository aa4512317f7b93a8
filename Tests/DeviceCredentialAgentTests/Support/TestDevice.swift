import DeviceCredential
import DeviceCredentialTestSupport
import Foundation

/// An enrolled profile: a user with a push credential whose key lives in a test home.
struct TestDevice: Sendable {
    var profile: DeviceProfile
    var userID: String
    var keyStore: any KeyStore

    /// Enrolls a new user through the library API (addCredential, then ProfileStore.save as the CLI does).
    static func enroll(
        in home: TestHome, backend: ServerAPI, keyStore kind: KeyStoreKind = .file, numberMatching: Bool = false,
        name: String? = nil
    ) async throws -> TestDevice {
        let userID = "agent-user-" + UUID().uuidString.lowercased()
        let tracked = try await backend.track(userID: userID, action: "enroll")
        guard tracked.state == "ALLOW" else { throw TestFailure("enrollment track gave \(tracked.state)") }
        let profile = try DeviceProfile(
            name: name ?? "agent-" + UUID().uuidString.prefix(8).lowercased(), apiURL: backend.apiURL,
            tenantID: backend.tenantID, deviceName: "agent test", keyStore: kind, usesNumberMatching: numberMatching)
        let keyStore: any KeyStore = kind == .file ? home.fileKeyStore : SecretServiceKeyStore()
        let client = try DeviceCredentialClient(
            profile: profile, keyStore: keyStore)
        let credential = try await client.addCredential(token: tracked.token)
        // As `devicecred enroll` records it: enrolling again gives another authenticator id.
        var enrolled = profile
        enrolled.userID = credential.userId
        enrolled.userAuthenticatorID = credential.userAuthenticatorId
        try home.profileStore.save(enrolled)
        return TestDevice(profile: enrolled, userID: userID, keyStore: keyStore)
    }

    func client() throws -> DeviceCredentialClient {
        try DeviceCredentialClient(profile: profile, keyStore: keyStore)
    }
}
