import Foundation

/// A swtpm of one test's own. Tests that type wrong PINs use one: the TPM counts wrong PINs towards a
/// lockout that would refuse every key of the shared simulator, which other suites use at the same time.
final class PrivateTPM: @unchecked Sendable {
    /// The value for TPM2OPENSSL_TCTI.
    let tcti: String
    private let process: Process
    private let directory: URL

    private init(tcti: String, process: Process, directory: URL) {
        self.tcti = tcti
        self.process = process
        self.directory = directory
    }

    static func start() async throws -> PrivateTPM {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            TestEnvironment.uniqueName("swtpm"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("sock").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/swtpm")
        process.arguments = [
            "socket", "--tpm2", "--tpmstate", "dir=\(directory.path)", "--server", "type=unixio,path=\(socket)",
            "--ctrl", "type=unixio,path=\(socket).ctrl", "--flags", "not-need-init,startup-clear",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let tpm = PrivateTPM(tcti: "swtpm:path=\(socket)", process: process, directory: directory)
        // swtpm creates its socket once it listens; nothing else says it is ready.
        let deadline = ContinuousClock.now + .seconds(30)
        while !FileManager.default.fileExists(atPath: socket) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                tpm.stop()
                throw ProcessRunnerError(message: "swtpm did not start in \(directory.path)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return tpm
    }

    /// Stops the simulator and deletes its state. SIGKILL: SIGTERM is blocked in children of test threads.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
