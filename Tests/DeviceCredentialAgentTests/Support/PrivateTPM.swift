import DeviceCredential
import Foundation
import Testing

/// A swtpm of one test's own. The shared one is no place to type wrong PINs: its dictionary-attack
/// counter is global to the TPM (and the library's lockout test lowers its limit), so a wrong PIN
/// there could lock out the suites running in parallel.
///
/// The sockets are bound and listening before swtpm starts (it gets them as inherited descriptors), so
/// a client can connect at once: no waiting for swtpm to come up.
final class PrivateTPM: @unchecked Sendable {
    let directory: String
    private let pid: pid_t

    /// `TPM2OPENSSL_TCTI` (and `TPM2TOOLS_TCTI`) for this TPM, for the processes that use it.
    var environment: [String: String] { ["TPM2OPENSSL_TCTI": tcti, "TPM2TOOLS_TCTI": tcti] }
    var tcti: String { "swtpm:path=\(directory)/sock" }

    init() throws {
        // Short: a unix socket path has at most 107 bytes.
        directory = "/tmp/agent-tpm-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try Self.listen(at: directory + "/sock")
        defer { close(data) }
        let control = try Self.listen(at: directory + "/sock.ctrl")
        defer { close(control) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Nothing else of the test runner's (other tests' pipes) may stay open in the simulator.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 && fd != data && fd != control {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        posix_spawn_file_actions_adddup2(&actions, data, 3)
        posix_spawn_file_actions_adddup2(&actions, control, 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/swtpm.log", O_WRONLY | O_CREAT, 0o600)
        let arguments = [
            "swtpm", "socket", "--tpm2", "--tpmstate", "dir=\(directory)", "--server", "type=unixio,fd=3",
            "--ctrl", "type=unixio,fd=4", "--flags", "not-need-init,startup-clear",
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/swtpm", &actions, nil, argv, environ) == 0 else {
            throw TestFailure("cannot start swtpm")
        }
        self.pid = pid
    }

    /// Sets the TPM's dictionary-attack limit (e.g. 0: every key with a PIN is refused, as in lockout).
    func setMaximumTries(_ tries: Int) async throws {
        try await runCommand(
            "/usr/bin/tpm2_dictionarylockout", ["--setup-parameters", "--max-tries=\(tries)"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// A TPM-wrapped P-256 key made in this TPM by the library, with `pin` as its PIN (none when nil),
    /// as the DER of its blob. The library reads `TPM2OPENSSL_TCTI` when it uses the TPM, and the test
    /// process's one points at the shared TPM: the key is made in an exit test's child process, whose
    /// environment can be changed without touching the tests running next to this one.
    func makeKey(pin: String?, into blobFile: String) async {
        let tcti = self.tcti
        await #expect(processExitsWith: .success) {
            [tcti = tcti as String, pin = pin as String?, blobFile = blobFile as String] in
            setenv("TPM2OPENSSL_TCTI", tcti, 1)
            let factory = TPMKeyFactory(newKeysRequirePIN: pin != nil, pinProvider: { _ in pin })
            let material = try factory.generateKey().keyMaterial()
            let der = material.withUnsafeDERBytes { Data($0) }
            try der.write(to: URL(fileURLWithPath: blobFile))
        }
    }

    /// Answers a challenge with `device`'s key in this TPM, as another device would (in an exit test's
    /// child, for the same reason as ``makeKey(pin:into:)``).
    func answer(_ challengeId: String, device: TestDevice, keys: String, pin: String) async {
        let tcti = self.tcti
        let profile = device.profile
        await #expect(processExitsWith: .success) {
            [
                tcti = tcti as String, profile = profile as DeviceProfile, keys = keys as String,
                challengeId = challengeId as String, pin = pin as String
            ] in
            setenv("TPM2OPENSSL_TCTI", tcti, 1)
            let client = try DeviceCredentialClient(
                profile: profile, keyStore: FileKeyStore(directory: keys),
                keyFactory: TPMKeyFactory(pinProvider: { _ in pin }))
            try await client.updateChallenge(challengeId: challengeId, approved: false)
        }
    }

    deinit {
        kill(pid, SIGKILL)
        _ = reap(pid)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func listen(at path: String) throws -> Int32 {
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard socket >= 0, bound == 0, Glibc.listen(socket, 16) == 0 else {
            throw TestFailure("cannot listen on \(path)")
        }
        return socket
    }
}
