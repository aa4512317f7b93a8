/// A TPM-wrapped P-256 key as the tpm2 provider writes it: the DER of a "TSS2 PRIVATE KEY"
/// (`TSSPrivKey`: type OID, emptyAuth, parent handle, TPM2B_PUBLIC, TPM2B_PRIVATE).
///
/// The private part is encrypted by the TPM's storage key and useless off that TPM. The public part is
/// read here, without the TPM, so showing a key or matching it to a credential needs neither the
/// TPM nor the PIN.
package struct TPMKeyBlob: Sendable {
    /// The whole DER, as stored.
    let derRepresentation: [UInt8]
    /// Whether the key was created with a PIN (`user-auth`): emptyAuth is not TRUE.
    package let requiresPIN: Bool
    /// The key's public half, from the TPM2B_PUBLIC.
    package let publicKey: DevicePublicKey

    /// OID 2.23.133.10.1.3 (a loadable TSS2 key), DER-encoded with its tag and length.
    private static let loadableKeyOID: [UInt8] = [0x06, 0x06, 0x67, 0x81, 0x05, 0x0A, 0x01, 0x03]

    /// Parses the DER; throws `invalid_key` unless it is a loadable TSS2 key holding a P-256 ECC key.
    package init(derRepresentation der: [UInt8]) throws {
        var outer = DERReader(der[...])
        var fields = DERReader(try outer.read(tag: 0x30))
        guard outer.isAtEnd, fields.remaining.starts(with: Self.loadableKeyOID) else {
            throw Self.invalid("it is not a loadable TSS2 PRIVATE KEY")
        }
        _ = try fields.read(tag: 0x06)
        var emptyAuth = false
        if fields.peekTag == 0xA0 {
            var explicit = DERReader(try fields.read(tag: 0xA0))
            emptyAuth = try explicit.read(tag: 0x01).first.map { $0 != 0 } ?? false
        }
        _ = try fields.read(tag: 0x02)  // the parent handle; the tpm2 provider finds the parent itself
        let publicArea = try fields.read(tag: 0x04)
        _ = try fields.read(tag: 0x04)  // the TPM-encrypted private area
        self.derRepresentation = der
        self.requiresPIN = !emptyAuth
        self.publicKey = try Self.publicKey(fromTPM2BPublic: Array(publicArea))
    }

    /// Reads the ECC point out of a marshalled TPM2B_PUBLIC and wraps it as a DER SPKI.
    private static func publicKey(fromTPM2BPublic bytes: [UInt8]) throws -> DevicePublicKey {
        var reader = TPMReader(bytes[...])
        var area = TPMReader(try reader.readSized())
        let algorithmNull: UInt16 = 0x0010
        guard try area.readUInt16() == 0x0023 else { throw invalid("the TPM key is not an ECC key") }
        _ = try area.readUInt16()  // nameAlg
        _ = try area.readUInt32()  // objectAttributes
        _ = try area.readSized()  // authPolicy
        if try area.readUInt16() != algorithmNull { _ = try area.read(count: 4) }  // symmetric: keyBits, mode
        if try area.readUInt16() != algorithmNull { _ = try area.readUInt16() }  // scheme: hash
        guard try area.readUInt16() == 0x0003 else { throw invalid("the TPM key is not on the P-256 curve") }
        if try area.readUInt16() != algorithmNull { _ = try area.readUInt16() }  // kdf: hash
        let x = try area.readSized()
        let y = try area.readSized()
        guard x.count <= 32, y.count <= 32 else { throw invalid("the TPM key's point is not a P-256 point") }
        let padding = { (coordinate: ArraySlice<UInt8>) in [UInt8](repeating: 0, count: 32 - coordinate.count) }
        return try DevicePublicKey(
            derRepresentation: DevicePublicKey.spkiPrefix + padding(x) + x + padding(y) + y)
    }

    fileprivate static func invalid(_ why: String) -> DeviceCredentialError {
        DeviceCredentialError(code: .invalidKey, message: "the stored TPM key cannot be read: \(why)")
    }
}

/// Reads the few DER forms a TSS2 key uses: one tag byte, short or long definite lengths.
private struct DERReader {
    private(set) var remaining: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { remaining = bytes }

    var isAtEnd: Bool { remaining.isEmpty }
    var peekTag: UInt8? { remaining.first }

    /// The value of the next element, which must have `tag`.
    mutating func read(tag: UInt8) throws -> ArraySlice<UInt8> {
        guard remaining.count >= 2, remaining.first == tag else { throw TPMKeyBlob.invalid("malformed DER") }
        var index = remaining.startIndex + 1
        var length = Int(remaining[index])
        index += 1
        if length & 0x80 != 0 {
            let lengthBytes = length & 0x7F
            guard (1...3).contains(lengthBytes), remaining.endIndex - index >= lengthBytes else {
                throw TPMKeyBlob.invalid("malformed DER length")
            }
            length = remaining[index..<index + lengthBytes].reduce(0) { $0 << 8 | Int($1) }
            index += lengthBytes
        }
        guard remaining.endIndex - index >= length else { throw TPMKeyBlob.invalid("truncated DER") }
        defer { remaining = remaining[(index + length)...] }
        return remaining[index..<index + length]
    }
}

/// Reads big-endian TPM marshalling: integers and size-prefixed (TPM2B) buffers.
private struct TPMReader {
    private var remaining: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { remaining = bytes }

    mutating func read(count: Int) throws -> ArraySlice<UInt8> {
        guard remaining.count >= count else { throw TPMKeyBlob.invalid("truncated TPM public area") }
        defer { remaining = remaining.dropFirst(count) }
        return remaining.prefix(count)
    }

    mutating func readUInt16() throws -> UInt16 {
        try read(count: 2).reduce(0) { $0 << 8 | UInt16($1) }
    }

    mutating func readUInt32() throws -> UInt32 {
        try read(count: 4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// A TPM2B: a 16-bit size, then that many bytes.
    mutating func readSized() throws -> ArraySlice<UInt8> {
        try read(count: Int(try readUInt16()))
    }
}
