extension DeviceCredentialError.Code {
    // MARK: TPM keys

    /// No TPM could be reached: no `/dev/tpmrm0`, or the simulator named by `TPM2OPENSSL_TCTI` is not running.
    public static let tpmUnavailable = Self(rawValue: "tpm_unavailable")
    /// The TPM device exists but this user may not open it (on Debian it belongs to the group `tss`).
    public static let tpmPermissionDenied = Self(rawValue: "tpm_permission_denied")
    /// OpenSSL's tpm2 provider is not installed (Debian package `tpm2-openssl`).
    public static let tpmProviderMissing = Self(rawValue: "tpm_provider_missing")
    /// The TPM is in dictionary-attack lockout after too many wrong PINs; it refuses every key until it recovers.
    public static let tpmLockout = Self(rawValue: "tpm_lockout")
    /// The TPM refused the PIN given for a key; nothing was signed.
    public static let tpmAuthFailed = Self(rawValue: "tpm_auth_failed")
    /// The key is protected by a PIN and no PIN was given (no PIN provider, or it returned none).
    public static let tpmPINRequired = Self(rawValue: "tpm_pin_required")
}
