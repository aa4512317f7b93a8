/// An ECDSA P-256 signature over SHA-256, as ASN.1 DER `SEQUENCE { r, s }` (70 to 72 bytes).
public struct DeviceSignature: Hashable, Sendable {
    /// The DER bytes.
    public var derRepresentation: [UInt8]

    /// Wraps DER signature bytes.
    public init(derRepresentation: [UInt8]) { self.derRepresentation = derRepresentation }

    /// Standard padded base64 of the DER bytes: the form the protocol sends.
    public var base64Representation: String { Base64.encode(derRepresentation) }
}
