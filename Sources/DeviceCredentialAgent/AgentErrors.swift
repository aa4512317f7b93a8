public import DeviceCredential

extension DeviceCredentialError.Code {
    /// Another devicecred-agent already runs for this user.
    public static let agentAlreadyRunning = Self(rawValue: "agent_already_running")
    /// A prompter could not show a challenge (no terminal, no notification server, the command failed to start).
    public static let promptFailed = Self(rawValue: "prompt_failed")
}
