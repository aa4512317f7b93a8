import DeviceCredential
import Foundation
import Logging
import Testing

@testable import DeviceCredentialAgent

/// The PIN prompters' parts that need no TPM: Assuan escaping and decoding, what pinentry is told, the
/// choice of prompter, and the command-line checks.
@Suite("agent PIN parts")
struct PINPromptersTests {
    let request = PINRequest(
        challenge: PromptRequest(
            challenge: AppChallenge(
                challengeId: "c-1", userAuthenticatorId: "a-1", userId: "alice", actionCode: "signIn",
                userAgent: "Firefox", ipAddress: "192.0.2.7", expiresAt: Date(timeIntervalSince1970: 1_000_065)),
            profile: try! DeviceProfile(name: "work", apiURL: "http://127.0.0.1:1/v1", tenantID: "t"),
            now: Date(timeIntervalSince1970: 1_000_000)),
        approving: true)
    let logger = Logger(label: "test")

    @Test("Assuan escaping: %, CR, LF and other control characters become %XX; the rest stays")
    func escape() {
        #expect(Assuan.escape("100% sure\nnext\r\tline") == "100%25 sure%0Anext%0D%09line")
        #expect(Assuan.escape("Zürich <b> & ok") == "Zürich <b> & ok")
        #expect(Assuan.escape(String(repeating: "%", count: 400), budget: 30) == String(repeating: "%25", count: 10))
    }

    @Test("pinentry's description and the PIN command's prompt carry outside text escaped, never raw")
    func hostileText() throws {
        var hostile = request
        hostile.challenge.challenge.actionCode = "signIn\u{1B}[2J"
        hostile.challenge.challenge.userAgent = "x\u{1B}[1A\rfrom 10.0.0.1\u{9B}2J"
        let prompter = PinentryPrompter(
            program: "/usr/bin/pinentry", ttyName: "/dev/pts/7", ttyType: "xterm", characterLocale: "C.UTF-8",
            logger: logger)
        let description = try #require(prompter.commands(for: hostile).first { $0.hasPrefix("SETDESC ") })
        // Assuan would carry a raw ESC or CR as %1B or %0D, and pinentry would then draw it.
        #expect(!description.contains("%1B") && !description.contains("%0D"), "\(description)")
        #expect(!description.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) })
        #expect(description.contains(#"TPM PIN to approve signIn\e[2J (profile work)"#))
        #expect(description.contains(#"Browser: x\e[1A\rfrom 10.0.0.1\u{9B}2J"#))
        #expect(!hostile.fullPrompt.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    @Test("Assuan decoding: %XX of either case becomes the byte; a broken escape is kept")
    func decode() {
        #expect(Assuan.decode(Array("a%25b%0a%0D%2f".utf8)) == Array("a%b\n\r/".utf8))
        #expect(Assuan.decode(Array("50%".utf8)) == Array("50%".utf8))
        #expect(Assuan.decode(Array("%zz1".utf8)) == Array("%zz1".utf8))
        #expect(Assuan.decode(Array("Zürich".utf8)) == Array("Zürich".utf8))
    }

    @Test("Assuan response lines: OK, ERR with its code, D decoded, status and comments skipped")
    func lines() {
        #expect(Assuan.Line(Array("OK".utf8)) == .ok)
        #expect(Assuan.Line(Array("OK Pleased to meet you".utf8)) == .ok)
        #expect(
            Assuan.Line(Array("ERR 83886179 Operation cancelled <Pinentry>".utf8))
                == .error(code: Assuan.cancelled, description: "Operation cancelled <Pinentry>"))
        #expect(Assuan.Line(Array("D 12%2534".utf8)) == .data(Array("12%34".utf8)))
        #expect(Assuan.Line(Array("S PASSWORD_FROM_CACHE".utf8)) == .other)
        #expect(Assuan.Line(Array("# comment".utf8)) == .other)
        #expect(Assuan.Line(Array("OKAY".utf8)) == .other)
        #expect(Assuan.Line(Array("INQUIRE QUALITY".utf8)) == .inquire)
    }

    @Test("pinentry is told the terminal, the title, the challenge, the prompt, and the error on a retry")
    func pinentryCommands() {
        let prompter = PinentryPrompter(
            program: "/usr/bin/pinentry", ttyName: "/dev/pts/7", ttyType: "xterm", characterLocale: "C.UTF-8",
            logger: logger)
        let first = prompter.commands(for: request)
        #expect(first.first == "OPTION ttyname=/dev/pts/7")
        #expect(first.contains("OPTION ttytype=xterm"))
        #expect(first.contains("OPTION lc-ctype=C.UTF-8"))
        #expect(first.contains("SETTITLE devicecred"))
        #expect(first.contains("SETPROMPT PIN:"))
        #expect(first.contains("SETOK Approve"))
        let description = try! #require(first.first { $0.hasPrefix("SETDESC ") })
        #expect(description.contains("TPM PIN to approve signIn (profile work).%0A%0AAction: signIn%0A"))
        #expect(description.contains("IP address: 192.0.2.7"))
        #expect(description.contains("Time left: 1 min 05 s"))
        #expect(!first.contains { $0.hasPrefix("SETERROR") })

        var retry = request
        retry.attempt = 3
        retry.approving = false
        let again = prompter.commands(for: retry)
        #expect(again.contains("SETERROR Wrong PIN, try again (1 attempt left)"))
        #expect(again.contains("SETOK Deny"))

        let noTerminal = PinentryPrompter(
            program: "/usr/bin/pinentry", ttyName: nil, ttyType: "xterm", characterLocale: "C.UTF-8", logger: logger)
        #expect(!noTerminal.commands(for: request).contains { $0.hasPrefix("OPTION") })
    }

