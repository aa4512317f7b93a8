/// A P-256 key that signs for a device credential.
///
/// The client only needs this: a software key (``SoftwareSigningKey``) and a hardware key (a TPM key
/// loaded through an OpenSSL provider) both implement it, so the client never changes with the key kind.
/// Modelled on swift-certificates' `CustomPrivateKey`.
public protocol DeviceSigningKey: Sendable {
    /// What kind of key this is (software, TPM...), as recorded in profiles and key stores.
    var kind: DeviceKeyKind { get }

    /// The public half, whose encodings identify the credential on the service.
    var publicKey: DevicePublicKey { get }

    /// Signs `message` with ECDSA over SHA-256.
    func signature(for message: [UInt8]) throws -> DeviceSignature

    /// What a key store keeps to load this key again: PKCS#8 for a software key, a wrapped blob for a
    /// hardware key (useless off its device).
    func keyMaterial() throws -> KeyMaterial

    /// Whether signing needs the person's PIN first (a TPM key created with one). Default: false.
    var requiresPIN: Bool { get }
}

extension DeviceSigningKey {
    public var requiresPIN: Bool { false }

    /// Signs the UTF-8 bytes of `message`.
    public func signature(for message: String) throws -> DeviceSignature {
        try signature(for: Array(message.utf8))
    }
}

/// Makes and reloads signing keys of one ``DeviceKeyKind``.
public protocol DeviceKeyFactory: Sendable {
    /// The kind of keys this factory makes.
    var kind: DeviceKeyKind { get }

    /// Generates a new P-256 key.
    func generateKey() throws -> any DeviceSigningKey

    /// Loads a key from what a key store kept. Throws `invalid_key` when the material is not such a key.
    func loadKey(from material: KeyMaterial) throws -> any DeviceSigningKey
}

/// The kind of a signing key: where its private half lives (Codable as its raw string).
public struct DeviceKeyKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The stable name stored in profiles and keyring attributes, e.g. `software`.
    public var rawValue: String

    /// Creates a kind from its stable name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A P-256 key generated and used by OpenSSL in this process; stored as PKCS#8.
    public static let software = DeviceKeyKind(rawValue: "software")
    /// A P-256 key inside the TPM; only its TPM-wrapped blob is stored.
    public static let tpm = DeviceKeyKind(rawValue: "tpm")

    /// The PEM label the key material is stored under.
    public var pemLabel: String {
        switch self {
        case .software: "PRIVATE KEY"
        case .tpm: "TSS2 PRIVATE KEY"
        default: "DEVICECRED \(rawValue.uppercased()) KEY"
        }
    }

    public var description: String { rawValue }
}
