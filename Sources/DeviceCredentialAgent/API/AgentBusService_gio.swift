internal import CDeviceCredentialGio
public import DeviceCredential
import FoundationEssentials
public import Logging

/// The agent's API on the session bus (`io.github.DeviceCredential.Agent1`, see ``AgentBusNames``), over a
/// private GDBus connection. Method calls are read by a message filter on GDBus's worker thread and
/// answered from there (or from a task, for an answer that is signed and sent), so the agent needs no
/// GLib main loop. Every caller on the user's session bus may call it: the bus is the user's own, as for
/// the Secret Service and notifications.
public final class AgentBusService: Sendable {
    // The pointer is only touched inside GDBus calls, which are thread-safe.
    nonisolated(unsafe) private let connection: OpaquePointer
    private let handler: AgentBusHandler
    private let filterID: UInt32

    /// Connects to the session bus, takes the agent's name and starts answering. Throws `dbus_unavailable`
    /// when there is no session bus, `prompt_failed` when the name is taken.
    public init(board: AgentBoard, logger: Logger) throws {
        let address = try SessionBusAddress.resolve()
        let connection = try PrivateBusConnection.open(address, context: "cannot connect to the D-Bus session bus")
        self.connection = connection
        handler = AgentBusHandler(connection: connection, board: board, logger: logger)
        let handlerPointer = Unmanaged.passRetained(handler).toOpaque()
        filterID = g_dbus_connection_add_filter(
            connection, agentMethodFilter, handlerPointer,
            { Unmanaged<AgentBusHandler>.fromOpaque($0!).release() })
        board.listen { [handler] event in handler.emit(event) }
        // DO_NOT_QUEUE: the agent's lock already keeps a second agent out; a name held by anyone else
        // is an error worth saying.
        let reply = try handler.callBus(
            "RequestName", [g_variant_new_string(AgentBusNames.busName), g_variant_new_uint32(4)])
        defer { g_variant_unref(reply) }
        let result = g_variant_get_child_value(reply, 0)!
        defer { g_variant_unref(result) }
        guard [1, 4].contains(g_variant_get_uint32(result)) else {
            throw DeviceCredentialError(
                code: .promptFailed, message: "\(AgentBusNames.busName) is taken on the session bus by another process")
        }
    }

    /// `own`, asked only while no app is registered as prompter (`RegisterPrompter`); `ShowChallenge`
    /// asks again. The agent prompts through this when it offers the API.
    public func prompter(routing own: any ChallengePrompter) -> any ChallengePrompter {
        PromptRouter(
            own: own, slot: handler.prompterSlot, apps: handler, showAgain: handler.board.showAgainRequests,
            board: handler.board, logger: handler.logger)
    }

    deinit {
        g_dbus_connection_remove_filter(connection, filterID)
        g_dbus_connection_close_sync(connection, nil, nil)
        g_object_unref(UnsafeMutableRawPointer(connection))
    }
}

/// Answers the method calls and emits the signals; what the filter hands over.
final class AgentBusHandler: Sendable {
    nonisolated(unsafe) let connection: OpaquePointer
    let board: AgentBoard
    let logger: Logger
    /// The app registered as prompter, if any.
    let prompterSlot = AppPrompterSlot()

    init(connection: OpaquePointer, board: AgentBoard, logger: Logger) {
        self.connection = connection
        self.board = board
        self.logger = logger
    }

