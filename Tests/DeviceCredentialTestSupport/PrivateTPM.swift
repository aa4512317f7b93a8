import Foundation

/// A swtpm of one test's own. The shared one is no place to type wrong PINs or to make keys another TPM
/// must refuse: its dictionary-attack counter is global to the TPM, so a wrong PIN there could lock out
/// the suites running in parallel.
///
/// Its sockets are bound and listening before swtpm starts (it gets them as inherited descriptors), so a
/// client can connect at once: nothing waits for swtpm to come up.
public final class PrivateTPM: @unchecked Sendable {
    public let directory: String
    private let simulator: ChildProcess

    /// The value for `TPM2OPENSSL_TCTI` (and `TPM2TOOLS_TCTI`).
    public var tcti: String { "swtpm:path=\(directory)/sock" }
    /// `TPM2OPENSSL_TCTI` and `TPM2TOOLS_TCTI` for the processes that use this TPM.
    public var environment: [String: String] { ["TPM2OPENSSL_TCTI": tcti, "TPM2TOOLS_TCTI": tcti] }

    public init() throws {
        directory = try makePrivateDirectory("dc-tpm")
        do {
            let data = try UnixSocket.listen(at: directory + "/sock")
            defer { close(data) }
            let control = try UnixSocket.listen(at: directory + "/sock.ctrl")
            defer { close(control) }
            simulator = try ChildProcess(
                "/usr/bin/swtpm",
                [
                    "socket", "--tpm2", "--tpmstate", "dir=\(directory)", "--server", "type=unixio,fd=3", "--ctrl",
                    "type=unixio,fd=4", "--flags", "not-need-init,startup-clear",
                ], standardError: .file(directory + "/swtpm.log"), inherit: [data, control])
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    deinit { stop() }

    /// Ends the simulator and deletes its state (also done when it is released).
    public func stop() {
        simulator.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Sets the TPM's dictionary-attack limit (e.g. 0: every key with a PIN is refused, as in lockout).
    public func setMaximumTries(_ tries: Int) async throws {
        let result = try await ChildProcess.run(
            "/usr/bin/tpm2_dictionarylockout", ["--setup-parameters", "--max-tries=\(tries)"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        guard result.status == 0 else { throw TestSupportError("tpm2_dictionarylockout failed: \(result.errors)") }
    }
}
