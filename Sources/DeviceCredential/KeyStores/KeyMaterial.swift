/// What a key store keeps for one profile: the key's kind and its private bytes (DER PKCS#8 for a
/// software key, the TPM-wrapped blob for a TPM key). The bytes are wiped from memory when released.
public struct KeyMaterial: Sendable {
    /// The kind of key these bytes load as.
    public let kind: DeviceKeyKind
    let secret: SecretBytes

    /// Wraps key bytes of a kind. The bytes are copied into a buffer that is wiped when released.
    public init(kind: DeviceKeyKind, derRepresentation: [UInt8]) {
        self.kind = kind
        self.secret = SecretBytes.copying(derRepresentation)
    }

    init(kind: DeviceKeyKind, secret: SecretBytes) {
        self.kind = kind
        self.secret = secret
    }

    /// Calls `body` with the DER bytes; do not let them escape.
    public func withUnsafeDERBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try secret.withUnsafeBytes(body)
    }

    /// The PEM text stores write (label from ``DeviceKeyKind/pemLabel``), wiped when released.
    func pemText() -> SecretBytes {
        let body = secret.withUnsafeBytes { Base64.encode(Array($0)) }
        var text = "-----BEGIN \(kind.pemLabel)-----\n"
        var rest = Substring(body)
        while !rest.isEmpty {
            text += rest.prefix(64) + "\n"
            rest = rest.dropFirst(64)
        }
        text += "-----END \(kind.pemLabel)-----\n"
        return SecretBytes.copying(Array(text.utf8))
    }

    /// Parses PEM text a store wrote back into key material of the kind its label names.
    package init(pemText bytes: UnsafeRawBufferPointer, knownKinds: [DeviceKeyKind] = [.software, .tpm]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        for kind in knownKinds {
            let begin = "-----BEGIN \(kind.pemLabel)-----"
            let end = "-----END \(kind.pemLabel)-----"
            guard let start = text.firstRange(of: begin), let stop = text.firstRange(of: end),
                start.upperBound < stop.lowerBound
            else { continue }
            guard let der = Base64.decode(String(text[start.upperBound..<stop.lowerBound])) else { break }
            self.init(kind: kind, derRepresentation: der)
            return
        }
        throw DeviceCredentialError(code: .invalidKey, message: "the stored key is not a PEM key this version reads")
    }
}
