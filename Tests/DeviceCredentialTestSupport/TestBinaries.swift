import Foundation

/// Where the built executables are: next to the test runner, or in DEVICECRED_BIN_DIR.
public enum TestBinaries {
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["DEVICECRED_BIN_DIR"], !override.isEmpty {
            return override
        }
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var directory = URL(fileURLWithPath: runner).deletingLastPathComponent()
        // On Linux the runner may be .build/debug/Package.xctest; the executables sit beside it.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.path
    }

    /// The built executable `name`; throws when it is not there.
    public static func path(_ name: String) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("\(path) is missing: build it first (swift build), or set DEVICECRED_BIN_DIR")
        }
        return path
    }

    /// The devicecred-server a test starts for itself: DEVICECRED_TEST_SERVER_BIN, else the built one.
    public static func server() throws -> String {
        guard let override = ProcessInfo.processInfo.environment["DEVICECRED_TEST_SERVER_BIN"], !override.isEmpty
        else { return try path("devicecred-server") }
        guard FileManager.default.isExecutableFile(atPath: override) else {
            throw TestSupportError("DEVICECRED_TEST_SERVER_BIN=\(override) is not an executable")
        }
        return override
    }
}
