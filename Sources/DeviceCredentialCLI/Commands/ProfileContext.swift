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
        let client = try DeviceCredentialClient(profile: profile, logger: logger, pinProvider: ScopedPIN.provider)
        return ProfileContext(store: store, profile: profile, client: client)
    }

    /// The local key; `not_enrolled` when the profile's store has no key for it.
    func requireLocalKey() throws -> DeviceKeySummary {
        guard let key = try client.localKeySummary() else {
            throw CommandFailure(
                code: DeviceCredentialError.Code.notEnrolled.rawValue,
                message: "the profile '\(profile.name)' has no key in its \(profile.keyStore) store; enroll again",
                status: .notEnrolled)
        }
        return key
    }
}
