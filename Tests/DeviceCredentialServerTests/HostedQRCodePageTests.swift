import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Testing

/// The hosted page's QR-code way, driven as a browser without JavaScript would, with the device's side
/// played by a swift-crypto test device.
@Suite struct HostedQRCodePageTests {
    @Test func aUserWithOnlyAQRCodeCredentialIsShownTheChallengeAndRedirectedOnceApproved() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let enrollment = try await harness.track("zoe", "enroll")
            #expect(
                try await harness.addCredential(device, token: enrollment.token, namespace: "qr-code").status == .ok)
            let tracked = try await harness.track("zoe", "signIn", ["redirectUrl": "https://app.example/done"])
            #expect(tracked.state == "CHALLENGE_REQUIRED")

            let start = try await harness.openTrackURL(tracked)
            #expect(start.status == .ok)
            #expect(start.text.contains(#"<form method="post" action="/v1/ui/qr-code">"#))
            #expect(!start.text.contains("Send a push"), "zoe has no push device")

            let field = tracked.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let shown = try await harness.send(
                .post, "/v1/ui/qr-code", body: Data("token=\(field)".utf8),
                headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(shown.status == .seeOther)
            let waitPath = try #require(shown.headers[.location])
            #expect(waitPath.hasPrefix("/v1/ui/qr-wait?token="))
            let challengeId = try #require(
                URLComponents(string: waitPath)?.queryItems?.first { $0.name == "challengeId" }?.value)

            let waiting = try await harness.send(.get, waitPath)
            #expect(waiting.status == .ok && waiting.text.contains(#"http-equiv="refresh""#))
            #expect(waiting.text.contains("devicecred claim \(challengeId)"))

            let claim = try await harness.send(
                .post, "client/user-authenticators/qr-code/challenge/claim", auth: .tenant(),
                json: [
                    "challengeId": challengeId, "publicKey": device.publicKey,
                    "signature": device.signature(for: challengeId),
                ])
            #expect(claim.status == .ok)
            #expect(try await harness.send(.get, waitPath).text.contains("A device has claimed this code"))
            #expect(try await harness.answer(device, challengeId, approved: true, namespace: "qr-code").status == .ok)

            let approved = try await harness.send(.get, waitPath)
            #expect(approved.status == .seeOther)
            let location = try #require(approved.headers[.location])
            #expect(location.hasPrefix("https://app.example/done?token="))
            let token = String(location.dropFirst("https://app.example/done?token=".count))
            let validated = try await harness.validate(token)
            #expect(validated.bool("isValid") == true && validated.string("verificationMethod") == "QR_CODE")

            // Another browser, without the deviceCode, learns nothing.
            let guessed = waitPath.replacingOccurrences(
                of: #"deviceCode=[0-9a-f]+"#, with: "deviceCode=00", options: .regularExpression)
            #expect(try await harness.send(.get, guessed).status == .notFound)
        }
    }
}
