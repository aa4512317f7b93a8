import DeviceCredentialTestSupport
import Foundation

/// Where the CLI tests find what they run; the services themselves are in DeviceCredentialTestSupport.
enum TestEnvironment {
    static var devicecred: String { TestBinaries.directory + "/devicecred" }

    /// The package root, for the scripts and docs tests read.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A name no other test uses, so tests can run in parallel against one server and one keyring.
    static func uniqueName(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.lowercased().prefix(12)
    }
}
