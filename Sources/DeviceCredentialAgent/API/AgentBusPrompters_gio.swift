internal import CDeviceCredentialGio
import DeviceCredential
import Logging

/// The app as prompter, on the agent's bus connection: `RegisterPrompter` / `UnregisterPrompter`, the
/// registrant's name watched (NameOwnerChanged), `Ask` and `Cancel` on its object; and `ShowChallenge`.
extension AgentBusHandler: AppPrompterAsking {
    /// Errors that say the app is no longer there to answer.
    private static let goneErrors: Set<String> = [
        "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Disconnected",
    ]

    func registerPrompter(_ call: OpaquePointer, objectPath: String) {
        guard let sender = g_dbus_message_get_sender(call).map({ String(cString: $0) }) else {
            return fail(call, .invalidArguments, "RegisterPrompter needs a caller on the message bus")
        }
        let registrant = AppPrompterSlot.Registrant(busName: sender, objectPath: objectPath)
        do {
            // Registered already: its name is watched.
            guard try prompterSlot.register(registrant) else { return reply(to: call, []) }
        } catch {
            let holder = if case .taken(let holder) = error { holder.busName } else { "another app" }
            return fail(call, .prompterRegistered, "\(holder) is the agent's prompter: one app at a time")
        }
        // The bus calls wait for replies that GDBus's worker thread (this one) delivers: made from a task.
        g_object_ref(UnsafeMutableRawPointer(call))
        let box = MessageBox(call)
        Task {
            defer { g_object_unref(UnsafeMutableRawPointer(box.message)) }
            await BlockingWorkExecutor(label: "devicecred.bus.register").run {
                do {
                    try self.watchName(sender)
                } catch {
                    self.prompterSlot.nameLeft(sender)
                    return self.fail(box.message, .notRegistered, "cannot watch the caller's name on the bus: \(error)")
                }
                // Gone before the watch began: no NameOwnerChanged will come.
                if !self.nameHasOwner(sender) { self.prompterSlot.nameLeft(sender) }
                self.reply(to: box.message, [])
                self.logger.info(
                    "app registered as prompter",
                    metadata: [
                        "busName": "\(DisplayText.terminal(sender))",
                        "objectPath": "\(DisplayText.terminal(objectPath))",
                    ])
            }
        }
    }

    func unregisterPrompter(_ call: OpaquePointer, objectPath: String) {
        let sender = g_dbus_message_get_sender(call).map { String(cString: $0) } ?? ""
        do {
            try prompterSlot.unregister(.init(busName: sender, objectPath: objectPath))
        } catch {
            return fail(call, .notRegistered, "the caller is not the agent's prompter with this object")
        }
        unwatchName(sender)
        reply(to: call, [])
        logger.info("app prompter unregistered", metadata: ["busName": "\(DisplayText.terminal(sender))"])
    }

    func showAgain(_ call: OpaquePointer, challengeId: String) {
        do {
            try board.showAgain(challengeId)
            reply(to: call, [])
        } catch {
            fail(call, .challengeGone, "no open challenge with this id (answered, expired, or unknown)")
        }
    }

    /// The bus's NameOwnerChanged (name, old owner, new owner): the registrant's name has no owner any more.
    func nameOwnerChanged(_ body: OpaquePointer?) {
        guard text(body, 2).isEmpty, let gone = prompterSlot.nameLeft(text(body, 0)) else { return }
        unwatchName(gone.busName)
        logger.notice(
            "the app prompter left the bus; the agent's own prompter asks",
            metadata: ["busName": "\(DisplayText.terminal(gone.busName))"])
    }

    // MARK: Asking the app

    func ask(_ app: AppPrompterSlot.Registrant, _ request: PromptRequest) async throws -> PromptDecision {
        let open = AgentBoard.OpenChallenge(
            profile: request.profileName, challenge: request.challenge,
            needsVerificationCode: request.needsVerificationCode)
        let cancellable = Cancellable()
        logger.info("asking the app prompter", metadata: ["busName": "\(DisplayText.terminal(app.busName))"])
        let outcome = await withTaskCancellationHandler {
            await BlockingWorkExecutor(label: "devicecred.bus.ask").run { self.callAsk(app, open, cancellable) }
        } onCancel: {
            cancellable.cancel()
        }
        if Task.isCancelled {
            tellCancel(app, challengeId: request.challenge.challengeId)
            throw CancellationError()
        }
        switch outcome {
        case .success(let answer):
            switch answer.answer {
            case "approve": return .approve(verificationCode: answer.code.isEmpty ? nil : answer.code)
            case "deny": return .deny
            default: return .unanswered
            }
        case .failure(let failure):
            throw failure
        }
    }

