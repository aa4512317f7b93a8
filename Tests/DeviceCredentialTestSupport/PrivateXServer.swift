import Foundation

/// An X server of one test's own (Xvfb): with `DISPLAY` pointing at a live X server, GLib's session-bus
/// lookup would autolaunch a dbus-daemon through dbus-launch, which is what the no-autolaunch tests
/// prove does not happen.
public final class PrivateXServer: @unchecked Sendable {
    /// The value for `DISPLAY`, e.g. `:3`.
    public let display: String
    private let server: ChildProcess
    private let directory: String

    /// Starts Xvfb on a free display; returns once it accepts clients (it prints the display then).
    public init() async throws {
        directory = try makePrivateDirectory("dc-x")
        server = try ChildProcess(
            "/usr/bin/Xvfb", ["-displayfd", "1", "-nolisten", "tcp"], standardOutput: .pipe,
            standardError: .file(directory + "/xvfb.log"))
        do {
            let number = try await server.waitForLine(containing: "")
            display = ":" + number.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            server.stop()
            let log = (try? String(contentsOfFile: directory + "/xvfb.log", encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: directory)
            throw TestSupportError("Xvfb did not start: \(error) \(log)")
        }
    }

    deinit { stop() }

    /// Ends it with SIGTERM, so it removes its lock file and socket, and returns once it is reaped.
    public func stop() {
        if server.isRunning { kill(server.pid, SIGTERM) }
        server.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The live processes whose environment holds a marker variable: what a command left behind (a daemon it
/// started inherits the command's environment).
public enum MarkedProcesses {
    /// A variable to put in a command's environment, unique to one test.
    public static func marker() -> (name: String, value: String) {
        ("DEVICECRED_TEST_MARKER", UUID().uuidString)
    }

    /// The process ids and names of live (not zombie) processes whose environment has `name=value`.
    public static func find(_ marker: (name: String, value: String)) -> [String] {
        let needle = Data("\(marker.name)=\(marker.value)".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid -> String? in
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                environ.split(separator: 0).contains(where: { Data($0) == needle }),
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                !status.contains("State:\tZ")
            else { return nil }
            let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "?"
            return "\(pid) \(name.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}
