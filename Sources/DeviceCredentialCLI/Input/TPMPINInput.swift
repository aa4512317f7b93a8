import DeviceCredential

/// Where a TPM key's PIN comes from: `--pin-file PATH` for scripts, else a no-echo question on the
/// terminal. Never from the command line itself, where `ps` would show it.
struct TPMPINInput {
    /// `--pin-file`: the PIN is the file's first line.
    var pinFile: String?

    /// How many PINs a person may type for one signature: the TPM counts wrong PINs towards its
    /// dictionary-attack lockout, so a typo may be retried, guessing may not.
    static let attempts = 3

    private static let file = SecretFile(
        noun: "pin", alternative: "or leave out --pin-file to type the PIN on a terminal", maximumLength: 4096)

    /// Whether a wrong PIN can be asked again: only a person at a terminal can type another one.
    var canRetry: Bool { pinFile == nil }

    /// The PIN protecting a new TPM key: the file's, or typed twice on the terminal.
    func newKeyPIN() throws -> String {
        if let pinFile { return try Self.checkedNewPIN(try Self.firstLine(ofFile: pinFile)) }
        guard TerminalInput.isInteractive else {
            throw CommandFailure.usage(
                "pin_required",
                "--tpm-pin needs the new key's PIN: pass --pin-file PATH, or run on a terminal to type it")
        }
        for _ in 0..<Self.attempts {
            let pin = try Self.checkedNewPIN(TerminalInput.readLine(prompt: "New TPM PIN: ", echo: false) ?? "")
            if TerminalInput.readLine(prompt: "Repeat the TPM PIN: ", echo: false) == pin { return pin }
            TerminalInput.say("The two PINs differ; try again.\n")
        }
        throw CommandFailure.usage("pin_mismatch", "the PINs typed differ; no key was created")
    }

    /// The PIN to sign with `profile`'s key; `afterWrongPIN` says the previous one was refused.
    func signingPIN(profile: String, afterWrongPIN: Bool) throws -> String {
        if let pinFile {
            let pin = try Self.firstLine(ofFile: pinFile)
            guard !pin.isEmpty else { throw Self.pinRequired("the PIN file \(pinFile) is empty; nothing was sent") }
            return pin
        }
        guard TerminalInput.isInteractive else {
            throw Self.pinRequired(
                "the profile '\(profile)' has a TPM key protected by a PIN: pass --pin-file PATH, or run on a "
                    + "terminal to type it; nothing was sent")
        }
        if afterWrongPIN { TerminalInput.say("Wrong PIN.\n") }
        guard let pin = TerminalInput.readLine(prompt: "TPM PIN for profile '\(profile)': ", echo: false),
            !pin.isEmpty
        else { throw Self.pinRequired("no PIN was typed; nothing was sent") }
        return pin
    }

    private static func checkedNewPIN(_ pin: String) throws -> String {
        do {
            try TPMKeyFactory.validatePIN(pin)
        } catch let error as DeviceCredentialError {
            throw CommandFailure.usage("invalid_pin", error.message + "; no key was created")
        }
        return pin
    }

    /// The file's first line, without its line ending: a PIN may contain spaces.
    private static func firstLine(ofFile path: String) throws -> String {
        let text = try file.read(path: path)
        let line = text.prefix { $0 != "\n" && $0 != "\r\n" }
        return String(line.hasSuffix("\r") ? line.dropLast() : line)
    }

    private static func pinRequired(_ message: String) -> CommandFailure {
        CommandFailure(code: DeviceCredentialError.Code.tpmPINRequired.rawValue, message: message, status: .tpmPIN)
    }
}

extension ProfileContext {
    /// Runs `operation`, which signs with the profile's key, with the key's PIN when it has one. A person
    /// at a terminal may retype a wrong PIN (``TPMPINInput/attempts`` in all); a PIN file is tried once.
    /// - Parameter requiresPIN: when the caller already read the key; nil reads it.
    func signing<Result: Sendable>(
        pin input: TPMPINInput, requiresPIN: Bool? = nil, _ operation: @Sendable () async throws -> Result
    ) async throws -> Result {
        guard try requiresPIN ?? client.localKeyRequiresPIN() else { return try await operation() }
        var attempt = 1
        while true {
            let pin = try input.signingPIN(profile: profile.name, afterWrongPIN: attempt > 1)
            do {
                return try await ScopedPIN.$pin.withValue(pin) { try await operation() }
            } catch let error as DeviceCredentialError
                where error.code == .tpmAuthFailed && input.canRetry && attempt < TPMPINInput.attempts
            {
                attempt += 1
            }
        }
    }
}
