import ArgumentParser
import DeviceCredential
import FoundationEssentials
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `devicecred enroll`: creates (or reuses) the profile's key and registers it with the server.
struct EnrollCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll this machine as a push authenticator with a token from your backend's track call.",
        discussion: """
            Enrolling a profile again reuses its key, so the same credential comes back: safe to repeat in \
            scripts. The API URL, tenant id, device name, key store and number matching are saved in the \
            profile; later commands need none of them. Prefer --token-file PATH (mode 0600) or --token - \
            (standard input): a token given as --token TOKEN is visible to other users in ps.
            """)

    @Option(
        help: ArgumentHelp(
            "The enrollment token; '-' reads it from standard input (a no-echo prompt on a terminal).",
            valueName: "token"))
    var token: String?

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp("Read the enrollment token from this file (mode 0600 or stricter).", valueName: "path"),
        completion: .file())
    var tokenFile: String?

    @Option(
        name: .customLong("device-name"),
        help: ArgumentHelp(
            "The name the user sees in their list of devices (default: the host name).", valueName: "name"))
    var deviceName: String?

    @Option(name: .customLong("key-store"), help: "Where the private key lives (default: secret-service).")
    var keyStore: KeyStoreChoice?

    @Option(
        name: .customLong("blob-store"),
        help: "With --key-store tpm: where the TPM-wrapped key blob is kept (default: secret-service).")
    var blobStore: BlobStoreChoice?

    @Flag(
        name: .customLong("tpm-pin"),
        help: ArgumentHelp(
            "With --key-store tpm: protect the new key with a PIN, asked before every signature (typed twice on "
                + "the terminal, or read from --pin-file)."))
    var tpmPIN = false

    @OptionGroup var pinOptions: PINOptions

    @Flag(
        name: .customLong("number-matching"), inversion: .prefixedNo,
        help: "Challenges for this profile use number matching: approve asks for the code the browser shows.")
    var numberMatching: Bool?

    @OptionGroup var namespaceOptions: NamespaceOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        switch (token, tokenFile) {
        case (nil, nil):
            throw ValidationError(
                "give the enrollment token with --token-file PATH, --token - (standard input) or --token TOKEN")
        case (.some, .some):
            throw ValidationError("give the enrollment token once: --token or --token-file, not both")
        default:
            break
        }
        if blobStore != nil, keyStore != .tpm {
            throw ValidationError("--blob-store applies to --key-store tpm only")
        }
        if tpmPIN, keyStore != .tpm {
            throw ValidationError("--tpm-pin applies to --key-store tpm only")
        }
        if pinOptions.pinFile != nil, !tpmPIN {
            throw ValidationError("--pin-file applies to enroll with --tpm-pin only")
        }
        if let deviceName, deviceName.allSatisfy(\.isWhitespace) {
            throw ValidationError("--device-name is empty")
        }
    }

    var tokenSource: EnrollmentToken.Source {
        if let tokenFile { return .file(tokenFile) }
        return token == "-" ? .standardInput : .argument(token ?? "")
    }

    func execute(in context: CommandContext) async throws {
        if namespaceOptions.namespace != .push { return try await enrollNamespace(in: context) }
        let token = try EnrollmentToken.read(from: tokenSource)
        let store = try ProfileStore.standard()
        let existing = try store.profile(named: profileOptions.profile)
        var profile = try makeProfile(existing: existing)
        let client = try makeClient(for: profile, logger: context.logger)
        let createsKey = try client.localKeySummary() == nil
        let credential: AppCredential
        do {
            credential = try await client.addCredential(token: token, deviceName: deviceName)
        } catch let error as DeviceCredentialError {
            throw Self.failure(error, token: token)
        }
        if let warning = try await EnrollmentCheck.confirm(
            credential, client: client, createdKey: createsKey, logger: context.logger)
        {
            context.console.message(warning)
        }
        profile.userAuthenticatorID = credential.userAuthenticatorId
        profile.userID = credential.userId
        try store.save(profile)
        guard let key = try client.localKeySummary() else {
            throw CommandFailure(
                code: "key_store_failure", message: "the key store lost the key right after enrolling",
                status: .failure)
        }
        let wasEnrolled = existing?.userAuthenticatorID == credential.userAuthenticatorId
        context.console.result(
            Documents.status(profile: profile, key: key, credential: credential),
            human: HumanText.enrolled(profile, key: key, credential: credential, wasEnrolled: wasEnrolled))
    }

    /// The client that enrolls: with `--tpm-pin`, its key factory protects a new key with the PIN, asked
    /// only when there is no key yet (an existing key keeps the PIN it was made with).
    private func makeClient(for profile: DeviceProfile, logger: Logger) throws -> DeviceCredentialClient {
        let plain = try DeviceCredentialClient(profile: profile, logger: logger)
        guard tpmPIN else { return plain }
        if let existing = try plain.localKeySummary() {
            guard existing.requiresPIN else {
                throw CommandFailure.usage(
                    "profile_conflict",
                    "the profile '\(profile.name)' already has a TPM key without a PIN, and a key's PIN is set when "
                        + "it is created: remove the profile first (devicecred remove --profile \(profile.name)), "
                        + "then enroll with --tpm-pin")
            }
            return plain
        }
        let pin = try pinOptions.input.newKeyPIN()
        return try DeviceCredentialClient(
            profile: profile, keyStore: try profile.keyStore.openStandardStore(),
            keyFactory: try profile.keyKind.makeFactory(pinProvider: { _ in pin }, newKeysRequirePIN: true),
            logger: logger)
    }

    /// The profile to enroll: this run's options, else the environment, else what the profile already saved.
    func makeProfile(existing: DeviceProfile?) throws -> DeviceProfile {
        let environment = { (name: String) in getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let apiURL = profileOptions.apiURL ?? environment("AUTHSIGNAL_API_URL") ?? existing?.apiURL else {
            throw CommandFailure.usage("missing_api_url", "give the API URL with --api-url or AUTHSIGNAL_API_URL")
        }
        guard let tenantID = profileOptions.tenantID ?? environment("AUTHSIGNAL_TENANT_ID") ?? existing?.tenantID
        else {
            throw CommandFailure.usage(
                "missing_tenant_id", "give the tenant id with --tenant-id or AUTHSIGNAL_TENANT_ID")
        }
        let (keyStoreKind, keyKind) = chosenStorage(existing: existing)
        if let existing, existing.keyStore != keyStoreKind || existing.keyKind != keyKind {
            throw CommandFailure.usage(
                "profile_conflict",
                "the profile '\(existing.name)' keeps a \(existing.keyKind) key in \(existing.keyStore); "
                    + "remove it first (devicecred remove --profile \(existing.name)) or enroll another --profile")
        }
        var profile = try DeviceProfile(
            name: profileOptions.profile, apiURL: apiURL, tenantID: tenantID,
            namespace: existing?.namespace ?? .push, deviceName: deviceName ?? existing?.deviceName,
            devicePlatform: existing?.devicePlatform ?? DeviceProfile.defaultDevicePlatform,
            keyStore: keyStoreKind, keyKind: keyKind,
            usesNumberMatching: numberMatching ?? existing?.usesNumberMatching ?? false)
        profile.userID = existing?.userID
        profile.userAuthenticatorID = existing?.userAuthenticatorID
        return profile
    }

    private func chosenStorage(existing: DeviceProfile?) -> (KeyStoreKind, DeviceKeyKind) {
        switch keyStore {
        case .secretService: return (.secretService, .software)
        case .file: return (.file, .software)
        case .tpm: return ((blobStore ?? .secretService).keyStoreKind, .tpm)
        case nil: return (existing?.keyStore ?? .secretService, existing?.keyKind ?? .software)
        }
    }

    /// An enrollment failure; for an expired token, says how long ago it expired when the token tells.
    static func failure(_ error: DeviceCredentialError, token: String) -> CommandFailure {
        var failure = CommandFailure(error, during: .enrollment)
        if error.code == .expiredToken, let expiry = EnrollmentToken.expiry(of: token) {
            failure.message =
                "the enrollment token expired \(TimeFormatting.relative(expiry, now: Date())) "
                + "(tokens from track last 10 minutes); get a new one from your backend and enroll again"
        }
        return failure
    }
}
