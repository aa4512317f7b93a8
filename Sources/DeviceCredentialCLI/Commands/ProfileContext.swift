import DeviceCredential
import Logging

/// An enrolled profile opened for a command: its saved settings (with this run's `--api-url` and
/// `--tenant-id`, which are not saved) and a client over its key store.
struct ProfileContext {
    let store: ProfileStore
    let profile: DeviceProfile
    let client: DeviceCredentialClient

    /// Opens the profile `options` names; `not_enrolled` when this machine has no such profile.
    static func open(_ options: ProfileOptions, logger: Logger) throws -> ProfileContext {
        let store = try ProfileStore.standard()
        guard var profile = try store.profile(named: options.profile) else {
            throw CommandFailure.notEnrolled(profile: options.profile)
        }
        if let apiURL = options.apiURL { profile.apiURL = apiURL }
        if let tenantID = options.tenantID { profile.tenantID = tenantID }
        let client = try DeviceCredentialClient(profile: profile, logger: logger)
        return ProfileContext(store: store, profile: profile, client: client)
    }

    /// The local key's public half; `not_enrolled` when the profile's store has no key for it.
    func requirePublicKey() throws -> DevicePublicKey {
        guard let publicKey = try client.localPublicKey() else {
            throw CommandFailure(
                code: DeviceCredentialError.Code.notEnrolled.rawValue,
                message: "the profile '\(profile.name)' has no key in its \(profile.keyStore) store; enroll again",
                status: .notEnrolled)
        }
        return publicKey
    }
}
