import Hummingbird

/// What the hosted page says at each step. Every page goes through `HTMLResponse.page`, and every dynamic
/// value goes in as a `String`, so it is escaped.
enum HostedPages {
    static let refreshSeconds = 2

    // MARK: GET /v1/ui

    static func sendPush(_ action: ActionRecord, devices: [AuthenticatorRecord], offersQRCode: Bool, token: String)
        -> Response
    {
        let names = devices.map(\.deviceName).joined(separator: ", ")
        let push: HTML =
            devices.isEmpty
            ? ""
            : """
            <p>A push goes to your enrolled device: \(names).</p>
            \(pushForm(token: token, label: "Send a push to my device"))
            """
        return HTMLResponse.page(
            "Approve this sign-in",
            """
            \(summary(action))
            \(push)
            \(offersQRCode ? qrCodeForm(token: token) : "")
            """,
            redirect: RedirectTarget(of: action)
        )
    }

    /// The user has no push credential: nothing to send a push to, so say how to get one.
    static func notEnrolled(_ action: ActionRecord, enrollment: Enrollment) -> Response {
        HTMLResponse.page(
            "No device enrolled",
            """
            \(summary(action))
            \(enrollmentHint(action, enrollment))
            """,
            redirect: RedirectTarget(of: action)
        )
    }

    /// `ALLOW` or `CHALLENGE_SUCCEEDED`: the browser goes on to the app with `continueToken`. `enrollment` is
    /// given when the user has no push device (an unenrolled user's CHALLENGE is ALLOW), to say how to get one.
    static func nothingToVerify(_ action: ActionRecord, enrollment: Enrollment?, continueToken: String) -> Response {
        let title = action.state == .allow ? "No verification needed" : "Already verified"
        let sentence =
            action.state == .allow
            ? "There is nothing to approve on a device for this sign-in."
            : "This sign-in was already approved on a device: there is nothing more to approve."
        return HTMLResponse.page(
            title,
            """
            \(summary(action))
            <p>\(sentence)</p>
            \(enrollment.map { enrollmentHint(action, $0) } ?? "")
            \(continueLink(action, token: continueToken, label: "Continue to the app"))
            """,
            redirect: RedirectTarget(of: action)
        )
    }

    /// `BLOCK`, `REVIEW_*` or `CHALLENGE_FAILED`: nothing this page can do about it.
    static func concluded(_ action: ActionRecord, continueToken: String) -> Response {
        let (title, sentence): (String, String) =
            switch action.state {
            case .block: ("Sign-in blocked", "The rules for this action blocked it.")
            case .reviewRequired: ("Waiting for review", "This sign-in needs a review before it can go on.")
            case .reviewSucceeded: ("Review approved", "This sign-in was approved on review.")
            case .reviewFailed: ("Review rejected", "This sign-in was rejected on review.")
            case .challengeFailed:
                ("Sign-in failed", "The push for this sign-in was denied or failed. Start a new sign-in to try again.")
            case .allow, .challengeRequired, .challengeSucceeded: ("Sign-in", "")
            }
        return HTMLResponse.page(
            title,
            """
            \(summary(action))
            <p>\(sentence) (state \(action.state.rawValue))</p>
            \(continueLink(action, token: continueToken, label: "Back to the app"))
            """,
            redirect: RedirectTarget(of: action)
        )
    }

    // MARK: GET /v1/ui/wait

    static func pending(_ action: ActionRecord, _ challenge: ChallengeRecord, token: String) -> Response {
        let code: HTML =
            challenge.verificationCode.map {
                """
                <p>Enter this number on your device:</p>
                <p class="code">\($0)</p>
                """
            } ?? ""
        return HTMLResponse.page(
            "Approve the sign-in on your device",
            """
            \(summary(action))
            \(code)
            <p>This page checks again every \(String(refreshSeconds)) seconds.
            <a href="\(HostedPageURL.wait(token: token, challengeId: challenge.id))">Check now</a></p>
            """,
            refreshSeconds: refreshSeconds,
            redirect: RedirectTarget(of: action)
        )
    }

