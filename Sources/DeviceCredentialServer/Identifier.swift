/// Identifiers (user ids, idempotency keys, action codes, authenticator ids, public keys) are compared as
/// UTF-8 bytes, as SQLite compares them. Swift's `String ==` and hashing use canonical equivalence, which
/// would make NFC `josé` and NFD `josé` one user whose device approves the other's sign-in.
struct Identifier: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ value: String) { bytes = Array(value.utf8) }
}

extension String {
    /// Byte equality: true only for the very same UTF-8 sequence.
    func isSameIdentifier(as other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}

extension String? {
    func isSameIdentifier(as other: String) -> Bool { self.map { $0.isSameIdentifier(as: other) } ?? false }
}
