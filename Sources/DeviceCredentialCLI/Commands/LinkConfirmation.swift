import DeviceCredential
import DeviceCredentialAgent
import FoundationEssentials

/// Who says yes to an enrollment link, and how: a link never enrolls silently. With a desktop (a
/// notification server with buttons on the session bus) a notification with Enroll and Cancel; else a
/// y/N question on the terminal when standard input is one; else no one, and nothing is enrolled.
enum LinkConfirmation {
    /// A notification server with buttons.
    case notification(NotificationQuestion)
    /// The terminal (standard input is one).
    case terminal
    /// Neither.
    case nobody

    /// The way to ask in this session: the desktop first, since a link is usually opened from a browser
    /// whose standard input may be a terminal nobody looks at.
    static func current() -> LinkConfirmation {
        if let question = try? NotificationQuestion(appName: "devicecred"), question.canAsk() {
            return .notification(question)
        }
        return TerminalInput.isInteractive ? .terminal : .nobody
    }

    /// Shows who asks and returns only on a yes; anything else is `cancelled` (exit 13).
    func confirm(_ link: EnrollmentLink, now: Date) async throws {
        switch self {
        case .notification(let question):
            try await confirm(link, with: question, now: now)
        case .terminal:
            try confirmOnTerminal(link, now: now)
        case .nobody:
            throw CommandFailure(
                code: "confirmation_unavailable",
                message: "nobody to confirm the enrollment: no notification server with buttons on the session bus "
                    + "and no terminal; nothing was enrolled. Open the link again in a desktop session, run "
                    + "devicecred open in a terminal, or enroll with devicecred enroll --token-file PATH",
                status: .cancelled)
        }
    }

    /// After the answer: a notification saying how it ended, since a link opened from a browser has no
    /// terminal to print on. Nothing for a cancellation, which the person chose.
    func tell(_ outcome: Result<EnrollmentLink, CommandFailure>) {
        guard case .notification(let question) = self else { return }
        let render: (String) -> String =
            question.readsMarkup() ? { DisplayText.markup($0) } : { DisplayText.terminal($0) }
        switch outcome {
        case .success(let link):
            question.tell(
                summary: "This computer is enrolled",
                body: render(
                    "Sign-ins of \(link.claims.userID) through \(link.apiHost) can now be approved here "
                        + "(profile \(link.profile))."))
        case .failure(let failure) where failure.status != .cancelled:
            question.tell(summary: "This computer was not enrolled", body: render(failure.message))
        case .failure:
            break
        }
    }

    /// What the person is shown: who asks (the API host, the tenant, the user the token names) and what
    /// saying yes does. Outside values go through `render` (`DisplayText` for the medium).
    static func details(of link: EnrollmentLink, now: Date, render: (String) -> String) -> [(String, String)] {
        [
            ("server", render(link.apiHost) + (link.apiURL.lowercased().hasPrefix("http:") ? " (plain http)" : "")),
            ("tenant", render(link.tenantID)),
            ("user", render(link.claims.userID)),
            ("profile", link.profile),
            ("link", TimeFormatting.expiry(link.claims.expiry, now: now)),
        ]
    }

    static let explanation =
        "A web page asks to enroll this computer as a push authenticator: sign-ins of this user will ask "
        + "for approval here. Enroll only if you just asked for it on your organisation's page."

    private func confirm(_ link: EnrollmentLink, with question: NotificationQuestion, now: Date) async throws {
        let markup = question.readsMarkup()
        let render: (String) -> String =
            markup ? { DisplayText.markup($0, limit: 200) } : { DisplayText.terminal($0, limit: 200) }
        let body =
            [markup ? DisplayText.markup(Self.explanation) : Self.explanation]
            + Self.details(of: link, now: now, render: render).map { "\($0.0): \($0.1)" }
        // The token expires by itself; waiting longer would only end in expired_token.
        let seconds = min(max(link.claims.expiry.timeIntervalSince(now), 1), 600)
        let answer = try await question.ask(
            summary: "Enroll this computer?", body: body.joined(separator: "\n"),
            actions: [(key: "enroll", label: "Enroll"), (key: "cancel", label: "Cancel")],
            timeout: .seconds(Int(seconds)))
        switch answer {
        case .action("enroll"): return
        case .timedOut: throw Self.cancelled("no answer before the link's token expired")
        case .action, .dismissed: throw Self.cancelled("the notification was not answered with Enroll")
        }
    }

    private func confirmOnTerminal(_ link: EnrollmentLink, now: Date) throws {
        let render: (String) -> String = { DisplayText.terminal($0, limit: 200) }
        let rows = Self.details(of: link, now: now, render: render).map { ($0.0, Optional($0.1)) }
        TerminalInput.say(Self.explanation + "\n" + HumanText.rows(rows) + "\n")
        while true {
            guard let typed = TerminalInput.readLine(prompt: "Enroll this computer? [y/N] ", echo: true) else { break }
            switch typed.filter({ !$0.isWhitespace }).lowercased() {
            case "y", "yes": return
            case "", "n", "no": throw Self.cancelled("answered no")
            default: TerminalInput.say("Please type y or n.\n")
            }
        }
        throw Self.cancelled("no answer")
    }

    private static func cancelled(_ why: String) -> CommandFailure {
        CommandFailure(
            code: "cancelled", message: "not confirmed (\(why)): nothing was enrolled", status: .cancelled)
    }
}
