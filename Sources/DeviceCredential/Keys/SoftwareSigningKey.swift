/// A P-256 key generated and used by OpenSSL in this process, stored as PKCS#8 in a key store.
public final class SoftwareSigningKey: DeviceSigningKey {
    private let key: OpenSSLPrivateKey

    /// The public half.
    public let publicKey: DevicePublicKey

    /// Always ``DeviceKeyKind/software``.
    public var kind: DeviceKeyKind { .software }

    /// Generates a new key.
    public convenience init() throws {
        try self.init(key: OpenSSLPrivateKey.generateP256())
    }

    /// Loads a key from its DER PKCS#8 PrivateKeyInfo; throws `invalid_key` unless it is a P-256 key.
    public convenience init(pkcs8DERRepresentation: [UInt8]) throws {
        try self.init(key: OpenSSLPrivateKey(pkcs8DER: pkcs8DERRepresentation))
    }

    private init(key: OpenSSLPrivateKey) throws {
        self.key = key
        self.publicKey = try DevicePublicKey(derRepresentation: key.publicKeyDER())
    }

    public func signature(for message: [UInt8]) throws -> DeviceSignature {
        DeviceSignature(derRepresentation: try key.sign(message))
    }

    /// The PKCS#8 form, kind ``DeviceKeyKind/software``.
    public func keyMaterial() throws -> KeyMaterial {
        KeyMaterial(kind: .software, secret: try key.pkcs8DER())
    }
}

/// Makes ``SoftwareSigningKey``s.
public struct SoftwareKeyFactory: DeviceKeyFactory {
    /// Creates the factory.
    public init() {}

    public var kind: DeviceKeyKind { .software }

    public func generateKey() throws -> any DeviceSigningKey { try SoftwareSigningKey() }

    public func loadKey(from material: KeyMaterial) throws -> any DeviceSigningKey {
        guard material.kind == .software else {
            throw DeviceCredentialError(
                code: .invalidKey, message: "the stored key is a \(material.kind) key, not a software key")
        }
        return try material.secret.withUnsafeBytes { try SoftwareSigningKey(pkcs8DERRepresentation: Array($0)) }
    }
}
