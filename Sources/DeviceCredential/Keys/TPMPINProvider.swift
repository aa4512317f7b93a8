/// Asks the person for a TPM key's PIN. Called without any lock held, on the thread that creates the
/// key or signs; a prompter (terminal, desktop dialog) implements it. Throw to cancel: the error is
/// passed on unchanged and nothing is created or signed. Return nil when no PIN is given.
public typealias TPMPINProvider = @Sendable (TPMPINRequest) throws -> String?

/// Why a PIN is asked for.
public struct TPMPINRequest: Sendable {
    /// What the PIN is for.
    public enum Purpose: Hashable, Sendable {
        /// A new key is being created: choose its PIN.
        case newKey
        /// The key is about to sign (e.g. approving a sign-in): enter its PIN.
        case signing
    }

    /// What the PIN is for.
    public var purpose: Purpose
    /// The key's public half when it exists (signing), to tell keys apart; nil for a new key.
    public var publicKey: DevicePublicKey?

    /// Creates a request.
    public init(purpose: Purpose, publicKey: DevicePublicKey?) {
        self.purpose = purpose
        self.publicKey = publicKey
    }
}

extension SecretBytes {
    /// The UTF-8 bytes of a PIN, in a buffer that is wiped when released.
    static func pin(_ pin: String) -> SecretBytes {
        var utf8 = Array(pin.utf8)
        defer { utf8.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        return SecretBytes.copying(utf8)
    }
}
