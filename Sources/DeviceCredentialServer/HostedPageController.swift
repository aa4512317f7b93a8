import Foundation
import Hummingbird

/// The hosted sign-in page behind `track`'s `url`, server-rendered with no JavaScript: show the action,
/// send a push, wait for the answer by reloading, then go back to the `redirectUrl` given to `track`.
/// Pushes start and are read through `PushChallenges`, exactly as in the Client API.
struct HostedPageController: Sendable {
    let services: ServerServices

    struct PushForm: Decodable { var token: String }

    func addRoutes(to routes: inout RouteTable) {
        routes.add(.get, "ui", start)
        routes.add(.post, "ui/push", push)
        routes.add(.post, "ui/qr-code", showQRCode)
        routes.add(.get, "ui/qr-wait", waitForQRCode)
        routes.add(.get, "ui/wait", wait)
    }

    /// `GET /v1/ui?token=T`: what the action needs, by its state.
    @Sendable func start(_ request: Request, context: BasicRequestContext) async throws -> Response {
        await rendering {
            let now = services.now
            let token = try queryParameter("token", of: request, missing: .unauthorized("the link has no token"))
            let claims = try services.authentication.requireToken(token, at: now)
            let action = try await action(of: claims)
            let credentials = try await services.repository.authenticators(userId: action.userId)
            let devices = credentials.filter { $0.verificationMethod == .push }
            let scansQRCodes = credentials.contains { $0.verificationMethod == .qrCode }
            // The token the page hands back to the app, for the states that end here.
            let continueToken = { services.tokens.token(for: action, scope: claims.scope, at: now) }
            let enrollment = HostedPages.Enrollment(
                apiURL: "http://\(request.head.authority ?? "127.0.0.1")/v1", tenantId: services.configuration.tenantId)
            switch action.state {
            case .challengeRequired:
                if devices.isEmpty, !scansQRCodes { return HostedPages.notEnrolled(action, enrollment: enrollment) }
                return HostedPages.sendPush(action, devices: devices, offersQRCode: scansQRCodes, token: token)
            case .allow, .challengeSucceeded:
                return HostedPages.nothingToVerify(
                    action, enrollment: credentials.isEmpty ? enrollment : nil, continueToken: continueToken())
            case .block, .reviewRequired, .reviewSucceeded, .reviewFailed, .challengeFailed:
                return HostedPages.concluded(action, continueToken: continueToken())
            }
        }
    }

    /// `POST /v1/ui/push` (form field `token`): starts a push, then `303` to the waiting page.
    @Sendable func push(_ request: Request, context: BasicRequestContext) async throws -> Response {
        await rendering {
            let now = services.now
            let form = try await FormBody.decode(PushForm.self, from: request)
            let claims = try services.authentication.requireToken(form.token, at: now)
            let action = try await action(of: claims)
            let challenge = try await PushChallenges(services: services).start(
                for: claims, authenticatorId: nil, at: now)
            return HTMLResponse.seeOther(
                HostedPageURL.wait(token: form.token, challengeId: challenge.id), redirect: RedirectTarget(of: action))
        }
    }

    /// `GET /v1/ui/wait?token=T&challengeId=C`: reloads itself while pending; once approved, `303` to the
    /// redirect URL with the new token.
    @Sendable func wait(_ request: Request, context: BasicRequestContext) async throws -> Response {
        await rendering {
            let now = services.now
            let token = try queryParameter("token", of: request, missing: .unauthorized("the link has no token"))
            let claims = try services.authentication.requireToken(token, at: now)
            let challengeId = try queryParameter(
                "challengeId", of: request, missing: .invalidRequest("missing query parameter 'challengeId'"))
            let action = try await action(of: claims)
            switch try await PushChallenges(services: services).progress(of: challengeId, for: claims, at: now) {
            case .pending(let challenge):
                return HostedPages.pending(action, challenge, token: token)
            case .approved(let accessToken, let approved):
                guard let redirect = RedirectTarget(of: approved) else { return HostedPages.signedIn(approved) }
                return HTMLResponse.seeOther(redirect.url(withToken: accessToken), redirect: redirect)
            case .expired:
                return HostedPages.expired(action, token: token)
            case .declined:
                let continueToken = services.tokens.token(for: action, scope: claims.scope, at: now)
                return HostedPages.refused(action, denied: true, continueToken: continueToken)
            case .failed:
                let continueToken = services.tokens.token(for: action, scope: claims.scope, at: now)
                return HostedPages.refused(action, denied: false, continueToken: continueToken)
            case .superseded:
                return HostedPages.superseded(action, token: token)
            }
        }
    }

    // MARK: helpers

    private func action(of claims: AccessTokenClaims) async throws -> ActionRecord {
        guard let action = try await services.repository.action(idempotencyKey: claims.other.idempotencyKey) else {
            throw APIError.notFound("the token's action does not exist")
        }
        return action
    }

    private func queryParameter(_ name: String, of request: Request, missing: APIError) throws -> String {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else { throw missing }
        return value
    }

    /// Failures become pages with the status the Client API would answer, not JSON.
    func renderingPage(_ body: () async throws -> Response) async -> Response {
        await rendering(body)
    }

    private func rendering(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return HostedPages.error(error)
        } catch {
            services.logger.error("hosted page failed", metadata: ["error": "\(type(of: error))"])
            return HostedPages.error(APIError(.internalError, status: .internalServerError, "an internal error"))
        }
    }
}