    @Test("the default PIN prompter: the command, else the terminal with the terminal prompter, else pinentry")
    func choice() throws {
        let terminal = TerminalPrompter()
        let command = CommandPrompter(command: "exit 0", logger: logger)
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("pin-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        FileManager.default.createFile(
            atPath: bin + "/pinentry", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])

        func choose(
            _ kind: PINPrompterKind? = nil, command pinCommand: String? = nil, prompter: any ChallengePrompter,
            terminal: Bool = true, path: String? = nil
        ) throws -> String {
            try PrompterChoice(pinPrompt: kind, pinCommand: pinCommand).makePINPrompter(
                for: prompter, terminalAvailable: terminal, path: path ?? bin, logger: logger
            ).map(PrompterChoice.name) ?? "none"
        }
        #expect(try choose(command: "echo 1", prompter: terminal) == "command")
        #expect(try choose(prompter: terminal) == "terminal")
        #expect(try choose(prompter: terminal, terminal: false) == "pinentry \(bin)/pinentry")
        #expect(try choose(prompter: command) == "pinentry \(bin)/pinentry")
        #expect(try choose(prompter: command, path: "/nonexistent") == "none")
        #expect(try choose(.pinentry, command: "echo 1", prompter: terminal) == "pinentry \(bin)/pinentry")
        #expect(try choose(.terminal, prompter: command) == "terminal")

        #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
            try choose(.pinentry, prompter: command, path: "/nonexistent")
        }
        #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
            try choose(.command, prompter: command)
        }
        #expect(throws: DeviceCredentialError(code: .promptFailed, message: "")) {
            try choose(.terminal, prompter: command, terminal: false)
        }
    }

    @Test("the PIN command: exit 0 gives the first line, untrimmed but for CR; anything else, no PIN")
    func command() async throws {
        func ask(_ command: String) async throws -> String? {
            try await CommandPINPrompter(command: command, logger: logger).askPIN(request)
        }
        #expect(try await ask("printf ' 12 34\\r\\nsecond\\n'") == " 12 34")
        #expect(try await ask("echo \"$DEVICECRED_PIN_PROMPT\"") == "TPM PIN to approve signIn (profile work):")
        #expect(try await ask("grep -o '\"challengeId\":\"[^\"]*\"'") == "\"challengeId\":\"c-1\"")
        #expect(try await ask("echo 1234; exit 1") == nil)
        #expect(try await ask("exit 0") == nil)
        #expect(try await ask("kill -9 $$") == nil)
    }
}

/// The PIN options' mistakes exit like the others: 2 for usage, 4 for configuration.
@Suite("devicecred-agent PIN options")
struct PINOptionExitCodeTests {
    /// The exit status, once the agent said `message`. Waits for that line rather than for the end of
    /// its output: a process another test starts at the same moment can inherit the pipe and hold it open.
    private func exitStatus(_ arguments: [String], saying message: String) async throws -> Int32 {
        let home = try TestHome()
        let agent = try await RunningProcess.agent(arguments, home: home)
        let status = try await agent.waitForExit()
        try await agent.stderr.waitForLine(containing: message)
        return status
    }

    @Test("--pin-prompt with an unknown kind, or command without --pin-command: usage (2)")
    func usage() async throws {
        #expect(
            try await exitStatus(
                ["--pin-prompt", "bogus"], saying: "Please provide one of 'terminal', 'pinentry' or 'command'")
                == 2)
        #expect(
            try await exitStatus(["--pin-prompt", "command"], saying: "--pin-prompt command needs --pin-command CMD")
                == 2)
    }

    @Test("--pin-prompt pinentry without the program: configuration (4), naming it")
    func missingProgram() async throws {
        let arguments = [
            "--prompt", "command", "--prompt-command", "exit 2", "--pin-prompt", "pinentry", "--pin-program",
            "/nonexistent/pinentry",
        ]
        #expect(try await exitStatus(arguments, saying: "no program '/nonexistent/pinentry'") == 4)
    }

    @Test("an error that names a value with controls in it shows them escaped (a program name from a config file)")
    func errorShownEscaped() async throws {
        let home = try TestHome()
        let agent = try await RunningProcess.agent(
            [
                "--prompt", "command", "--prompt-command", "exit 2", "--pin-prompt", "pinentry", "--pin-program",
                "/nonexistent/\u{1B}[2Jpinentry",
            ], home: home)
        #expect(try await agent.waitForExit() == 4)
        let line = try await agent.stderr.waitForLine(containing: "no program")
        #expect(line.contains(#"no program '/nonexistent/\e[2Jpinentry'"#), "\(line)")
        #expect(!line.unicodeScalars.contains("\u{1B}"), "\(line)")
    }
}
