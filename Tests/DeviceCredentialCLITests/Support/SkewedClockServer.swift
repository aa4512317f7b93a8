import DeviceCredentialTestSupport
import Foundation

/// The server whose clock is wrong, which devicecred-server cannot be made to be (nor made to send a
/// credential's `expiresAt`): the shared HTTPFixture, answering every request with one credential and a
/// `Date` header off by `offset` seconds.
final class SkewedClockServer: Sendable {
    private let fixture: HTTPFixture

    init(offset: TimeInterval, credentialExpiresAt: Date? = nil) throws {
        let expiry = credentialExpiresAt.map { #","expiresAt":""# + ISO8601DateFormatter().string(from: $0) + #"""# }
        let body = #"{"userAuthenticatorId":"skewed-authenticator","userId":"skewed-user""# + (expiry ?? "") + "}"
        fixture = try HTTPFixture { _ in
            .respond(
                status: 200,
                headers: [
                    "Content-Type": "application/json", "Date": Self.httpDate(Date().addingTimeInterval(offset)),
                ],
                body: body)
        }
    }

    deinit { fixture.stop() }

    var apiURL: String { fixture.baseURL }

    private static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
