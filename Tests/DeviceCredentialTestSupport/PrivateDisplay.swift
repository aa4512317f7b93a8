import Foundation

/// An X display of one test's own (Xvfb, 1024x768, no TCP), for notification daemons to draw on and
/// for xdotool to click in; screenshots with ImageMagick's `import`.
public final class PrivateDisplay: @unchecked Sendable {
    /// The display name for `DISPLAY`, e.g. `:3`.
    public let name: String
    private let server: ChildProcess

    /// What a process needs to draw on this display.
    public var environment: [String: String] { ["DISPLAY": name] }

    /// Starts Xvfb on a free display number; returns once it accepts clients.
    public init() async throws {
        // -displayfd: Xvfb picks a free number and prints it once ready, so nothing is guessed or polled.
        let log = try makePrivateDirectory("dc-xvfb") + "/Xvfb.log"
        server = try ChildProcess(
            "/usr/bin/Xvfb", ["-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset"],
            standardOutput: .pipe, standardError: .file(log))
        do {
            let number = try await server.waitForLine(containing: "").trimmingCharacters(in: .whitespaces)
            guard Int(number) != nil else { throw TestSupportError("Xvfb printed '\(number)', not a display number") }
            name = ":" + number
        } catch {
            server.stop()
            let errors = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestSupportError("Xvfb did not start: \(error) \(errors)")
        }
    }

    deinit { stop() }

    /// Ends the X server.
    public func stop() {
        server.stop()
    }

    /// Saves what the screen shows in `area` (x, y, width, height; the whole screen when nil) as a PNG.
    public func screenshot(to path: String, area: (x: Int, y: Int, width: Int, height: Int)? = nil) async throws {
        var arguments = ["-display", name, "-window", "root"]
        if let area { arguments += ["-crop", "\(area.width)x\(area.height)+\(area.x)+\(area.y)", "+repage"] }
        let result = try await ChildProcess.run("/usr/bin/import", arguments + [path])
        guard result.status == 0 else { throw TestSupportError("import failed: \(result.errors)") }
    }

    /// Runs xdotool on this display and returns what it printed (trimmed).
    @discardableResult
    public func xdotool(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> String {
        let result = try await ChildProcess.run(
            "/usr/bin/xdotool", arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            timeout: timeout)
        guard result.status == 0 else {
            throw TestSupportError("xdotool \(arguments.joined(separator: " ")) failed: \(result.errors)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
