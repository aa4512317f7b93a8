import DeviceCredential

/// Renders devicecred(1) in roff (man(7) macros) from the command tree, plus the sections a command tree
/// does not describe: exit statuses (from ``DevicecredExitStatus/all``), environment, files, examples.
enum ManualPage {
    static func render(toolInfoJSON: String) throws -> String {
        let root = try ToolDescription(json: toolInfoJSON).command
        var page = Roff()
        page.macro("TH", "DEVICECRED", "1", "", "devicecred \(DeviceCredentialVersion.string)", "User Commands")
        page.section("NAME")
        page.text("devicecred \\- " + Roff.escape(root.abstract ?? ""))
        page.section("SYNOPSIS")
        page.raw("\\fBdevicecred\\fR \\fIcommand\\fR [\\fIoptions\\fR]")
        page.section("DESCRIPTION")
        page.paragraphs(root.discussion ?? "")
        page.section("COMMANDS")
        for command in root.subcommands ?? [] where command.shouldDisplay ?? true {
            page.subsection("devicecred \(command.commandName)")
            page.raw(synopsis(of: command))
            page.macro("PP")
            page.paragraphs(command.abstract ?? "")
            if let discussion = command.discussion {
                page.macro("PP")
                page.paragraphs(discussion)
            }
            for argument in command.arguments ?? [] where shows(argument) {
                page.macro("TP")
                page.raw(label(of: argument))
                page.text(help(of: argument))
            }
        }
        page.section("OPTIONS")
        page.text("devicecred \\-\\-version prints the version; every command takes \\-h, \\-\\-help.")
        page.section("EXIT STATUS")
        for status in DevicecredExitStatus.all {
            page.macro("TP")
            page.raw("\\fB\(status.code)\\fR")
            page.text(Roff.escape(status.meaning))
        }
        page.section("ENVIRONMENT")
        for (name, meaning) in environment {
            page.macro("TP")
            page.raw("\\fB\(Roff.escape(name))\\fR")
            page.text(Roff.escape(meaning))
        }
        page.section("FILES")
        for (path, meaning) in files {
            page.macro("TP")
            page.raw("\\fI\(Roff.escape(path))\\fR")
            page.text(Roff.escape(meaning))
        }
        page.section("EXAMPLES")
        for (comment, command) in examples {
            page.text(Roff.escape(comment))
            page.macro("PP")
            page.macro("RS", "4")
            page.macro("nf")
            page.raw(Roff.escape(command))
            page.macro("fi")
            page.macro("RE")
        }
        page.section("SECURITY")
        page.text(
            Roff.escape(
                "Tokens, keys and signatures never appear in any output, message or log. The private key never "
                    + "leaves its store; the file store keeps it in a mode 0600 file."))
        page.section("SEE ALSO")
        page.raw("\\fBdevicecred\\-agent\\fR(1), \\fBsecret\\-tool\\fR(1)")
        return page.output
    }

    private static func shows(_ argument: ToolDescription.Argument) -> Bool {
        let builtIn = (argument.names ?? []).contains { $0.name == "help" || $0.name == "version" }
        return argument.shouldDisplay && !builtIn
    }

    private static func label(of argument: ToolDescription.Argument) -> String {
        let value = argument.valueName.map { " \\fI\(Roff.escape($0))\\fR" } ?? ""
        if argument.kind == "positional" { return "\\fI\(Roff.escape(argument.valueName ?? "value"))\\fR" }
        let names = (argument.names ?? []).map { name in
            "\\fB" + (name.kind == "short" ? "\\-" : "\\-\\-") + Roff.escape(name.name) + "\\fR"
        }
        return names.joined(separator: ", ") + (argument.kind == "option" ? value : "")
    }

