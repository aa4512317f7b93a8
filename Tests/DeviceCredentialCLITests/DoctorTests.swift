import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredentialCLI

/// `devicecred doctor` with the real thing absent or broken: no keyring daemon, a locked keyring, no
/// notification server, a server that is down, a server whose clock is an hour off, a revoked credential.
@Suite struct DoctorTests {
    /// One check of `doctor --json`.
    struct Check {
        var status: String
        var detail: String
        var fix: String?
    }

    /// Runs `doctor --json` (for `profile`) and returns the result with its checks by name.
    private func doctor(_ sandbox: CLISandbox, profile: String?, environment: [String: String] = [:]) async throws
        -> (result: ProcessResult, checks: [String: Check], ok: Bool?)
    {
        let arguments = ["doctor", "--json"] + (profile.map { ["--profile", $0] } ?? [])
        let result = try await sandbox.run(arguments, environment: environment)
        let document = try result.jsonObject()
        var checks: [String: Check] = [:]
        for entry in document["checks"] as? [[String: Any]] ?? [] {
            let name = try #require(entry["name"] as? String, "\(entry)")
            checks[name] = Check(
                status: entry["status"] as? String ?? "", detail: entry["detail"] as? String ?? "",
                fix: entry["fix"] as? String)
        }
        return (result, checks, document["ok"] as? Bool)
    }

    /// Enrolls `profile` with a file key (no keyring needed) and returns the user id.
    private func enrollWithFileKey(_ sandbox: CLISandbox, profile: String) async throws -> String {
        let userID = TestEnvironment.uniqueName("doctor-user")
        let enrolled = try await sandbox.enroll(userID: userID, profile: profile, extra: ["--key-store", "file"]).result
        try #require(enrolled.status == 0, "\(enrolled)")
        return userID
    }

    /// Points a saved profile at another API URL, as if the server had moved (or was never there).
    private func move(_ profile: String, to apiURL: String, in sandbox: CLISandbox) throws {
        let store = ProfileStore(directory: sandbox.directory.appendingPathComponent("config/devicecred").path)
        var saved = try #require(try store.profile(named: profile))
        saved.apiURL = apiURL
        try store.save(saved)
    }

    @Test func withoutAKeyringDaemonOrNotificationServerBothFailWithTheirFix() async throws {
        let bus = try await PrivateSessionBus()
        defer { bus.stop() }
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("doctor-no-keyring")
        try sandbox.saveSecretServiceProfile(profile)

        let (result, checks, ok) = try await doctor(sandbox, profile: profile, environment: bus.environment)
        #expect(result.status == 14, "\(result)")
        #expect(ok == false)
        #expect(checks["session bus"]?.status == "OK", "\(result)")
        #expect(checks["session bus"]?.detail == bus.address)
        let secretService = try #require(checks["secret service"], "\(result)")
        #expect(secretService.status == "FAIL")
        #expect(secretService.detail.contains("no Secret Service"), "\(secretService)")
        #expect(secretService.fix?.contains("gnome-keyring") == true, "\(secretService)")
        let notifications = try #require(checks["notifications"], "\(result)")
        #expect(notifications.status == "FAIL")
        #expect(notifications.detail.contains("no notification server"), "\(notifications)")
        #expect(notifications.fix != nil)
        #expect(checks["profile \(profile) key"]?.status == "FAIL", "\(result)")

        // People get one aligned line per check, the fix on the line below.
        let human = try await sandbox.run(["doctor", "--profile", profile], environment: bus.environment)
        #expect(human.status == 14, "\(human)")
        let lines = human.stdout.split(separator: "\n").map(String.init)
        let index = try #require(lines.firstIndex { $0.hasPrefix("FAIL secret service ") }, "\(human)")
        #expect(lines[index].hasSuffix("no Secret Service on the session bus"), "\(human)")
        #expect(lines[index + 1].trimmingCharacters(in: .whitespaces).hasPrefix("fix: "), "\(human)")
        #expect(lines.contains { $0.hasPrefix("OK   session bus ") }, "\(human)")
    }

