import DeviceCredential
import Foundation
import Logging
import Testing

@testable import DeviceCredentialAgent

#if canImport(Glibc)
    import Glibc
#endif

/// pinentry programs that break Assuan's rules, played by shell scripts talking to the real prompter: a
/// hostile or broken program on PATH must not make the agent buffer without end, nor wait for it forever.
extension PINPromptersTests {
    @Test("a pinentry that keeps the rules: the PIN of its data line, escapes decoded")
    func pinentryScriptedPIN() async throws {
        let pinentry = try Self.pinentryScript(
            #"""
            echo "OK Pleased to meet you"
            while read -r line; do
                case "$line" in
                    GETPIN) echo "D 12%2534"; echo OK ;;
                    BYE) echo OK; exit 0 ;;
                    *) echo OK ;;
                esac
            done
            """#)
        #expect(try await Self.askPIN(pinentry.pinentry, request, logger) == "12%34")
    }

    @Test("a pinentry that sends a line without end: an error naming Assuan's line limit, and it is ended")
    func pinentryEndlessLine() async throws {
        let pinentry = try Self.pinentryScript(
            #"""
            echo "OK Pleased to meet you"
            echo $$ > "$(dirname "$0")/pid"
            exec cat /dev/zero
            """#)
        let error = await #expect(throws: DeviceCredentialError.self) {
            try await Self.askPIN(pinentry.pinentry, request, logger)
        }
        #expect(error?.code == .promptFailed)
        #expect(
            error?.message.contains("it sent a line longer than Assuan's 1000 bytes") == true,
            "\(String(describing: error))")
        #expect(try Self.hasEnded(pinentry.pinentryPID))
    }

    @Test("a pinentry that sends data lines without end and ignores a closed pipe: an error, and it is ended")
    func pinentryEndlessData() async throws {
        // SIGPIPE ignored: once the agent stops reading, every echo fails and the loop goes on, so only
        // the agent's ending it (SIGTERM to its group) lets the prompt return.
        let pinentry = try Self.pinentryScript(
            #"""
            trap '' PIPE
            echo $$ > "$(dirname "$0")/pid"
            echo "OK Pleased to meet you"
            while read -r line; do
                case "$line" in
                    GETPIN) while :; do echo "D 0123456789abcdef0123456789abcdef" 2>/dev/null; done ;;
                    *) echo OK ;;
                esac
            done
            """#)
        let error = await #expect(throws: DeviceCredentialError.self) {
            try await Self.askPIN(pinentry.pinentry, request, logger)
        }
        #expect(
            error?.message.contains("it sent more than 4096 bytes of data in one response") == true,
            "\(String(describing: error))")
        #expect(try Self.hasEnded(pinentry.pinentryPID))
    }

    /// `body` as an executable shell script in a test home (removed when the test ends), where it may
    /// write its pid.
    private static func pinentryScript(_ body: String) throws -> TestHome {
        let home = try TestHome()
        try FileManager.default.createFile(
            atPath: home.pinentry, contents: Data(("#!/bin/sh\n" + body + "\n").utf8),
            attributes: [.posixPermissions: 0o755])
        return home
    }

    /// The prompter's answer. A guard against a hang, not a measure: a program the prompter does not end
    /// would keep the test waiting forever, so after two minutes the test fails and cancels the prompt.
    private static func askPIN(_ program: String, _ request: PINRequest, _ logger: Logger) async throws -> String? {
        let prompter = PinentryPrompter(
            program: program, ttyName: nil, ttyType: nil, characterLocale: nil, logger: logger)
        let asking = Task { try await prompter.askPIN(request) }
        let guardian = Task {
            try await Task.sleep(for: .seconds(120))
            Issue.record("the PIN prompt did not return: the pinentry program was not ended")
            asking.cancel()
        }
        defer { guardian.cancel() }
        return try await asking.value
    }

    /// Whether the process whose pid the script wrote is gone (reaped: the prompter waited for it).
    private static func hasEnded(_ pidFile: String) throws -> Bool {
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        return kill(pid, 0) == -1 && errno == ESRCH
    }
}

extension TestHome {
    /// Where a scripted pinentry is, and where it writes its pid.
    fileprivate var pinentry: String { root + "/pinentry" }
    fileprivate var pinentryPID: String { root + "/pid" }
}
