import DeviceCredentialTestSupport
import Foundation

/// Examples/python-prompter/devicecred-prompter.py, the example app developers copy, run as it is
/// (python3-gi) on a test's private session bus: an app that is the agent's prompter.
enum ExamplePrompter {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/python-prompter/devicecred-prompter.py").path

    /// Starts it with `--answer answer` and returns once the agent took its registration.
    static func start(on bus: PrivateSessionBus, answer: String) async throws -> RunningProcess {
        try await start(on: bus, [script, "--answer", answer])
    }

    /// Starts a Python program built on it (`arguments` begin with the script) on `bus`; returns once
    /// the agent took its registration.
    static func start(on bus: PrivateSessionBus, _ arguments: [String]) async throws -> RunningProcess {
        // Debian's python3, which python3-gi installs into (not a python3 of pyenv or a venv on PATH).
        let app = try await RunningProcess(
            "/usr/bin/python3", arguments,
            environment: bus.environment.merging([
                "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8",
            ]) { $1 },
            stopSignal: SIGKILL)
        try await app.stdout.waitForLine(containing: "registered as the agent's prompter")
        return app
    }
}
