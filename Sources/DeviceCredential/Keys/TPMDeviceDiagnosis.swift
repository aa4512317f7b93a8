#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Explains why the TPM could not be reached, from what the TSS would have tried to open.
///
/// The TSS only reports "IO failure"; whether the device is missing or belongs to a group this user
/// is not in (`tss` on Debian) is read off the file system here.
enum TPMDeviceDiagnosis {
    /// The error for a TPM the tpm2 provider could not connect to.
    static func unreachable(environment tcti: String? = currentTCTI()) -> DeviceCredentialError {
        let devices: [String]
        if let tcti, !tcti.isEmpty {
            guard tcti.hasPrefix("device") else {
                return DeviceCredentialError(
                    code: .tpmUnavailable,
                    message: "cannot reach the TPM through TPM2OPENSSL_TCTI=\(tcti); is the simulator running?")
            }
            let configuration = tcti.split(separator: ":", maxSplits: 1).dropFirst().first.map(String.init)
            devices = [configuration ?? "/dev/tpm0"]
        } else {
            devices = ["/dev/tpmrm0", "/dev/tpm0"]
        }
        for device in devices {
            var status = stat()
            guard stat(device, &status) == 0 else { continue }
            if access(device, R_OK | W_OK) != 0 && errno == EACCES {
                let group = getgrgid(status.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "\(status.st_gid)"
                return DeviceCredentialError(
                    code: .tpmPermissionDenied,
                    message: "this user may not open the TPM \(device), which belongs to the group \(group); "
                        + "add the user to it (sudo usermod -aG \(group) $USER) and log in again")
            }
            return DeviceCredentialError(
                code: .tpmUnavailable, message: "the TPM \(device) exists but did not answer")
        }
        return DeviceCredentialError(
            code: .tpmUnavailable,
            message: "this machine has no TPM (\(devices.joined(separator: ", ")) missing); enable it in the "
                + "firmware, or point TPM2OPENSSL_TCTI at a simulator")
    }

    /// The TCTI the tpm2 provider reads from the environment.
    static func currentTCTI() -> String? {
        getenv("TPM2OPENSSL_TCTI").map { String(cString: $0) }
    }
}
