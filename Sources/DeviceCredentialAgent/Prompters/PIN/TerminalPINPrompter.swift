import DeviceCredential
public import Logging

/// Asks for the PIN on the terminal the terminal prompter uses (`/dev/tty`), without echo.
public struct TerminalPINPrompter: PINPrompter {
    /// The terminal device.
    public var path: String
    private let logger: Logger

    /// Creates a prompter on `path` (default: the controlling terminal).
    public init(path: String = "/dev/tty", logger: Logger) {
        self.path = path
        self.logger = logger
    }

    public func askPIN(_ request: PINRequest) async throws -> String? {
        let terminal = try TerminalLineReader(path: path)
        let logger = self.logger
        let pin = try await withTaskCancellationHandler {
            try await runOffCooperativePool {
                if let error = request.error { terminal.write(error + ".\n") }
                let pin = terminal.readSecretLine(prompt: request.prompt + ": ") {
                    // After echo went off: from here on, typing does not show.
                    logger.debug(
                        "PIN prompt shown", metadata: ["prompter": "terminal", "attempt": "\(request.attempt)"])
                }
                if pin == nil { terminal.write("\nNo PIN: the challenge is left unanswered.\n") }
                return pin
            }
        } onCancel: {
            terminal.interrupt()
        }
        return pin?.isEmpty == false ? pin : nil
    }
}
