/// A P-256 key generated inside the TPM and used through OpenSSL's tpm2 provider.
///
/// Only the TPM-wrapped blob ("TSS2 PRIVATE KEY") leaves the TPM, and it is useless off this TPM. The
/// public key is read from the blob, so creating this value touches neither the TPM nor the PIN;
/// each ``signature(for:)`` loads the key into the TPM, asking for the PIN first when the key has one.
public final class TPMSigningKey: DeviceSigningKey {
    private let blob: TPMKeyBlob
    private let material: SecretBytes
    private let pinProvider: TPMPINProvider?
    private let modulesDirectory: String?

    /// The public half.
    public var publicKey: DevicePublicKey { blob.publicKey }

    /// Always ``DeviceKeyKind/tpm``.
    public var kind: DeviceKeyKind { .tpm }

    /// Whether signing needs the key's PIN (the key was created with one).
    public var requiresPIN: Bool { blob.requiresPIN }

    init(blob: TPMKeyBlob, pinProvider: TPMPINProvider?, modulesDirectory: String?) {
        self.blob = blob
        self.material = SecretBytes.copying(blob.derRepresentation)
        self.pinProvider = pinProvider
        self.modulesDirectory = modulesDirectory
    }

    /// Signs `message` in the TPM with ECDSA over SHA-256.
    ///
    /// - Throws: `tpm_pin_required` when the key has a PIN and none was given; `tpm_auth_failed` for a
    ///   wrong PIN (nothing is signed, and the TPM counts the failure towards lockout); `tpm_lockout`;
    ///   `tpm_unavailable`, `tpm_permission_denied`, `tpm_provider_missing`; `invalid_key` when this TPM
    ///   cannot load the key (made by another TPM, or the TPM was cleared).
    public func signature(for message: [UInt8]) throws -> DeviceSignature {
        let pin = try requiresPIN ? askPIN(toSign: message) : nil
        let signature = try TPMProviderSession.withSession(modulesDirectory: modulesDirectory) { session in
            try session.sign(message, blob: blob.derRepresentation, pin: pin)
        }
        return DeviceSignature(derRepresentation: signature)
    }

    /// The TPM-wrapped blob, kind ``DeviceKeyKind/tpm`` (stored under the PEM label "TSS2 PRIVATE KEY").
    public func keyMaterial() throws -> KeyMaterial {
        KeyMaterial(kind: .tpm, secret: material)
    }

    /// The public key as the tpm2 provider reports it after loading the key into the TPM: a check
    /// that this TPM can load the key and that the blob's public area was read correctly.
    func publicKeyFromTPM() throws -> DevicePublicKey {
        let pin = try requiresPIN ? askPIN(toSign: nil) : nil
        let der = try TPMProviderSession.withSession(modulesDirectory: modulesDirectory) { session in
            try session.publicKeyDER(blob: blob.derRepresentation, pin: pin)
        }
        return try DevicePublicKey(derRepresentation: der)
    }

    private func askPIN(toSign message: [UInt8]?) throws -> SecretBytes {
        guard let pinProvider else {
            throw DeviceCredentialError(
                code: .tpmPINRequired, message: "this TPM key is protected by a PIN and no PIN provider was given")
        }
        guard let pin = try pinProvider(TPMPINRequest(purpose: .signing, publicKey: publicKey, message: message)),
            !pin.isEmpty
        else {
            throw DeviceCredentialError(code: .tpmPINRequired, message: "this TPM key needs its PIN and none was given")
        }
        return SecretBytes.pin(pin)
    }
}
