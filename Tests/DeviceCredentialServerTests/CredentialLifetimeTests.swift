import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Testing

/// `--credential-lifetime`: credentials get an `expiresAt`; past it they no longer work, except to be
/// described or removed; `updateCredential` with `resetExpiry` moves it.
@Suite struct CredentialLifetimeTests {
    private let prefix = "client/user-authenticators/push"

    private func date(_ text: String?) -> Date? {
        text.flatMap { try? Date($0, strategy: .iso8601) }
    }

    private func renew(_ harness: Harness, _ device: TestDevice, resetExpiry: Bool) async throws -> Reply {
        let nonce = try await harness.send(.post, "\(prefix)/sign?publicKey=\(device.publicKeyQuery)", auth: .tenant())
        let body: [String: Any] = [
            "challengeId": try #require(nonce.string("challengeId")), "publicKey": device.publicKey,
            "signature": device.signature(for: try #require(nonce.string("message"))), "resetExpiry": resetExpiry,
        ]
        return try await harness.send(.patch, prefix, auth: .tenant(), json: body)
    }

    @Test func aCredentialExpiresAfterTheLifetimeUnlessItsExpiryIsReset() async throws {
        try await TestServer { $0.credentialLifetime = 3600 }.run { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let described = try await harness.send(
                .get, "\(prefix)?publicKey=\(device.publicKeyQuery)", auth: .tenant())
            let enrolledAt = harness.clock.now()
            #expect(date(described.string("expiresAt")) == enrolledAt.addingTimeInterval(3600).roundedToSeconds)

            // Half-way, a plain update keeps the expiry; one with resetExpiry restarts it.
            harness.clock.advance(by: 1800)
            let plain = try await renew(harness, device, resetExpiry: false)
            #expect(date(plain.string("expiresAt")) == enrolledAt.addingTimeInterval(3600).roundedToSeconds)
            let reset = try await renew(harness, device, resetExpiry: true)
            #expect(date(reset.string("expiresAt")) == enrolledAt.addingTimeInterval(5400).roundedToSeconds)

            // Past the new expiry: polling and answering are refused as for a removed credential...
            harness.clock.advance(by: 3601)
            #expect(try await harness.nonce(device).isError("invalid_credential"))
            let updateNonce = try await harness.send(
                .post, "\(prefix)/sign?publicKey=\(device.publicKeyQuery)", auth: .tenant())
            #expect(updateNonce.isError("invalid_credential"))
            // ...but it is still described (expiresAt in the past), and can be removed.
            let expired = try await harness.send(.get, "\(prefix)?publicKey=\(device.publicKeyQuery)", auth: .tenant())
            #expect(expired.status == .ok)
            #expect(try #require(date(expired.string("expiresAt"))) < harness.clock.now())
        }
    }

    @Test func withoutALifetimeCredentialsHaveNoExpiry() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let described = try await harness.send(
                .get, "\(prefix)?publicKey=\(device.publicKeyQuery)", auth: .tenant())
            #expect(described.string("expiresAt") == nil)
            #expect(try await renew(harness, device, resetExpiry: true).string("expiresAt") == nil)
        }
    }

    @Test(arguments: [0, -1, Double.nan, Double.infinity, 4e8])
    func aLifetimeOutOfRangeIsRefused(seconds: Double) {
        var configuration = ServerConfiguration()
        configuration.credentialLifetime = seconds
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}

extension Date {
    /// As an ISO-8601 string carries it.
    fileprivate var roundedToSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