    /// `Ask(challengeId, context)` on the app's object, blocking until it answers, fails or is cancelled.
    private func callAsk(
        _ app: AppPrompterSlot.Registrant, _ open: AgentBoard.OpenChallenge, _ cancellable: Cancellable
    )
        -> Result<(answer: String, code: String), AppPrompterFailure>
    {
        let arguments = [g_variant_new_string(open.challenge.challengeId), Self.dictionary(open)]
        var error: UnsafeMutablePointer<GError>?
        let replyType = g_variant_type_new("(ss)")  // owned: a pointer into a Swift string would not outlive the call
        defer { g_variant_type_free(replyType) }
        // No timeout: the agent cancels the call when the challenge expires or is answered elsewhere.
        let reply = cancellable.withPointer { cancellable in
            g_dbus_connection_call_sync(
                connection, app.busName, app.objectPath, AgentBusNames.prompterInterface, "Ask",
                arguments.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) },
                replyType, G_DBUS_CALL_FLAGS_NO_AUTO_START, Int32.max, cancellable, &error)
        }
        guard let reply else {
            let failure = GioError.consumeCall(error)
            let gone = failure.remoteName.map(Self.goneErrors.contains) ?? false
            return .failure(
                AppPrompterFailure(
                    errorName: failure.remoteName, message: failure.message,
                    appIsGone: !failure.cancelled && gone && !nameHasOwner(app.busName)))
        }
        defer { g_variant_unref(reply) }
        return .success((text(reply, 0), text(reply, 1)))
    }

    /// `Cancel(challengeId)` on the app's object; no reply awaited.
    private func tellCancel(_ app: AppPrompterSlot.Registrant, challengeId: String) {
        logger.info("telling the app prompter the question is withdrawn")
        g_dbus_connection_call(
            connection, app.busName, app.objectPath, AgentBusNames.prompterInterface, "Cancel",
            g_variant_new_tuple([g_variant_new_string(challengeId)], 1), nil, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
            nil, nil, nil)
    }

    // MARK: The registrant's name

    private static func nameWatchRule(_ busName: String) -> String {
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',"
            + "path='/org/freedesktop/DBus',arg0='\(busName)'"
    }

    private func watchName(_ busName: String) throws {
        g_variant_unref(try callBus("AddMatch", [g_variant_new_string(Self.nameWatchRule(busName))]))
    }

    /// Drops the watch; no reply awaited (this may run on GDBus's worker thread).
    private func unwatchName(_ busName: String) {
        g_dbus_connection_call(
            connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RemoveMatch",
            g_variant_new_tuple([g_variant_new_string(Self.nameWatchRule(busName))], 1), nil,
            G_DBUS_CALL_FLAGS_NONE, -1, nil, nil, nil)
    }

    /// Whether `busName` is on the bus (true when the bus does not answer: the app is then asked).
    private func nameHasOwner(_ busName: String) -> Bool {
        guard let reply = try? callBus("NameHasOwner", [g_variant_new_string(busName)]) else { return true }
        defer { g_variant_unref(reply) }
        let value = g_variant_get_child_value(reply, 0)!
        defer { g_variant_unref(value) }
        return g_variant_get_boolean(value) != 0
    }
}

/// A `GCancellable` of one call, cancelled from the task's cancellation handler (GCancellable is thread-safe).
private final class Cancellable: @unchecked Sendable {
    private let pointer = g_cancellable_new()

    func cancel() { g_cancellable_cancel(pointer) }

    func withPointer<T>(_ body: (UnsafeMutablePointer<GCancellable>?) -> T) -> T { body(pointer) }

    deinit { g_object_unref(UnsafeMutableRawPointer(pointer)) }
}
