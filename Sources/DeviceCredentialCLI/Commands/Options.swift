import ArgumentParser
import DeviceCredential

/// `--json` and `--verbose`, on every command.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print exactly one JSON document on standard output (the result, or {\"error\": {code, message}}).")
    var json = false

    @Flag(help: "Log debug messages to standard error (never tokens, keys or signatures).")
    var verbose = false
}

/// `--full`, on the commands that show a challenge.
struct DetailOptions: ParsableArguments {
    @Flag(help: "Show the browser's whole User-Agent instead of a summary such as \"Chrome 131 on Linux\".")
    var full = false
}

/// Which profile to act on, and where its server is.
struct ProfileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The profile to act on: one enrollment (tenant, user, key).", valueName: "name"))
    var profile: String = DeviceProfile.defaultName

    @Option(
        name: .customLong("api-url"),
        help: ArgumentHelp(
            "The API base URL including /v1 (enroll: default $AUTHSIGNAL_API_URL; other commands: the profile's).",
            valueName: "url"))
    var apiURL: String?

    @Option(
        name: .customLong("tenant-id"),
        help: ArgumentHelp(
            "The tenant id (enroll: default $AUTHSIGNAL_TENANT_ID; other commands: the profile's).",
            valueName: "id"))
    var tenantID: String?

    func validate() throws {
        do {
            try DeviceProfile.validate(name: profile)
        } catch let error as DeviceCredentialError {
            throw ValidationError(error.message)
        }
        if apiURL?.isEmpty == true { throw ValidationError("--api-url is empty") }
        if tenantID?.isEmpty == true { throw ValidationError("--tenant-id is empty") }
    }
}

/// `--pin-file`, on the commands that sign with the profile's key.
struct PINOptions: ParsableArguments {
    @Option(
        name: .customLong("pin-file"),
        help: ArgumentHelp(
            "For a TPM key with a PIN: read the PIN from this file's first line (mode 0600 or stricter); "
                + "default: ask on the terminal.",
            valueName: "path"),
        completion: .file())
    var pinFile: String?

    var input: TPMPINInput { TPMPINInput(pinFile: pinFile) }
}

/// `--key-store`: where the key lives, and for `tpm`, that the key itself is a TPM key.
enum KeyStoreChoice: String, CaseIterable, ExpressibleByArgument {
    case secretService = "secret-service"
    case file
    case tpm

    var defaultValueDescription: String {
        switch self {
        case .secretService: "a software key in the desktop keyring (Secret Service over D-Bus)"
        case .file: "a software key in a 0600 PEM file under $XDG_DATA_HOME/devicecred/keys (headless hosts)"
        case .tpm: "a TPM key; only its TPM-wrapped blob is kept (see --blob-store)"
        }
    }
}

/// `--blob-store`: where a TPM key's wrapped blob is kept.
enum BlobStoreChoice: String, CaseIterable, ExpressibleByArgument {
    case secretService = "secret-service"
    case file

    var keyStoreKind: KeyStoreKind { self == .file ? .file : .secretService }
}