    @Test func aLockedKeyringFailsUntilItIsUnlocked() async throws {
        let bus = try await PrivateSessionBus(keyringPassword: "doctor-locked")
        defer { bus.stop() }
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("doctor-locked")
        try sandbox.saveSecretServiceProfile(profile)
        try bus.lockKeyring()

        let locked = try await doctor(sandbox, profile: profile, environment: bus.environment)
        let secretService = try #require(locked.checks["secret service"], "\(locked.result)")
        #expect(secretService.status == "FAIL")
        #expect(secretService.detail.contains("locked"), "\(secretService)")
        #expect(secretService.fix?.contains("unlock") == true, "\(secretService)")
        #expect(locked.checks["profile \(profile) key"]?.status == "FAIL", "\(locked.result)")
        #expect(locked.result.status == 14)

        try bus.unlockKeyring()
        let unlocked = try await doctor(sandbox, profile: profile, environment: bus.environment)
        #expect(unlocked.checks["secret service"]?.status == "OK", "\(unlocked.result)")
        #expect(unlocked.checks["secret service"]?.detail.contains("gnome-keyring") == true, "\(unlocked.result)")
    }

    @Test func aNotificationServersCapabilitiesAreReported() async throws {
        let bus = try await PrivateSessionBus()
        defer { bus.stop() }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(bus.environment) { $1 }
        let fixture = TestEnvironment.packageRoot.appendingPathComponent(
            "Tests/DeviceCredentialAgentTests/Fixtures/notification-server.py")
        let server = try ChildProcess(
            "/usr/bin/python3", [fixture.path, "--log", "/dev/null", "--answer", "none"], environment: environment,
            standardOutput: .pipe)
        defer { server.stop() }
        _ = try await server.waitForLine(containing: "ready")
        let sandbox = try CLISandbox()

        let (result, checks, _) = try await doctor(sandbox, profile: nil, environment: bus.environment)
        #expect(checks["notifications"]?.status == "OK", "\(result)")
        #expect(checks["notifications"]?.detail.contains("devicecred-test") == true, "\(result)")
        // The fixture advertises actions and body, not persistence or body-markup.
        #expect(checks["notification actions"]?.status == "OK", "\(result)")
        #expect(checks["notification persistence"]?.status == "INFO", "\(result)")
        #expect(checks["notification markup"]?.status == "INFO", "\(result)")
        #expect(checks["profiles"]?.status == "FAIL", "no profile is enrolled in this sandbox: \(result)")
    }

    @Test func aServerThatIsDownFailsTheServerCheck() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("doctor-down")
        _ = try await enrollWithFileKey(sandbox, profile: profile)
        try move(profile, to: "http://127.0.0.1:1/v1", in: sandbox)