    /// Handles one call to the agent's object; `call` is borrowed (referenced again when answered later).
    func handle(_ call: OpaquePointer, interface: String?, member: String, signature: String, body: OpaquePointer?) {
        switch (interface, member, signature) {
        case ("org.freedesktop.DBus.Introspectable", "Introspect", ""):
            reply(to: call, [g_variant_new_string(AgentBusNames.introspectionXML)])
        case ("org.freedesktop.DBus.Peer", "Ping", ""):
            reply(to: call, [])
        case (AgentBusNames.interface, "ListProfiles", ""), (nil, "ListProfiles", ""):
            reply(to: call, [array(board.profiles().map(Self.dictionary))])
        case (AgentBusNames.interface, "ListChallenges", ""), (nil, "ListChallenges", ""):
            reply(to: call, [array(board.openChallenges().map(Self.dictionary))])
        case (AgentBusNames.interface, "PollNow", ""), (nil, "PollNow", ""):
            board.pollNow()
            reply(to: call, [])
        case (AgentBusNames.interface, "Approve", "ss"), (nil, "Approve", "ss"):
            let code = text(body, 1)
            answer(call, challengeId: text(body, 0), .approve(verificationCode: code.isEmpty ? nil : code))
        case (AgentBusNames.interface, "Deny", "s"), (nil, "Deny", "s"):
            answer(call, challengeId: text(body, 0), .deny)
        case (AgentBusNames.interface, "Report", "s"), (nil, "Report", "s"):
            answer(call, challengeId: text(body, 0), .report)
        case (AgentBusNames.interface, "RegisterPrompter", "o"), (nil, "RegisterPrompter", "o"):
            registerPrompter(call, objectPath: text(body, 0))
        case (AgentBusNames.interface, "UnregisterPrompter", "o"), (nil, "UnregisterPrompter", "o"):
            unregisterPrompter(call, objectPath: text(body, 0))
        case (AgentBusNames.interface, "ShowChallenge", "s"), (nil, "ShowChallenge", "s"):
            showAgain(call, challengeId: text(body, 0))
        case (AgentBusNames.interface, "RegisterPrompter", _), (AgentBusNames.interface, "UnregisterPrompter", _),
            (AgentBusNames.interface, "ShowChallenge", _):
            fail(
                call, .invalidArguments,
                "\(member) takes (\(member == "ShowChallenge" ? "s" : "o")), not (\(signature))")
        case (AgentBusNames.interface, "Approve", _), (AgentBusNames.interface, "Deny", _),
            (AgentBusNames.interface, "Report", _):
            fail(call, .invalidArguments, "\(member) takes \(member == "Approve" ? "(ss)" : "(s)"), not (\(signature))")
        default:
            fail(call, .unknownMethod, "no method \(member) with signature (\(signature)) here")
        }
    }

    /// The answer is signed and sent by the challenge's own answering; the call is answered once it ends.
    private func answer(_ call: OpaquePointer, challengeId: String, _ decision: PromptDecision) {
        g_object_ref(UnsafeMutableRawPointer(call))
        let box = MessageBox(call)
        let (board, logger) = (self.board, self.logger)
        logger.info(
            "answer received over D-Bus",
            metadata: [
                "challengeId": "\(DisplayText.terminal(challengeId))",
                "approve": "\(decision != .deny && decision != .report)", "report": "\(decision == .report)",
            ])
        Task {
            defer { g_object_unref(UnsafeMutableRawPointer(box.message)) }
            do throws(AgentBoard.AnswerRefusal) {
                let ending = try await board.answer(challengeId, decision: decision)
                switch ending.resolution {
                case .approved, .denied, .reported: self.reply(to: box.message, [])
                case .refused: self.fail(box.message, .wrongCode, "the server refused the code: it does not match")
                case .withdrawn:
                    self.fail(box.message, .challengeGone, "the challenge was answered elsewhere or expired")
                case .unanswered:
                    self.fail(box.message, ending.notSent)
                }
            } catch .challengeGone {
                self.fail(box.message, .challengeGone, "no open challenge with this id (answered, expired, or unknown)")
            } catch .codeRequired {
                self.fail(box.message, .wrongCode, "this challenge needs the number-matching code the sign-in shows")
            } catch .heldByGuard {
                self.fail(
                    box.message, .challengeGone,
                    "the fatigue guard holds this challenge: answer it with devicecred approve or deny, "
                        + "or choose Show anyway on the warning")
            }
        }
    }

