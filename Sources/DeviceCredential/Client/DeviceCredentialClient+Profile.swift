public import Logging

extension KeyStoreKind {
    /// Opens the store this kind names at its standard location, as the CLI and the agent do.
    ///
    /// The memory store is only meaningful inside one process, so it is refused here: a profile that
    /// names it could never find its key again.
    public func openStandardStore() throws -> any KeyStore {
        switch self {
        case .secretService: return SecretServiceKeyStore()
        case .file: return try FileKeyStore.standard()
        default:
            throw DeviceCredentialError(
                code: .invalidConfiguration, message: "the key store '\(rawValue)' cannot be opened by name")
        }
    }
}

extension DeviceKeyKind {
    /// The factory that makes and reloads keys of this kind.
    public func makeFactory() throws -> any DeviceKeyFactory {
        switch self {
        case .software: return SoftwareKeyFactory()
        case .tpm: return TPMKeyFactory()
        default:
            throw DeviceCredentialError(
                code: .invalidConfiguration, message: "keys of kind '\(rawValue)' are not supported by this build")
        }
    }
}

extension DeviceCredentialClient {
    /// Creates a client for a saved profile, with the key store and key kind the profile records.
    /// - Parameter pinProvider: asks for the PIN of a TPM key that has one (e.g. ``ScopedPIN/provider``);
    ///   without one, signing with such a key fails with `tpm_pin_required`.
    public convenience init(
        profile: DeviceProfile,
        transport: any HTTPTransport = CurlTransport(),
        logger: Logger = Logger(label: "DeviceCredential", factory: { _ in SwiftLogNoOpLogHandler() }),
        pinProvider: TPMPINProvider? = nil
    ) throws {
        try self.init(
            profile: profile, keyStore: try profile.keyStore.openStandardStore(),
            keyFactory: try profile.keyKind.makeFactory(pinProvider: pinProvider), transport: transport,
            logger: logger)
    }
}