        let (result, checks, ok) = try await doctor(sandbox, profile: profile)
        #expect(result.status == 14, "\(result)")
        #expect(ok == false)
        #expect(checks["profile \(profile) key"]?.status == "OK", "\(result)")
        let server = try #require(checks["profile \(profile) server"], "\(result)")
        #expect(server.status == "FAIL")
        #expect(server.detail.contains("cannot reach http://127.0.0.1:1/v1"), "\(server)")
        #expect(server.fix != nil)
        #expect(checks["profile \(profile) credential"] == nil, "nothing can be said about it: \(result)")
    }

    /// A server whose certificate the system does not trust (self-signed): TLS is verified, so it fails.
    @Test func aServerWithAnUntrustedCertificateFailsTheServerCheck() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("doctor-tls")
        _ = try await enrollWithFileKey(sandbox, profile: profile)
        let directory = sandbox.directory.path
        let generated = try await ProcessRunner.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                directory + "/tls-key.pem", "-out", directory + "/tls-cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1",
            ], environment: ProcessInfo.processInfo.environment)
        try #require(generated.status == 0, "\(generated)")
        let server = try ChildProcess(
            "/usr/bin/openssl",
            [
                "s_server", "-accept", "127.0.0.1:0", "-cert", directory + "/tls-cert.pem", "-key",
                directory + "/tls-key.pem", "-www",
            ], standardOutput: .pipe)
        defer { server.stop() }
        let accepting = try await server.waitForLine(containing: "ACCEPT 127.0.0.1:")
        let port = try #require(accepting.split(separator: ":").last, "\(accepting)")
        try move(profile, to: "https://127.0.0.1:\(port)/v1", in: sandbox)

        let (result, checks, _) = try await doctor(sandbox, profile: profile)
        let check = try #require(checks["profile \(profile) server"], "\(result)")
        #expect(check.status == "FAIL")
        #expect(check.detail.lowercased().contains("certificate"), "\(check)")
        #expect(result.status == 14)
    }

    @Test func aServerClockAnHourOffFailsTheClockCheck() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("doctor-skew")
        _ = try await enrollWithFileKey(sandbox, profile: profile)

        let behind = try SkewedClockServer(offset: -3600)
        try move(profile, to: behind.apiURL, in: sandbox)
        let skewed = try await doctor(sandbox, profile: profile)
        #expect(skewed.checks["profile \(profile) credential"]?.status == "OK", "\(skewed.result)")
        let clock = try #require(skewed.checks["profile \(profile) clock"], "\(skewed.result)")
        #expect(clock.status == "FAIL")
        #expect(clock.detail.contains("ahead of the server's"), "\(clock)")
        #expect(clock.detail.contains("59m") || clock.detail.contains("1h"), "\(clock)")
        #expect(clock.fix?.contains("timedatectl") == true, "\(clock)")
        #expect(skewed.result.status == 14)

        let onTime = try SkewedClockServer(offset: 0)
        try move(profile, to: onTime.apiURL, in: sandbox)
        let fine = try await doctor(sandbox, profile: profile)
        #expect(fine.checks["profile \(profile) clock"]?.status == "OK", "\(fine.result)")
    }

    @Test func aCredentialExpiringSoonWarnsAndAnExpiredOneFails() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("doctor-expiry")
        _ = try await enrollWithFileKey(sandbox, profile: profile)

        let soon = try SkewedClockServer(offset: 0, credentialExpiresAt: Date().addingTimeInterval(2 * 86_400))
        try move(profile, to: soon.apiURL, in: sandbox)
        let warned = try await doctor(sandbox, profile: profile)
        let expiring = try #require(warned.checks["profile \(profile) expiry"], "\(warned.result)")
        #expect(expiring.status == "WARN")
        #expect(expiring.detail.contains("expires in 1d") || expiring.detail.contains("expires in 2d"), "\(expiring)")
        #expect(expiring.fix == "devicecred refresh --reset-expiry --profile \(profile)", "\(expiring)")

        let past = try SkewedClockServer(offset: 0, credentialExpiresAt: Date().addingTimeInterval(-3600))
        try move(profile, to: past.apiURL, in: sandbox)
        let failed = try await doctor(sandbox, profile: profile)
        #expect(failed.checks["profile \(profile) expiry"]?.status == "FAIL", "\(failed.result)")

        let far = try SkewedClockServer(offset: 0, credentialExpiresAt: Date().addingTimeInterval(90 * 86_400))
        try move(profile, to: far.apiURL, in: sandbox)
        let fine = try await doctor(sandbox, profile: profile)
        #expect(fine.checks["profile \(profile) expiry"]?.status == "OK", "\(fine.result)")
    }

    @Test func aRevokedCredentialFailsTheCredentialCheck() async throws {
        let sandbox = try CLISandbox()
        let profile = TestEnvironment.uniqueName("doctor-revoked")
        let userID = try await enrollWithFileKey(sandbox, profile: profile)

        let before = try await doctor(sandbox, profile: profile)
        #expect(before.checks["profile \(profile) server"]?.status == "OK", "\(before.result)")
        #expect(before.checks["profile \(profile) credential"]?.status == "OK", "\(before.result)")
        #expect(before.checks["profile \(profile) clock"]?.status == "OK", "the server sends Date: \(before.result)")

        try await sandbox.server.deleteAuthenticators(userID: userID)
        let after = try await doctor(sandbox, profile: profile)
        let credential = try #require(after.checks["profile \(profile) credential"], "\(after.result)")
        #expect(credential.status == "FAIL")
        #expect(credential.detail.contains("revoked"), "\(credential)")
        #expect(credential.fix?.contains("enroll again") == true, "\(credential)")
        #expect(after.result.status == 14)
    }

    @Test func aRunningAgentIsFoundByItsLock() async throws {
        let sandbox = try CLISandbox()
        let runtime = sandbox.directory.appendingPathComponent("run").path
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        sandbox.environment["XDG_RUNTIME_DIR"] = runtime

        let stopped = try await doctor(sandbox, profile: nil)
        let absent = try #require(stopped.checks["agent"], "\(stopped.result)")
        #expect(absent.status == "FAIL")
        #expect(absent.detail.contains("not running"), "\(absent)")
        #expect(absent.fix?.contains("systemctl --user enable --now devicecred-agent") == true, "\(absent)")

        let agent = try ChildProcess(
            TestBinaries.directory + "/devicecred-agent", ["--prompt", "command", "--prompt-command", "true"],
            environment: sandbox.environment, standardOutput: .pipe, standardError: .standardOutput)
        defer { agent.stop() }
        _ = try await agent.waitForLine(containing: "agent started")
        let running = try await doctor(sandbox, profile: nil)
        let found = try #require(running.checks["agent"], "\(running.result)")
        #expect(found.status == "OK")
        #expect(found.detail.contains("pid \(agent.pid)"), "\(found)")
        #expect(found.detail.contains(runtime + "/devicecred-agent.lock"), "\(found)")
    }

    /// Without systemctl (or a user manager to answer it) the unit counts as enabled by its wants link.
    @Test func withoutSystemctlTheUnitIsJudgedByItsWantsLink() async throws {
        let sandbox = try CLISandbox()
        sandbox.environment["PATH"] = sandbox.directory.appendingPathComponent("no-programs").path

        let before = try await doctor(sandbox, profile: nil)
        let disabled = try #require(before.checks["agent unit"], "\(before.result)")
        #expect(disabled.status == "WARN")
        #expect(disabled.fix == "systemctl --user enable --now devicecred-agent", "\(disabled)")
        #expect(before.checks["agent last error"]?.status == "INFO", "\(before.result)")
        #expect(before.checks["agent last error"]?.detail.hasPrefix("unknown") == true, "\(before.result)")

        let wants = sandbox.directory.appendingPathComponent("config/systemd/user/default.target.wants").path
        try FileManager.default.createDirectory(atPath: wants, withIntermediateDirectories: true)
        try "[Service]\nExecStart=/bin/true\n".write(
            toFile: wants + "/../devicecred-agent.service", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: wants + "/devicecred-agent.service", withDestinationPath: "../devicecred-agent.service")
        let after = try await doctor(sandbox, profile: nil)
        #expect(after.checks["agent unit"]?.status == "OK", "\(after.result)")
    }

    @Test func anUnknownProfileFails() async throws {
        let sandbox = try CLISandbox()
        let (result, checks, ok) = try await doctor(sandbox, profile: "nobody-here")
        #expect(result.status == 14, "\(result)")
        #expect(ok == false)
        #expect(checks["profiles"]?.status == "FAIL", "\(result)")
        #expect(checks["profiles"]?.detail.contains("nobody-here") == true, "\(result)")
    }

    @Test func aTPMKeysPINAndTheLockoutCounterAreReported() async throws {
        let tpm = try PrivateTPM()
        defer { tpm.stop() }
        let sandbox = try CLISandbox()
        sandbox.environment["TPM2OPENSSL_TCTI"] = tpm.tcti
        let profile = TestEnvironment.uniqueName("doctor-tpm")
        let userID = TestEnvironment.uniqueName("doctor-user")
        let pin = try sandbox.writeFile(TestEnvironment.uniqueName("pin"), "4711\n", mode: 0o600)
        let enrolled = try await sandbox.enroll(
            userID: userID, profile: profile,
            extra: ["--key-store", "tpm", "--blob-store", "file", "--tpm-pin", "--pin-file", pin]
        ).result
        try #require(enrolled.status == 0, "\(enrolled)")

        let fresh = try await doctor(sandbox, profile: profile)
        #expect(fresh.checks["tpm"]?.status == "OK", "\(fresh.result)")
        #expect(fresh.checks["profile \(profile) key"]?.detail.contains("PIN set") == true, "\(fresh.result)")
        #expect(fresh.checks["tpm lockout"]?.status == "OK", "\(fresh.result)")
        #expect(fresh.checks["tpm lockout"]?.detail.contains("0 of") == true, "\(fresh.result)")

        let wrongPIN = try sandbox.writeFile(TestEnvironment.uniqueName("pin"), "0000\n", mode: 0o600)
        let wrong = try await sandbox.run(["refresh", "--profile", profile, "--pin-file", wrongPIN])
        try #require(wrong.status == 10, "\(wrong)")
        let counted = try await doctor(sandbox, profile: profile)
        let lockout = try #require(counted.checks["tpm lockout"], "\(counted.result)")
        #expect(lockout.status == "WARN")
        #expect(lockout.detail.contains("1 of"), "\(lockout)")
    }
}

