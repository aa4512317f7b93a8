import DeviceCredential
import Foundation

/// The files the agent tests run (a notification server).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A throwaway HOME/XDG tree for one agent: its own profiles, file keys and lock.
final class TestHome: Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("agent-test-\(UUID().uuidString)").path
        for directory in [config, data, runtime, state] {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    var config: String { root + "/config" }
    var data: String { root + "/data" }
    var runtime: String { root + "/run" }
    var state: String { root + "/state" }
    /// The history of answers the agent writes here.
    var history: ChallengeHistory { ChallengeHistory(directory: state + "/devicecred") }
    var profileStore: ProfileStore { ProfileStore(directory: config + "/devicecred") }
    var fileKeyStore: FileKeyStore { FileKeyStore(directory: data + "/devicecred/keys") }

    /// The environment an agent process runs with: this home's directories, the test's D-Bus.
    func environment(extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = config
        environment["XDG_DATA_HOME"] = data
        environment["XDG_RUNTIME_DIR"] = runtime
        environment["XDG_STATE_HOME"] = state
        // Never the machine's journal: a test that wants the reports binds its own socket.
        environment["DEVICECRED_JOURNAL_SOCKET"] = runtime + "/no-journal"
        environment.merge(extra) { $1 }
        return environment
    }
}
