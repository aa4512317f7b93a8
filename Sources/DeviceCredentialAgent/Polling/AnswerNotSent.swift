import DeviceCredential

/// Why an answer was not sent, so the challenge stays pending: what an app that gave the answer over D-Bus
/// needs to know to tell its user what to do (each is a named D-Bus error, see ``AgentBusNames``).
public enum AnswerNotSent: String, Sendable, Equatable {
    /// The TPM key's PIN was not given, was wrong too many times, the TPM is locked out, or there is no
    /// PIN prompter.
    case pinFailed
    /// The keyring that holds the key is locked, or its service is gone.
    case keyringLocked
    /// The profile has no key on this machine, or the server no longer knows its credential.
    case notEnrolled
    /// Anything else: the network, the server, the key store (the agent's log says which).
    case failed

    init(_ error: any Error) {
        guard let error = error as? DeviceCredentialError else {
            self = .failed
            return
        }
        switch error.code {
        case .keyringLocked, .keyringUnavailable: self = .keyringLocked
        case .notEnrolled, .invalidCredential: self = .notEnrolled
        default: self = .failed
        }
    }
}
