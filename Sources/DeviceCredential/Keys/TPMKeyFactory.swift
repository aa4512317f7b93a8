/// Makes and reloads ``TPMSigningKey``s: P-256 keys generated inside the TPM.
///
/// The TPM is reached the way the tpm2 provider does: `TPM2OPENSSL_TCTI` when set (e.g.
/// `swtpm:path=/run/swtpm/sock` for a simulator), otherwise the kernel resource manager `/dev/tpmrm0`.
public struct TPMKeyFactory: DeviceKeyFactory {
    /// Whether new keys are protected by a PIN, asked from ``pinProvider`` when the key is created.
    public var newKeysRequirePIN: Bool
    /// Asks for PINs: when creating a key if ``newKeysRequirePIN``, and before each signature with a
    /// key that has a PIN. Without one, keys that have a PIN fail with `tpm_pin_required`.
    public var pinProvider: TPMPINProvider?
    /// Where to find OpenSSL's `tpm2.so`; nil for OpenSSL's own modules directory (or `$OPENSSL_MODULES`).
    public var modulesDirectory: String?

    /// Creates a factory.
    /// - Parameters:
    ///   - newKeysRequirePIN: protect keys this factory generates with a PIN (TPM `user-auth`).
    ///   - pinProvider: asks the person for PINs; required when `newKeysRequirePIN` is true.
    ///   - modulesDirectory: where `tpm2.so` lives, when not in OpenSSL's modules directory.
    public init(newKeysRequirePIN: Bool = false, pinProvider: TPMPINProvider? = nil, modulesDirectory: String? = nil) {
        self.newKeysRequirePIN = newKeysRequirePIN
        self.pinProvider = pinProvider
        self.modulesDirectory = modulesDirectory
    }

    public var kind: DeviceKeyKind { .tpm }

    /// Generates a P-256 key inside the TPM; asks for its PIN first when ``newKeysRequirePIN``.
    /// - Throws: `tpm_pin_required` when a PIN is required and none was given; the TPM errors of
    ///   ``TPMSigningKey/signature(for:)``.
    public func generateKey() throws -> any DeviceSigningKey {
        try generateTPMKey()
    }

    /// Like ``generateKey()``, typed.
    public func generateTPMKey() throws -> TPMSigningKey {
        let pin = try newKeysRequirePIN ? newKeyPIN() : nil
        let generated = try TPMProviderSession.withSession(modulesDirectory: modulesDirectory) { session in
            try session.generateP256(pin: pin)
        }
        let blob = try TPMKeyBlob(derRepresentation: generated.blob)
        guard blob.publicKey.derRepresentation == generated.publicKeyDER, blob.requiresPIN == (pin != nil) else {
            throw DeviceCredentialError(
                code: .cryptoFailure, message: "the TPM key's blob does not match the key the TPM reports")
        }
        return TPMSigningKey(blob: blob, pinProvider: pinProvider, modulesDirectory: modulesDirectory)
    }

    /// Opens a session with the TPM through the tpm2 provider and closes it, signing nothing: throws
    /// what signing would throw on this machine (`tpm_provider_missing`, `tpm_unavailable`,
    /// `tpm_permission_denied`). For diagnostics (`devicecred doctor`).
    public func checkTPMReachable() throws {
        try TPMProviderSession.withSession(modulesDirectory: modulesDirectory) { _ in }
    }

    /// Loads a key from its stored TPM-wrapped blob. Touches neither the TPM nor the PIN: the first
    /// signature does. Throws `invalid_key` unless `material` is a TPM key.
    public func loadKey(from material: KeyMaterial) throws -> any DeviceSigningKey {
        try loadTPMKey(from: material)
    }

    /// Like ``loadKey(from:)``, typed (e.g. to read ``TPMSigningKey/requiresPIN``).
    public func loadTPMKey(from material: KeyMaterial) throws -> TPMSigningKey {
        guard material.kind == .tpm else {
            throw DeviceCredentialError(
                code: .invalidKey, message: "the stored key is a \(material.kind) key, not a TPM key")
        }
        let blob = try material.withUnsafeDERBytes { try TPMKeyBlob(derRepresentation: Array($0)) }
        return TPMSigningKey(blob: blob, pinProvider: pinProvider, modulesDirectory: modulesDirectory)
    }

    private func newKeyPIN() throws -> SecretBytes {
        guard let pinProvider else {
            throw DeviceCredentialError(
                code: .tpmPINRequired, message: "new TPM keys need a PIN and no PIN provider was given")
        }
        guard let pin = try pinProvider(TPMPINRequest(purpose: .newKey, publicKey: nil)), !pin.isEmpty else {
            throw DeviceCredentialError(code: .tpmPINRequired, message: "no PIN was given for the new TPM key")
        }
        try Self.validatePIN(pin)
        return SecretBytes.pin(pin)
    }

    /// The longest PIN a TPM key takes, in UTF-8 bytes: the size of its name algorithm's digest (SHA-256).
    public static let maximumPINLength = 32

    /// Checks that `pin` can protect a new TPM key: 1 to ``maximumPINLength`` UTF-8 bytes.
    /// Throws `invalid_configuration` otherwise, before the TPM is touched.
    public static func validatePIN(_ pin: String) throws {
        guard !pin.isEmpty, pin.utf8.count <= maximumPINLength else {
            throw DeviceCredentialError(
                code: .invalidConfiguration,
                message: "a TPM PIN must be 1 to \(maximumPINLength) bytes long, not \(pin.utf8.count)")
        }
    }
}
