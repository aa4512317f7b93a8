import ArgumentParser
import DeviceCredential
import FoundationEssentials
import Logging

/// `enroll`, `status` and `remove` with `--namespace qr` or `--namespace inapp`: the same commands, acting
/// on the profile's QR-code or in-app credential, which has a key of its own beside the push key.
extension EnrollCommand {
    func enrollNamespace(in context: CommandContext) async throws {
        let token = try EnrollmentToken.read(from: tokenSource)
        let store = try ProfileStore.standard()
        var profile = try makeProfile(existing: try store.profile(named: profileOptions.profile))
        let plain = try DeviceCredentialClient(profile: profile, logger: context.logger)
        let credential = try namespaceCredential(plain, profile: profile, logger: context.logger)
        let enrolled: AppCredential
        do {
            enrolled = try await credential.add(token: token, deviceName: deviceName)
        } catch let error as DeviceCredentialError {
            throw Self.failure(error, token: token)
        }
        try await confirm(enrolled, credential, profile: profile, logger: context.logger)
        if profile.userID == nil { profile.userID = enrolled.userId }
        try store.save(profile)
        guard let key = try credential.keySummary() else {
            throw CommandFailure(
                code: "key_store_failure", message: "the key store lost the key right after enrolling", status: .failure
            )
        }
        context.console.result(
            Documents.status(
                profile: profile, key: key, credential: enrolled, namespace: credential.namespace,
                username: credential.username),
            human: "enrolled the \(credential.shownName) of profile '\(profile.name)' as authenticator "
                + "\(HumanText.shown(enrolled.userAuthenticatorId)) for user \(HumanText.shown(enrolled.userId))\n"
                + HumanText.rows(HumanText.keyRows(key, of: profile)))
    }

    /// As for push (see `EnrollmentCheck`): the token alone authenticated the enrollment, so read the
    /// credential back with the profile's tenant id before saving anything. The key stays in the store
    /// under the profile's name: enrolling again with the right settings reuses it.
    private func confirm(
        _ enrolled: AppCredential, _ credential: NamespacedCredential, profile: DeviceProfile, logger: Logger
    )
        async throws
    {
        do {
            _ = try await credential.get()
        } catch let error as DeviceCredentialError
            where error.httpStatus == 401 || error.code == .invalidCredential || error.code == .unauthorized
        {
            throw CommandFailure(
                code: "enrollment_not_confirmed",
                message: "the server accepted the enrollment token but refuses this profile's settings "
                    + "(\(error.code): \(DisplayText.terminal(error.message))): check --tenant-id "
                    + "(\(DisplayText.terminal(profile.tenantID))) and --api-url; no profile was saved. The server "
                    + "keeps authenticator \(DisplayText.terminal(enrolled.userAuthenticatorId)): delete it from your "
                    + "backend, or enroll again with the right settings (the same key is reused)",
                status: .enrollmentNotConfirmed)
        } catch let error as DeviceCredentialError {
            logger.debug("enrollment check failed", metadata: ["error": "\(error.code)"])
        }
    }

    /// With `--tpm-pin`, a new key of the namespace is protected by a PIN; an existing one keeps its own.
    private func namespaceCredential(_ plain: DeviceCredentialClient, profile: DeviceProfile, logger: Logger) throws
        -> NamespacedCredential
    {
        let credential = NamespacedCredential(namespaceOptions, client: plain)
        guard tpmPIN else { return credential }
        if let existing = try credential.keySummary() {
            guard existing.requiresPIN else {
                throw CommandFailure.usage(
                    "profile_conflict",
                    "the \(credential.shownName) of profile '\(profile.name)' already has a TPM key without a PIN; "
                        + "remove it first (devicecred remove --namespace \(credential.namespace.rawValue)), then "
                        + "enroll with --tpm-pin")
            }
            return credential
        }
        let pin = try pinOptions.input.newKeyPIN()
        let client = try DeviceCredentialClient(
            profile: profile, keyStore: try profile.keyStore.openStandardStore(),
            keyFactory: try profile.keyKind.makeFactory(pinProvider: { _ in pin }, newKeysRequirePIN: true),
            logger: logger)
        return NamespacedCredential(namespaceOptions, client: client)
    }
}

extension StatusCommand {
    func showNamespace(_ opened: ProfileContext, in context: CommandContext) async throws {
        let credential = NamespacedCredential(namespaceOptions, client: opened.client)
        let key = try credential.requireKey(profile: opened.profile)
        context.console.progress(
            HumanText.rows([("credential", credential.shownName)]) + "\n"
                + HumanText.localStatus(opened.profile, key: key))
        let seen: AppCredential
        do {
            seen = try await credential.get()
        } catch let error as DeviceCredentialError {
            throw CommandFailure(error, during: .other)
        }
        context.console.result(
            Documents.status(
                profile: opened.profile, key: key, credential: seen, namespace: credential.namespace,
                username: credential.username),
            human: HumanText.credential(seen, now: Date()))
    }
}

extension RemoveCommand {
    /// Removes one namespace's credential and its key; the profile and its other credentials stay.
    func removeNamespace(_ opened: ProfileContext, in context: CommandContext) async throws {
        let credential = NamespacedCredential(namespaceOptions, client: opened.client)
        let key = try credential.requireKey(profile: opened.profile)
        let removedID: String?
        do {
            removedID = try await opened.signing(pin: pinOptions.input, requiresPIN: key.requiresPIN) {
                try await credential.remove()
            }
        } catch let error as DeviceCredentialError {
            throw CommandFailure(error, during: .other)
        }
        let detail =
            removedID.map { "authenticator \(HumanText.shown($0)) removed on the server" }
            ?? "the server had already forgotten it"
        context.console.result(
            Documents.removal(profile: opened.profile.name, removedAuthenticatorId: removedID),
            human: "removed the \(credential.shownName) of profile '\(opened.profile.name)' (\(detail)); "
                + "the profile stays")
    }
}
