import DeviceCredential

/// A small dialog that asks for the number-matching code: `zenity --entry` or `kdialog --inputbox`.
public struct CodeEntryDialog: Sendable {
    /// The dialog program's path.
    public var executable: String
    /// Its arguments before the prompt text.
    public var arguments: [String]

    /// Creates a dialog runner.
    public init(executable: String, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// zenity when it is on `PATH`, else kdialog, else nil.
    public static func installed(path: String? = Environment.value("PATH")) -> CodeEntryDialog? {
        if let zenity = ProgramSearch.locate("zenity", path: path) {
            return CodeEntryDialog(executable: zenity, arguments: ["--entry", "--title=devicecred", "--text"])
        }
        if let kdialog = ProgramSearch.locate("kdialog", path: path) {
            return CodeEntryDialog(executable: kdialog, arguments: ["--title", "devicecred", "--inputbox"])
        }
        return nil
    }

    /// The dialog's text: both dialogs read it as markup, so the action code from the server is escaped.
    static func text(for request: PromptRequest) -> String {
        let action = request.challenge.actionCode.map { DisplayText.markup($0, limit: 80) } ?? "the sign-in"
        return "Type the code shown in the browser to approve \(action)"
    }

    /// Asks for the code; nil when the person cancelled or typed nothing.
    func askCode(for request: PromptRequest) async throws -> String? {
        let result = try await ChildProcess(executable: executable, arguments: arguments + [Self.text(for: request)])
            .run()
        guard result.exitStatus == 0 else { return nil }
        return CommandPrompter.firstLine(of: result.output)
    }
}
