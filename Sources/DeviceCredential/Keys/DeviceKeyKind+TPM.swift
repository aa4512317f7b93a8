extension DeviceKeyKind {
    /// The factory for this kind, asking `pinProvider` for the PINs of TPM keys (software keys have none).
    ///
    /// The CLI and the agent use this with their prompter; ``makeFactory()`` gives a TPM factory without
    /// one, for which a key with a PIN fails with `tpm_pin_required`.
    /// - Parameter newKeysRequirePIN: protect new TPM keys with a PIN; refused for other kinds.
    public func makeFactory(
        pinProvider: TPMPINProvider?, newKeysRequirePIN: Bool = false
    ) throws -> any DeviceKeyFactory {
        if self == .tpm {
            if newKeysRequirePIN && pinProvider == nil {
                throw DeviceCredentialError(
                    code: .invalidConfiguration, message: "a PIN for new TPM keys needs a PIN provider")
            }
            return TPMKeyFactory(newKeysRequirePIN: newKeysRequirePIN, pinProvider: pinProvider)
        }
        guard !newKeysRequirePIN else {
            throw DeviceCredentialError(
                code: .invalidConfiguration, message: "only TPM keys can be protected by a PIN, not \(self) keys")
        }
        return try makeFactory()
    }
}
