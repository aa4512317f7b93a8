/// The agent's D-Bus names, and the errors its API answers with (documented in Docs/agent.md; the
/// interface's XML is installed under share/dbus-1/interfaces).
package enum AgentBusNames {
    static let busName = "io.github.DeviceCredential.Agent"
    static let objectPath = "/io/github/DeviceCredential/Agent"
    static let interface = "io.github.DeviceCredential.Agent1"
    /// What an app registered as prompter serves on its object (`Ask`, `Cancel`).
    static let prompterInterface = "io.github.DeviceCredential.Prompter1"

    enum Error: String {
        /// Not open on this machine: unknown, already answered, withdrawn, or an answer is under way.
        case challengeGone = "io.github.DeviceCredential.Agent1.Error.ChallengeGone"
        /// Approve without the number-matching code, or the server refused the code sent.
        case wrongCode = "io.github.DeviceCredential.Agent1.Error.WrongCode"
        /// The answer was not sent (the network, the server, the key store: see the agent's log); the
        /// challenge stays pending. The next three are the reasons an app can act on.
        case notSent = "io.github.DeviceCredential.Agent1.Error.NotSent"
        /// Not sent: the TPM key's PIN was not given, wrong too many times, or the TPM is locked out.
        case pinFailed = "io.github.DeviceCredential.Agent1.Error.PINFailed"
        /// Not sent: the keyring that holds the key is locked (unlock it and answer again).
        case keyringLocked = "io.github.DeviceCredential.Agent1.Error.KeyringLocked"
        /// Not sent: the profile has no key here, or the server no longer knows its credential.
        case notEnrolled = "io.github.DeviceCredential.Agent1.Error.NotEnrolled"
        /// RegisterPrompter while another app is the prompter (one at a time).
        case prompterRegistered = "io.github.DeviceCredential.Agent1.Error.PrompterRegistered"
        /// UnregisterPrompter from a caller, or for an object, that is not the registered prompter.
        case notRegistered = "io.github.DeviceCredential.Agent1.Error.NotRegistered"
        case invalidArguments = "org.freedesktop.DBus.Error.InvalidArgs"
        case unknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"
    }
}
