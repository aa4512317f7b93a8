import DeviceCredential
import DeviceCredentialTestSupport
import Foundation

/// A throwaway XDG tree for the agent: its profile and file key, its lock and answer claims, its history,
/// and the file where the prompter writes each challenge it is shown.
struct Sandbox {
    /// The profiles the agent polls, one user each.
    static func profileName(_ index: Int) -> String { "soak-\(index)" }
    let root: String

    init() throws {
        root =
            FileManager.default.temporaryDirectory.appendingPathComponent("devicecred-soak-\(UUID().uuidString)")
            .path
        for directory in [config, data, runtime, state] {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    var config: String { root + "/config" }
    var data: String { root + "/data" }
    var runtime: String { root + "/run" }
    var state: String { root + "/state" }
    var shownFile: String { root + "/shown" }
    private var keyStore: FileKeyStore { FileKeyStore(directory: data + "/devicecred/keys") }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Appends the challenge id it is given to the shown file, then by the id's last hex digit approves it
    /// (0-7), denies it (8-b) or leaves it unanswered (c-f, as a dismissed notification): a challenge left
    /// pending is polled again and again until it expires, and must not be shown again.
    var promptCommand: String {
        #"id=$(jq -r .challengeId); echo "$id" >> '"# + shownFile
            + #"'; case "$id" in *[0-7]) exit 0 ;; *[89ab]) exit 1 ;; *) exit 2 ;; esac"#
    }

    var agentEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = config
        environment["XDG_DATA_HOME"] = data
        environment["XDG_RUNTIME_DIR"] = runtime
        environment["XDG_STATE_HOME"] = state
        environment["DEVICECRED_JOURNAL_SOCKET"] = runtime + "/no-journal"  // never the machine's journal
        return environment
    }

    /// Enrolls a new user through the library straight to the server, and saves the profile the agent polls
    /// with the proxy's URL; returns the user and a client of the same key straight to the server.
    func enroll(profile name: String, backend: ServerAPI, agentURL: String) async throws -> (
        userID: String, elsewhere: DeviceCredentialClient
    ) {
        let userID = "soak-" + UUID().uuidString.lowercased()
        let tracked = try await backend.track(userID: userID, action: "enroll")
        guard tracked.state == "ALLOW" else { throw SoakFailure("the enrollment's track gave \(tracked.state)") }
        var profile = try DeviceProfile(
            name: name, apiURL: backend.apiURL, tenantID: backend.tenantID, deviceName: "soak",
            keyStore: .file)
        let direct = try DeviceCredentialClient(profile: profile, keyStore: keyStore)
        let credential = try await direct.addCredential(token: tracked.token)
        profile.userID = credential.userId
        profile.userAuthenticatorID = credential.userAuthenticatorId
        var polled = profile
        polled.apiURL = agentURL
        try ProfileStore(directory: config + "/devicecred").save(polled)
        return (userID, try DeviceCredentialClient(profile: profile, keyStore: keyStore))
    }

    /// How many times the prompter was shown each challenge.
    func shownChallenges() -> [String: Int] {
        let text = (try? String(contentsOfFile: shownFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").reduce(into: [:]) { $0[String($1), default: 0] += 1 }
    }
}
