import DeviceCredential
import Logging

/// `addCredential` authenticates with the token alone, so a wrong `--tenant-id` (or an API URL that
/// answers enrollment but not the device calls) is accepted there and fails every later command. Enroll
/// therefore reads the credential back with the profile's own settings (`getCredential`, Basic auth
/// with its tenant id) before saving anything, and undoes what it made when the server says no.
enum EnrollmentCheck {
    /// Reads the new credential back; on a refusal deletes the key this enrollment created and throws
    /// `enrollment_not_confirmed`. A failure of the network or the server itself proves nothing about
    /// the settings, so it keeps the enrollment and returns a warning to show.
    static func confirm(
        _ credential: AppCredential, client: DeviceCredentialClient, createdKey: Bool, logger: Logger
    ) async throws -> String? {
        let refusal: DeviceCredentialError
        do {
            _ = try await client.getCredential()
            return nil
        } catch let error as DeviceCredentialError where error.isServiceOrTransportFailureForCheck {
            logger.debug("enrollment check failed on the network or server", metadata: ["error": "\(error.code)"])
            return "the credential was added, but reading it back failed (\(DisplayText.terminal(error.message))); "
                + "check it with devicecred status"
        } catch let error as DeviceCredentialError {
            refusal = error
        }
        let profile = client.profile
        var undoFailure: String?
        if createdKey {
            do {
                try profile.keyStore.openStandardStore().deleteKey(profile: profile.name)
            } catch {
                undoFailure =
                    "the new key could not be deleted from its \(profile.keyStore) store "
                    + "(\(DisplayText.terminal("\(error)"))) and no profile was saved"
            }
        }
        var message =
            "the server accepted the enrollment token but refuses this profile's settings (\(refusal.code): "
            + "\(DisplayText.terminal(refusal.message))): check --tenant-id "
            + "(\(DisplayText.terminal(profile.tenantID))) and --api-url"
        guard createdKey else {
            message += "; nothing was changed on this machine (the existing key and saved settings are kept)"
            throw CommandFailure(code: "enrollment_not_confirmed", message: message, status: .enrollmentNotConfirmed)
        }
        message += "; " + (undoFailure ?? "the new key was deleted and no profile was saved") + ". "
        message +=
            "The server keeps authenticator \(DisplayText.terminal(credential.userAuthenticatorId)) of user "
            + "\(DisplayText.terminal(credential.userId)), which a device can remove only with the right tenant id: "
            + "delete it from your backend (Server API: DELETE /users/{userId}/authenticators/{id}); no device holds "
            + "its key any more"
        throw CommandFailure(code: "enrollment_not_confirmed", message: message, status: .enrollmentNotConfirmed)
    }
}

extension DeviceCredentialError {
    /// Network trouble, HTTP 5xx, 429 or an answer that is not the protocol: says nothing about the settings.
    fileprivate var isServiceOrTransportFailureForCheck: Bool {
        [.networkError, .invalidResponse, .serverError, .tooManyRequests].contains(code) || (httpStatus ?? 0) >= 500
    }
}
