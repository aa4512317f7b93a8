import DeviceCredential

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What asks for a TPM key's PIN, and the TPM itself.
enum DeviceChecks {
    static let pinentryPrograms = [
        "pinentry", "pinentry-gnome3", "pinentry-qt", "pinentry-gtk-2", "pinentry-curses", "pinentry-tty",
    ]

    /// `needed`: a profile's TPM key has a PIN, which the agent asks for with pinentry by default.
    static func pinentry(needed: Bool) -> DoctorCheck {
        let found = pinentryPrograms.filter { ProgramSearch.locate($0) != nil }
        guard found.isEmpty else { return .ok("pinentry", found.joined(separator: ", ")) }
        let fix = "sudo apt install pinentry-gnome3 (desktop) or pinentry-curses (terminal)"
        return needed
            ? .warn("pinentry", "none found: the agent cannot ask for the TPM key's PIN except on a terminal", fix: fix)
            : .info("pinentry", "none found (only a TPM key with a PIN needs one)", fix: fix)
    }

    /// The TPM's device (or simulator) and the tpm2 provider reaching it. `needed`: a profile uses a TPM key.
    static func tpm(needed: Bool, tcti: String? = currentTCTI())
        -> DoctorCheck
    {
        let name = "tpm"
        let devices: [String] = ["/dev/tpmrm0", "/dev/tpm0"]
        let target: String
        if let tcti, !tcti.isEmpty {
            target = "TPM2OPENSSL_TCTI=" + DisplayText.terminal(tcti)
        } else if let device = devices.first(where: { access($0, F_OK) == 0 }) {
            target = device
        } else {
            let detail = "no TPM (/dev/tpmrm0, /dev/tpm0 missing)"
            let fix = "enable the TPM in the firmware, or enroll with --key-store secret-service or file"
            return needed ? .fail(name, detail, fix: fix) : .info(name, detail + "; only --key-store tpm needs one")
        }
        do {
            try TPMKeyFactory().checkTPMReachable()
            return .ok(name, "\(target) answers through OpenSSL's tpm2 provider")
        } catch let error as DeviceCredentialError {
            let fix: String? =
                switch error.code {
                case .tpmPermissionDenied: "sudo usermod -aG tss $USER, then log in again"
                case .tpmProviderMissing: "sudo apt install tpm2-openssl"
                case .tpmLockout: "wait for the lockout to end (or clear it with tpm2_dictionarylockout -c)"
                default: nil
                }
            let detail = "\(target): " + DisplayText.terminal(error.message, limit: 300)
            return needed
                ? .fail(name, detail, fix: fix) : .info(name, detail + "; only --key-store tpm needs it", fix: fix)
        } catch {
            let detail = "\(target): " + ProfileChecks.describe(error)
            return needed ? .fail(name, detail, fix: nil) : .info(name, detail)
        }
    }

    /// The TCTI the tpm2 provider reads from the environment.
    static func currentTCTI() -> String? {
        getenv("TPM2OPENSSL_TCTI").map { String(cString: $0) }
    }
}