    func emit(_ event: AgentBoard.Event) {
        switch event {
        case .challengeReceived(let open):
            signal("ChallengeReceived", [Self.dictionary(open)])
        case .challengeResolved(let id, let profile, let resolution):
            signal(
                "ChallengeResolved",
                [g_variant_new_string(id), g_variant_new_string(profile), g_variant_new_string(resolution.rawValue)])
        case .profilesChanged:
            signal("ProfilesChanged", [])
        }
    }

    // MARK: Values

    private static func dictionary(_ profile: AgentBoard.ProfileEntry) -> OpaquePointer {
        dictionaryVariant([
            ("name", g_variant_new_string(profile.name)), ("state", g_variant_new_string(profile.state.rawValue)),
            ("keyKind", g_variant_new_string(profile.keyKind)), ("apiURL", g_variant_new_string(profile.apiURL)),
            ("numberMatching", g_variant_new_boolean(profile.usesNumberMatching ? 1 : 0)),
        ])
    }

    static func dictionary(_ open: AgentBoard.OpenChallenge) -> OpaquePointer {
        let challenge = open.challenge
        var entries: [(String, OpaquePointer?)] = [
            ("challengeId", g_variant_new_string(challenge.challengeId)),
            ("profile", g_variant_new_string(open.profile)),
            ("needsVerificationCode", g_variant_new_boolean(open.needsVerificationCode ? 1 : 0)),
            ("heldByGuard", g_variant_new_boolean(open.heldByGuard ? 1 : 0)),
            ("summary", g_variant_new_string(summary(open))),
        ]
        let texts: [(String, String?)] = [
            ("actionCode", challenge.actionCode), ("userId", challenge.userId), ("ipAddress", challenge.ipAddress),
            ("userAgent", challenge.userAgent), ("browser", challenge.userAgent.map { UserAgentSummary.text(for: $0) }),
        ]
        for case (let key, let value?) in texts { entries.append((key, g_variant_new_string(value))) }
        if let expires = challenge.expiresAt?.timeIntervalSince1970, expires.isFinite,
            let seconds = Int(exactly: expires.rounded(.down))
        {
            entries.append(("expiresAt", g_variant_new_int64(seconds)))
        }
        return dictionaryVariant(entries)
    }

    /// One line a person can read, every outside value shown safely.
    private static func summary(_ open: AgentBoard.OpenChallenge) -> String {
        let challenge = open.challenge
        let parts = [
            challenge.actionCode.map { DisplayText.terminal($0, limit: 60) } ?? "sign-in",
            challenge.ipAddress.map { "from " + DisplayText.terminal($0, limit: 60) },
            challenge.userAgent.map { "on " + DisplayText.terminal(UserAgentSummary.text(for: $0)) },
        ]
        return parts.compactMap { $0 }.joined(separator: " ")
    }

    // MARK: GDBus

