/// What can be shown about a stored key without using it: its public half, its kind, and whether
/// signing with it needs a PIN.
public struct DeviceKeySummary: Sendable, Equatable {
    /// The public half, which identifies the credential on the service.
    public var publicKey: DevicePublicKey
    /// Software or TPM.
    public var kind: DeviceKeyKind
    /// Whether each signature needs the person's PIN (a TPM key created with one).
    public var requiresPIN: Bool

    /// Creates a summary.
    public init(publicKey: DevicePublicKey, kind: DeviceKeyKind, requiresPIN: Bool) {
        self.publicKey = publicKey
        self.kind = kind
        self.requiresPIN = requiresPIN
    }
}
