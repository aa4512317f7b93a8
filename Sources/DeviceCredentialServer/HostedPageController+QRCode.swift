import Foundation
import Hummingbird

/// The hosted page's QR-code way: show the challenge id (as text; no QR image, see Docs/server.md) for
/// `devicecred claim` or a scanner, and wait for the answer by reloading, as the push way does.
extension HostedPageController {
    struct QRCodeForm: Decodable { var token: String }

    /// `POST /v1/ui/qr-code` (form field `token`): creates a QR-code challenge for the token's action, then
    /// `303` to the page that shows it.
    @Sendable func showQRCode(_ request: Request, context: BasicRequestContext) async throws -> Response {
        await renderingPage {
            let now = services.now
            let form = try await FormBody.decode(QRCodeForm.self, from: request)
            let claims = try services.authentication.requireToken(form.token, at: now)
            let challenge = try await QRChallenges(services: services).create(
                actionCode: claims.other.actionCode, custom: nil, claims: claims,
                userAgent: request.headers[.userAgent],
                at: now)
            let action = try await services.repository.action(idempotencyKey: claims.other.idempotencyKey)
            return HTMLResponse.seeOther(
                HostedPageURL.qrWait(token: form.token, challengeId: challenge.id, deviceCode: challenge.deviceCode),
                redirect: action.flatMap(RedirectTarget.init(of:)))
        }
    }

    /// `GET /v1/ui/qr-wait?token=T&challengeId=C&deviceCode=D`: shows the challenge while nobody answered it;
    /// once approved, `303` to the redirect URL with the new token.
    @Sendable func waitForQRCode(_ request: Request, context: BasicRequestContext) async throws -> Response {
        await renderingPage {
            let now = services.now
            let query = request.uri.queryParameters
            guard let token = query.get("token"), !token.isEmpty else {
                throw APIError.unauthorized("the link has no token")
            }
            let claims = try services.authentication.requireToken(token, at: now)
            guard let challengeId = query.get("challengeId"), let deviceCode = query.get("deviceCode") else {
                throw APIError.invalidRequest("missing query parameter 'challengeId' or 'deviceCode'")
            }
            guard let action = try await services.repository.action(idempotencyKey: claims.other.idempotencyKey)
            else { throw APIError.notFound("the token's action does not exist") }
            let progress = try await QRChallenges(services: services).progress(
                of: challengeId, deviceCode: deviceCode, at: now)
            switch progress {
            case .waiting(let challenge):
                guard challenge.idempotencyKey.isSameIdentifier(as: action.idempotencyKey) else {
                    throw APIError.notFound("no QR-code challenge with this id for this token")
                }
                return HostedPages.qrCode(action, challenge, token: token)
            case .approved(_, let accessToken, let approved):
                guard let redirect = RedirectTarget(of: approved) else { return HostedPages.signedIn(approved) }
                return HTMLResponse.seeOther(redirect.url(withToken: accessToken), redirect: redirect)
            case .expired:
                return HostedPages.expired(action, token: token)
            case .rejected:
                let continueToken = services.tokens.token(for: action, scope: claims.scope, at: now)
                return HostedPages.refused(action, denied: true, continueToken: continueToken)
            }
        }
    }
}

extension HostedPages {
    /// The QR-code challenge as text: the id a scanner would read, the command that claims it, the code to
    /// type when number matching is on.
    static func qrCode(_ action: ActionRecord, _ challenge: QRChallengeRecord, token: String) -> Response {
        let code: HTML =
            challenge.verificationCode.map {
                """
                <p>When asked, enter this number on your device:</p>
                <p class="code">\($0)</p>
                """
            } ?? ""
        let state: HTML =
            challenge.status == .claimed
            ? "<p>A device has claimed this code: approve or deny the sign-in there.</p>"
            : "<p>On your enrolled Linux machine, run:</p>\n<pre><code>devicecred claim \(challenge.id)</code></pre>"
        return HTMLResponse.page(
            "Approve the sign-in with your device",
            """
            \(summary(action))
            <p>Challenge code:</p>
            <p class="code">\(challenge.id)</p>
            \(state)
            \(code)
            <p>This page checks again every \(String(refreshSeconds)) seconds.
            <a href="\(HostedPageURL.qrWait(token: token, challengeId: challenge.id, deviceCode: challenge.deviceCode))">Check now</a></p>
            """,
            refreshSeconds: refreshSeconds,
            redirect: RedirectTarget(of: action)
        )
    }

    static func qrCodeForm(token: String) -> HTML {
        """
        <form method="post" action="\(HostedPageURL.qrCode)">
        <input type="hidden" name="token" value="\(token)">
        <button type="submit">Show a code for devicecred claim</button>
        </form>
        """
    }
}

extension HostedPageURL {
    static let qrCode = "/v1/ui/qr-code"

    static func qrWait(token: String, challengeId: String, deviceCode: String) -> String {
        "/v1/ui/qr-wait?token=\(queryValue(token))&challengeId=\(queryValue(challengeId))"
            + "&deviceCode=\(queryValue(deviceCode))"
    }
}
