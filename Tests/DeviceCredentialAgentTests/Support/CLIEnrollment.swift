import DeviceCredentialTestSupport
import Foundation

/// Enrolls a new user through `devicecred enroll` on the bus `environment` names, the way a user's key gets
/// into a keyring of the test's own (the library in the test process would use the shared session's).
/// Returns the user id.
func enrollThroughCLI(
    profile: String, in home: TestHome, backend: ServerAPI, environment: [String: String] = [:],
    extraArguments: [String] = []
) async throws -> String {
    let userID = "agent-user-" + UUID().uuidString.lowercased()
    let tracked = try await backend.track(userID: userID, action: "enroll")
    guard tracked.state == "ALLOW" else { throw TestFailure("enrollment track gave \(tracked.state)") }
    let tokenFile = home.root + "/token-" + profile
    _ = FileManager.default.createFile(
        atPath: tokenFile, contents: Data(tracked.token.utf8), attributes: [.posixPermissions: 0o600])
    let enroll = try await RunningProcess(
        try TestBinaries.path("devicecred"),
        [
            "enroll", "--token-file", tokenFile, "--api-url", backend.apiURL, "--tenant-id", backend.tenantID,
            "--profile", profile, "--device-name", "agent test",
        ] + extraArguments,
        environment: home.environment(extra: environment))
    guard try await enroll.waitForExit() == 0 else { throw TestFailure("enroll failed: \(enroll.stderr.lines)") }
    return userID
}