    private static func help(of argument: ToolDescription.Argument) -> String {
        var text = argument.abstract ?? ""
        if let discussion = argument.discussion { text += " " + discussion }
        if let values = argument.allValues, argument.kind == "option" {
            let described = values.map { value in
                argument.allValueDescriptions?[value].map { "\(value) (\($0))" } ?? value
            }
            text += " Values: " + described.joined(separator: "; ") + "."
        }
        if let defaultValue = argument.defaultValue, argument.kind == "option" {
            text += " Default: \(defaultValue)."
        }
        return Roff.escape(text)
    }

    private static func synopsis(of command: ToolDescription.Command) -> String {
        var parts = ["\\fBdevicecred \(Roff.escape(command.commandName))\\fR"]
        for argument in command.arguments ?? [] where shows(argument) {
            let label = self.label(of: argument).replacing(", ", with: " | ")
            parts.append(argument.isOptional ? "[\(label)]" : label)
        }
        return parts.joined(separator: " ")
    }

    static let environment: [(String, String)] = [
        (
            "AUTHSIGNAL_API_URL",
            "The API base URL enroll uses when --api-url is not given (e.g. https://api.authsignal.com/v1)."
        ),
        ("AUTHSIGNAL_TENANT_ID", "The tenant id enroll uses when --tenant-id is not given."),
        ("XDG_CONFIG_HOME", "The profile list lives in $XDG_CONFIG_HOME/devicecred (default ~/.config)."),
        ("XDG_DATA_HOME", "The file key store lives in $XDG_DATA_HOME/devicecred/keys (default ~/.local/share)."),
        ("DBUS_SESSION_BUS_ADDRESS", "The session bus the Secret Service key store talks to."),
        (
            "TPM2OPENSSL_TCTI",
            "With --key-store tpm: the TPM to use (default: the kernel resource manager /dev/tpmrm0)."
        ),
    ]

    static let files: [(String, String)] = [
        ("$XDG_CONFIG_HOME/devicecred/profiles.json", "The profiles: non-secret settings of each enrollment."),
        ("$XDG_DATA_HOME/devicecred/keys/PROFILE.pem", "Keys of profiles enrolled with --key-store file (mode 0600)."),
    ]

    static let examples: [(String, String)] = [
        (
            "Enroll from a script, the token in a file only this user can read:",
            "devicecred enroll --token-file /run/enroll-token --api-url https://api.authsignal.com/v1 --tenant-id TENANT"
        ),
        ("Enroll with the token on standard input:", "get-token | devicecred enroll --token - --key-store file"),
        ("Approve the pending challenge after seeing it (asks y/N on the terminal):", "devicecred approve"),
        ("Approve from a script, by id:", "devicecred approve 01e8189d-272a-49ee-9409-e160ecec881a"),
        ("Number matching:", "devicecred approve --code 42"),
        ("Read the pending challenge from a script:", "devicecred challenge --json | jq -r .actionCode"),
    ]
}

/// Builds roff text line by line.
struct Roff {
    private(set) var output = ""

    mutating func macro(_ name: String, _ arguments: String...) {
        let quoted = arguments.map { $0.isEmpty || $0.contains(" ") ? "\"\($0)\"" : $0 }
        output += "." + ([name] + quoted).joined(separator: " ") + "\n"
    }

    mutating func section(_ title: String) { macro("SH", title) }

    mutating func subsection(_ title: String) { macro("SS", title) }

    /// A line already in roff (escaped by the caller).
    mutating func raw(_ line: String) { output += Self.guardLine(line) + "\n" }

    /// Escaped text; a blank line becomes a paragraph break.
    mutating func text(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) { macro("PP") } else { raw(String(line)) }
        }
    }

    mutating func paragraphs(_ text: String) { self.text(Self.escape(text)) }

    /// Escapes backslashes and hyphens (so options copy and paste as typed).
    static func escape(_ text: String) -> String {
        text.replacing("\\", with: "\\e").replacing("-", with: "\\-")
    }

    /// A line that starts with `.` or `'` would be read as a macro.
    private static func guardLine(_ line: String) -> String {
        line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : line
    }
}