/// What doctor makes of values, without services: its output shapes, the clock arithmetic on odd
/// `Date` headers, and tpm2_getcap's output.
@Suite struct DoctorReportTests {
    @Test func humanLinesAreAlignedAndJSONHasEveryKey() throws {
        let report = DoctorReport(checks: [
            .ok("session bus", "unix:path=/run/user/1000/bus"),
            .fail("notifications", "no notification server on the session bus", fix: "start one"),
        ])
        #expect(
            report.humanText == """
                OK   session bus    unix:path=/run/user/1000/bus
                FAIL notifications  no notification server on the session bus
                                    fix: start one
                1 check failed
                """)
        #expect(!report.isOK)
        let checks = try #require(report.document["checks"])
        guard case .array(let entries) = checks, case .object(let first) = entries[0] else {
            Issue.record("checks is not an array of objects: \(checks)")
            return
        }
        #expect(first["fix"] == .null)
        #expect(first["status"] == .string("OK"))
        #expect(report.document["ok"] == .bool(false))
    }

    @Test func oddDateHeadersNeitherTrapNorPass() throws {
        let profile = try DeviceProfile(name: "clock", apiURL: "https://example.com/v1", tenantID: "tenant")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let checks = ProfileChecks(profile: profile, logger: .init(label: "test"), now: { now })
        let far = checks.clockCheck(dateHeader: "Fri, 31 Dec 9999 23:59:59 GMT", sentAt: now, receivedAt: now)
        #expect(far?.status == .fail)
        #expect(far?.detail.contains("behind") == true, "\(String(describing: far))")
        let garbage = checks.clockCheck(dateHeader: "yesterday\u{1b}[2J", sentAt: now, receivedAt: now)
        #expect(garbage?.status == .info)
        #expect(garbage?.detail.contains("\u{1b}") == false, "outside text is escaped")
        #expect(checks.clockCheck(dateHeader: nil, sentAt: now, receivedAt: now) == nil)
    }

    @Test func theLockoutIsReadFromTpm2Getcap() throws {
        let output = """
            TPM2_PT_PERMANENT:
              inLockout:                 1
            TPM2_PT_LOCKOUT_COUNTER: 0x3
            TPM2_PT_MAX_AUTH_FAIL: 0x3
            TPM2_PT_LOCKOUT_INTERVAL: 0x3E8
            """
        let properties = try #require(TPMLockoutCheck.Properties(output))
        #expect(properties == .init(inLockout: true, failures: 3, maximumFailures: 3, recoverySeconds: 1000))
        #expect(TPMLockoutCheck.check(properties, needed: true).status == .fail)
        #expect(TPMLockoutCheck.check(properties, needed: false).status == .warn)
        #expect(TPMLockoutCheck.Properties(output.replacingOccurrences(of: "0x3E8", with: "0xZZ")) == nil)
    }
}
