internal import CDeviceCredentialGio

/// The running agent's D-Bus API (io.github.DeviceCredential.Agent1), for `devicecred challenge --show`.
/// Calls never start the agent (no D-Bus activation): a new agent would not know the dismissed prompt.
extension SessionBusProbe {
    static let agentName = "io.github.DeviceCredential.Agent"
    private static let agentPath = "/io/github/DeviceCredential/Agent"
    private static let agentInterface = "io.github.DeviceCredential.Agent1"

    /// The agent's open challenges (`ListChallenges`): id and profile of each.
    func agentOpenChallenges() throws(CallError) -> [(challengeId: String, profile: String)] {
        let reply = try call(
            Self.agentName, Self.agentPath, Self.agentInterface, "ListChallenges", nil,
            flags: G_DBUS_CALL_FLAGS_NO_AUTO_START)
        defer { g_variant_unref(reply) }
        let list = g_variant_get_child_value(reply, 0)!
        defer { g_variant_unref(list) }
        return (0..<g_variant_n_children(list)).compactMap { index in
            let entry = g_variant_get_child_value(list, index)!
            defer { g_variant_unref(entry) }
            guard let id = Self.string(in: entry, key: "challengeId") else { return nil }
            return (id, Self.string(in: entry, key: "profile") ?? "")
        }
    }

    /// `ShowChallenge(challengeId)`: the agent asks about it again with its current prompter.
    func agentShowChallenge(_ challengeId: String) throws(CallError) {
        let reply = try call(
            Self.agentName, Self.agentPath, Self.agentInterface, "ShowChallenge",
            g_variant_new_tuple([g_variant_new_string(challengeId)], 1), flags: G_DBUS_CALL_FLAGS_NO_AUTO_START)
        g_variant_unref(reply)
    }

    /// The string under `key` in an `a{sv}` dictionary, when it is one.
    private static func string(in dictionary: OpaquePointer, key: String) -> String? {
        let type = g_variant_type_new("s")  // owned: a pointer into a Swift string would not outlive the call
        defer { g_variant_type_free(type) }
        guard let value = g_variant_lookup_value(dictionary, key, type) else { return nil }
        defer { g_variant_unref(value) }
        return String(cString: g_variant_get_string(value, nil))
    }
}
