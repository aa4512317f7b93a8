import DeviceCredentialAgent

/// Runs a short-lived helper program (systemctl, journalctl, tpm2_getcap) and returns its exit status
/// and the start of its standard output; its standard error goes nowhere. Doctor asks these programs one
/// question each and none of them reads input.
struct ProgramOutput: Sendable {
    var exitStatus: Int32?
    var output: String

    /// Runs `executable` with `arguments`; nil when it could not be started.
    static func run(_ executable: String, _ arguments: [String], outputLimit: Int = 16 * 1024) async -> ProgramOutput? {
        var program = ChildProcess(executable: executable, arguments: arguments)
        program.outputLimit = outputLimit
        program.discardsErrors = true
        guard let result = try? await program.run() else { return nil }
        return ProgramOutput(exitStatus: result.exitStatus, output: String(decoding: result.output, as: UTF8.self))
    }
}