    /// Approved, with no redirect URL to go back to. The new token is for the backend, not shown here.
    static func signedIn(_ action: ActionRecord) -> Response {
        HTMLResponse.page(
            "Signed in",
            """
            \(summary(action))
            <p>The sign-in was approved on your device. You can close this page and go back to the app.</p>
            """
        )
    }

    /// No answer in time: the action still needs a push, so another one can be sent.
    static func expired(_ action: ActionRecord, token: String) -> Response {
        HTMLResponse.page(
            "The push expired",
            """
            \(summary(action))
            <p>Nobody answered the push in time.</p>
            \(pushForm(token: token, label: "Try again: send another push"))
            """,
            redirect: RedirectTarget(of: action)
        )
    }

    /// Denied, or approved with the wrong number: this action is over (`CHALLENGE_FAILED`).
    static func refused(_ action: ActionRecord, denied: Bool, continueToken: String) -> Response {
        let sentence =
            denied
            ? "The push was denied on the device."
            : "The push was approved with a wrong or missing number, so it failed."
        return HTMLResponse.page(
            denied ? "Sign-in denied" : "Sign-in failed",
            """
            \(summary(action))
            <p>\(sentence) This sign-in is over: start a new one from the app to try again.</p>
            \(continueLink(action, token: continueToken, label: "Back to the app to try again"))
            """,
            redirect: RedirectTarget(of: action)
        )
    }

    /// Another push for this action was sent after this one (from another tab, say): this one is void.
    static func superseded(_ action: ActionRecord, token: String) -> Response {
        let next: HTML = action.state == .challengeRequired ? pushForm(token: token, label: "Send a new push") : ""
        return HTMLResponse.page(
            "This push was replaced",
            """
            \(summary(action))
            <p>A newer push was sent for this sign-in, so this one can no longer be answered.</p>
            \(next)
            """,
            redirect: RedirectTarget(of: action)
        )
    }

    // MARK: errors

    /// A failure as a page, with the status the Client API would answer.
    static func error(_ error: APIError) -> Response {
        let (title, sentence): (String, String) =
            switch error.code {
            case .unauthorized:
                ("This sign-in link is not valid", "Open the url your app got from track, or start the sign-in again.")
            case .expiredToken where error.status == .unauthorized:
                ("This sign-in link has expired", "Start the sign-in again from the app for a new one.")
            default:
                ("The sign-in cannot go on", error.message + ".")
            }
        return HTMLResponse.page(
            title,
            """
            <p>\(sentence)</p>
            <p>(\(String(error.status.code)) \(error.code.rawValue))</p>
            """,
            status: error.status
        )
    }

    // MARK: parts

    static func summary(_ action: ActionRecord) -> HTML {
        "<p>Action: <strong>\(action.actionCode)</strong><br>\nUser: <strong>\(action.userId)</strong></p>"
    }

    private static func pushForm(token: String, label: String) -> HTML {
        """
        <form method="post" action="\(HostedPageURL.push)">
        <input type="hidden" name="token" value="\(token)">
        <button type="submit">\(label)</button>
        </form>
        """
    }

    /// A link to the redirect URL given to `track`, with `token` added; nothing without one.
    private static func continueLink(_ action: ActionRecord, token: String, label: String) -> HTML {
        guard let redirect = RedirectTarget(of: action) else { return "" }
        return "<p><a class=\"button\" href=\"\(redirect.url(withToken: token))\">\(label)</a></p>"
    }

    /// Where a device enrolls: this server's API URL and tenant, for a complete `devicecred enroll` command.
    struct Enrollment: Sendable {
        var apiURL: String
        var tenantId: String
    }

    private static func enrollmentHint(_ action: ActionRecord, _ enrollment: Enrollment) -> HTML {
        let command =
            "devicecred enroll --api-url \(enrollment.apiURL) --tenant-id \(enrollment.tenantId) --token-file FILE"
        return """
            <p><strong>\(action.userId)</strong> has no push device enrolled, so there is nothing to send a push to.
            To enroll a Linux machine, have your backend call <code>track</code> for this user, save the
            <code>token</code> it answers in a file, and run there:</p>
            <pre><code>\(command)</code></pre>
            <p>Then start the sign-in again. (See <code>Docs/enrollment-for-scripts.md</code> and
            <code>Docs/cli.md</code> in DeviceCredential.)</p>
            """
    }
}
