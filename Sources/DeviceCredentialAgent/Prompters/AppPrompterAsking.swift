/// Asks the app registered as prompter about one challenge (``AgentBusService`` does, over D-Bus:
/// `io.github.DeviceCredential.Prompter1.Ask` on the app's object).
protocol AppPrompterAsking: Sendable {
    /// The app's decision (`dismiss` or anything unknown is ``PromptDecision/unanswered``). When the
    /// calling task is cancelled, the call is cancelled, the app gets `Cancel(challengeId)`, and this
    /// throws `CancellationError`; a failed call throws ``AppPrompterFailure``.
    func ask(_ app: AppPrompterSlot.Registrant, _ request: PromptRequest) async throws -> PromptDecision
}

/// The app's `Ask` failed: an error reply, or the app left the bus before answering.
struct AppPrompterFailure: Error, Sendable {
    /// The D-Bus error name, when the reply had one (outside text: render it before showing).
    var errorName: String?
    var message: String
    /// The app is no longer on the bus (it quit or crashed while asked, or before).
    var appIsGone: Bool
}
