#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one echo switch, for the agent's terminal prompts and the CLI's questions: what a person types
/// for a secret (a PIN, a token) does not appear on the screen.
package enum TerminalEcho {
    /// Runs `body` with echo off on the terminal `descriptor` (the Enter still moves to a new line),
    /// and puts the terminal's settings back afterwards, also when `body` throws. On a descriptor that
    /// is no terminal, just runs `body`.
    package static func hidden<T>(on descriptor: Int32, _ body: () throws -> T) rethrows -> T {
        var saved = termios()
        guard tcgetattr(descriptor, &saved) == 0 else { return try body() }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        _ = tcsetattr(descriptor, TCSANOW, &silent)
        defer { _ = tcsetattr(descriptor, TCSANOW, &saved) }
        return try body()
    }
}
