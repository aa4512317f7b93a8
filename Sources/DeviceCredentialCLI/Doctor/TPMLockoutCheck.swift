import DeviceCredential

/// The TPM's dictionary-attack lockout, read with tpm2-tools (`tpm2_getcap properties-variable`): wrong
/// PINs counted so far, how many lock the TPM out, and whether it is locked out now.
enum TPMLockoutCheck {
    static let name = "tpm lockout"

    /// `needed`: a profile's TPM key has a PIN, so a lockout stops it from signing.
    static func run(needed: Bool, tcti: String?) async -> DoctorCheck {
        guard let getcap = ProgramSearch.locate("tpm2_getcap") else {
            return .info(name, "not checked (tpm2_getcap not found)", fix: "sudo apt install tpm2-tools")
        }
        let target = tcti.flatMap { $0.isEmpty ? nil : ["-T", $0] } ?? []
        guard let answer = await ProgramOutput.run(getcap, target + ["properties-variable"]), answer.exitStatus == 0,
            let properties = Properties(answer.output)
        else { return .info(name, "not checked (tpm2_getcap could not read the TPM's properties)") }
        return check(properties, needed: needed)
    }

    static func check(_ properties: Properties, needed: Bool) -> DoctorCheck {
        let counted = "\(properties.failures) of \(properties.maximumFailures) wrong PINs counted"
        let recovery = "one is forgotten every \(TimeFormatting.duration(seconds: Double(properties.recoverySeconds)))"
        if properties.inLockout {
            let detail = "locked out (\(counted)); \(recovery)"
            let fix = "wait, or clear it: tpm2_dictionarylockout --clear-lockout (needs the lockout authorization)"
            return needed ? .fail(name, detail, fix: fix) : .warn(name, detail, fix: fix)
        }
        if properties.failures > 0 {
            return .warn(name, "\(counted); \(recovery)", fix: "check the PIN before trying again")
        }
        return .ok(name, "not locked out (\(counted))")
    }

    /// The lines of `tpm2_getcap properties-variable` this check reads.
    struct Properties: Equatable {
        var inLockout: Bool
        var failures: UInt32
        var maximumFailures: UInt32
        var recoverySeconds: UInt32

        init(inLockout: Bool, failures: UInt32, maximumFailures: UInt32, recoverySeconds: UInt32) {
            self.inLockout = inLockout
            self.failures = failures
            self.maximumFailures = maximumFailures
            self.recoverySeconds = recoverySeconds
        }

        /// Nil unless every value is there and well formed.
        init?(_ output: String) {
            var values: [String: String] = [:]
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                values[parts[0].trimmingCharacters(in: " ")] = parts[1].trimmingCharacters(in: " ")
            }
            guard let inLockout = values["inLockout"], let failures = Self.hex(values["TPM2_PT_LOCKOUT_COUNTER"]),
                let maximum = Self.hex(values["TPM2_PT_MAX_AUTH_FAIL"]),
                let recovery = Self.hex(values["TPM2_PT_LOCKOUT_INTERVAL"])
            else { return nil }
            self.init(
                inLockout: inLockout == "1", failures: failures, maximumFailures: maximum, recoverySeconds: recovery)
        }

        private static func hex(_ text: String?) -> UInt32? {
            guard let text, text.hasPrefix("0x") else { return nil }
            return UInt32(text.dropFirst(2), radix: 16)
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
