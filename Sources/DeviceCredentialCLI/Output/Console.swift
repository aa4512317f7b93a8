import DeviceCredential

/// Where a command's results go: one JSON document on standard output with `--json`, short lines for
/// people otherwise; messages and errors on standard error as `devicecred: <message>`.
public struct Console: Sendable {
    /// Whether the command was asked for `--json`.
    public let isJSON: Bool

    /// A console for human or JSON output.
    public init(isJSON: Bool) {
        self.isJSON = isJSON
    }

    /// The command's result: `document` with `--json`, `human` otherwise. Call once per command.
    func result(_ document: JSONValue, human: @autoclosure () -> String) {
        if isJSON {
            StandardStream.output.write(JSONRendering.render(document) + "\n")
        } else {
            let text = human()
            if !text.isEmpty { StandardStream.output.write(text.hasSuffix("\n") ? text : text + "\n") }
        }
    }

    /// A line for people that comes before the result (nothing with `--json`, which prints one document).
    func progress(_ text: String) {
        guard !isJSON else { return }
        StandardStream.output.write(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// A message on standard error, prefixed `devicecred: `. Its outside parts were rendered where the
    /// message was made; `DisplayText.guarded` is the last guard, so no control character ever leaves.
    func message(_ text: String) {
        StandardStream.error.write("devicecred: \(DisplayText.guarded(text))\n")
    }

    /// Reports a failure: the error document with `--json` (on standard output), and the message on standard error.
    func report(_ failure: CommandFailure) {
        if isJSON { StandardStream.output.write(JSONRendering.render(Documents.error(failure)) + "\n") }
        message(failure.message)
    }
}
