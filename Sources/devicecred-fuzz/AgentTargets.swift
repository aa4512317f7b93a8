import DeviceCredentialAgent

/// The agent's readers of what other programs write: pinentry's Assuan lines and a prompt command's answer.
enum AgentTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "assuan", summary: "pinentry's Assuan lines, and text escaped for its commands", body: assuan),
        FuzzTarget(name: "command-answer", summary: "the first line a --prompt-command prints", body: commandAnswer),
    ]

    /// Each line as the PIN reader reads it; the whole input as text escaped for a command, which must stay
    /// one line within its budget (a newline in it would be a second command).
    static func assuan(_ bytes: [UInt8]) throws {
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            _ = Assuan.Line(line)
        }
        let budget = Assuan.maximumLineLength - 40
        let escaped = Assuan.escape(String(decoding: bytes, as: UTF8.self), budget: budget)
        guard escaped.utf8.count <= budget, !escaped.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else {
            fatalError("Assuan.escape let a line break through or went past its budget")
        }
    }

    static func commandAnswer(_ bytes: [UInt8]) throws {
        _ = CommandPrompter.firstLine(of: bytes)
    }
}
