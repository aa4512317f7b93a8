/// The public half of a device key: a P-256 DER SubjectPublicKeyInfo (91 bytes).
///
/// The protocol has no credential id on the device: the service finds the credential by
/// ``base64Representation``, so these encodings are the credential's handle.
public struct DevicePublicKey: Hashable, Sendable {
    /// The 91-byte DER SubjectPublicKeyInfo.
    public let derRepresentation: [UInt8]

    /// The DER header every uncompressed P-256 SPKI starts with (id-ecPublicKey, prime256v1, BIT STRING, 0x04).
    static let spkiPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A,
        0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ]

    /// Wraps a DER SPKI; throws `invalid_key` unless it is an uncompressed P-256 public key.
    public init(derRepresentation: [UInt8]) throws {
        guard derRepresentation.count == 91, derRepresentation.starts(with: Self.spkiPrefix) else {
            throw DeviceCredentialError(code: .invalidKey, message: "not an uncompressed P-256 public key")
        }
        self.derRepresentation = derRepresentation
    }

    /// Standard padded base64 of the DER SPKI: 124 characters, the `publicKey` of JSON bodies.
    public var base64Representation: String { Base64.encode(derRepresentation) }

    /// The `?publicKey=` query value: base64url without padding of the UTF-8 bytes of
    /// ``base64Representation`` (base64 of base64, as the official SDKs send it).
    public var queryRepresentation: String { Base64.urlEncodeUnpadded(Array(base64Representation.utf8)) }

    /// Lowercase hex SHA-256 of the DER SPKI, for showing which key a profile holds.
    public var fingerprint: String {
        SHA256Digest.hash(derRepresentation).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