    func callBus(_ method: String, _ arguments: [OpaquePointer?]) throws -> OpaquePointer {
        let parameters = arguments.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) }
        var error: UnsafeMutablePointer<GError>?
        let reply = g_dbus_connection_call_sync(
            connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method,
            parameters, nil, G_DBUS_CALL_FLAGS_NONE, 5000, nil, &error)
        guard let reply else { throw GioError.consume(error, context: "D-Bus call \(method) failed") }
        return reply
    }

    func reply(to call: OpaquePointer, _ values: [OpaquePointer?]) {
        let message = g_dbus_message_new_method_reply(call)!
        if !values.isEmpty {
            g_dbus_message_set_body(
                message, values.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) })
        }
        send(message)
    }

    func fail(_ call: OpaquePointer, _ name: AgentBusNames.Error, _ text: String) {
        send(g_dbus_message_new_method_error_literal(call, name.rawValue, text)!)
    }

    /// The error for an answer that was not sent, named for why when the agent knows.
    func fail(_ call: OpaquePointer, _ notSent: AnswerNotSent?) {
        switch notSent {
        case .pinFailed:
            fail(call, .pinFailed, "the answer was not sent: the TPM key's PIN was not given or was wrong")
        case .keyringLocked:
            fail(call, .keyringLocked, "the answer was not sent: the keyring is locked; unlock it and answer again")
        case .notEnrolled:
            fail(call, .notEnrolled, "the answer was not sent: this profile is no longer enrolled (no key, or revoked)")
        case .failed, nil:
            fail(call, .notSent, "the answer was not sent; the agent's log says why")
        }
    }

    private func send(_ message: OpaquePointer) {
        g_dbus_connection_send_message(connection, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, nil, nil)
        g_object_unref(UnsafeMutableRawPointer(message))
    }

    private func signal(_ name: String, _ values: [OpaquePointer?]) {
        let parameters = values.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) }
        g_dbus_connection_emit_signal(
            connection, nil, AgentBusNames.objectPath, AgentBusNames.interface, name, parameters, nil)
    }

    func text(_ body: OpaquePointer?, _ index: Int) -> String {
        guard let body else { return "" }
        let value = g_variant_get_child_value(body, gsize(index))!
        defer { g_variant_unref(value) }
        return String(cString: g_variant_get_string(value, nil))
    }

    private func array(_ dictionaries: [OpaquePointer]) -> OpaquePointer? {
        let children = dictionaries.map { Optional($0) }
        // The type's C string must outlive the call that reads it: not a temporary of an argument.
        return children.withUnsafeBufferPointer { values in
            "a{sv}".withCString {
                g_variant_new_array(g_variant_type_checked_($0), values.baseAddress, gsize(values.count))
            }
        }
    }
}

private func dictionaryVariant(_ entries: [(String, OpaquePointer?)]) -> OpaquePointer {
    let children: [OpaquePointer?] = entries.map {
        g_variant_new_dict_entry(g_variant_new_string($0.0), g_variant_new_variant($0.1))
    }
    return children.withUnsafeBufferPointer { values in
        "{sv}".withCString {
            g_variant_new_array(g_variant_type_checked_($0), values.baseAddress, gsize(values.count))!
        }
    }
}

/// A GDBus message handed to the task that answers it (GDBus objects are thread-safe).
struct MessageBox: @unchecked Sendable {
    let message: OpaquePointer
    init(_ message: OpaquePointer) { self.message = message }
}

/// The message filter, on GDBus's worker thread: takes the method calls to the agent's object (they are
/// answered, and not passed on), hears the bus's NameOwnerChanged (the app prompter leaving), and lets
/// everything else through.
private let agentMethodFilter: GDBusMessageFilterFunction = { _, message, incoming, userData in
    if incoming != 0, let message, let userData,
        g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_SIGNAL,
        let sender = g_dbus_message_get_sender(message), String(cString: sender) == "org.freedesktop.DBus",
        let member = g_dbus_message_get_member(message), String(cString: member) == "NameOwnerChanged",
        let signature = g_dbus_message_get_signature(message), String(cString: signature) == "sss"
    {
        Unmanaged<AgentBusHandler>.fromOpaque(userData).takeUnretainedValue()
            .nameOwnerChanged(g_dbus_message_get_body(message))
        return message
    }
    guard incoming != 0, let message, let userData,
        g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL,
        let path = g_dbus_message_get_path(message), String(cString: path) == AgentBusNames.objectPath,
        let member = g_dbus_message_get_member(message)
    else { return message }
    let handler = Unmanaged<AgentBusHandler>.fromOpaque(userData).takeUnretainedValue()
    handler.handle(
        message, interface: g_dbus_message_get_interface(message).map { String(cString: $0) },
        member: String(cString: member),
        signature: g_dbus_message_get_signature(message).map { String(cString: $0) } ?? "",
        body: g_dbus_message_get_body(message))
    g_object_unref(UnsafeMutableRawPointer(message))
    return nil
}
