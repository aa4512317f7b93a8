/// Asks the person for a TPM key's PIN. Called without any lock held, on the thread that creates the
/// key or signs; a prompter (terminal, desktop dialog) implements it. Throw to cancel: the error is
/// passed on unchanged and nothing is created or signed. Return nil when no PIN is given: the operation
/// fails with `tpm_pin_required`, except the nonce signature of `getChallenge()`, which then falls back
/// to the unsigned request. So an agent that polls answers only while the person approves or denies
/// (``TPMPINRequest/message`` is then the challenge id) and is not prompted on every poll.
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
    /// What is about to be signed (a challenge id, a nonce, a removal window); nil for a new key.
    public var message: [UInt8]?

    /// Creates a request.
    public init(purpose: Purpose, publicKey: DevicePublicKey?, message: [UInt8]? = nil) {
        self.purpose = purpose
        self.publicKey = publicKey
        self.message = message
    }
}

extension SecretBytes {
    /// The UTF-8 bytes of a PIN, in a buffer that is wiped when released.
    static func pin(_ pin: String) -> SecretBytes {
        var utf8 = Array(pin.utf8)
        defer { utf8.wipe() }
        return SecretBytes.copying(utf8)
    }
}
