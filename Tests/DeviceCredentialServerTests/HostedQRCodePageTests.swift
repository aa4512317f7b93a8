import AuthsignalTestDevice
import DeviceCredentialServer
import DeviceCredentialTestSupport
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
            #expect(try await Self.decodedQRImage(in: waiting.text) == challengeId)

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

    /// What a scanner reads from the page's QR image: the SVG rasterised by ImageMagick and decoded by
    /// zbar's `zbarimg`, neither written here.
    static func decodedQRImage(in page: String) async throws -> String {
        let start = try #require(page.range(of: "<svg"), "the page has no QR image")
        let end = try #require(page.range(of: "</svg>", range: start.upperBound..<page.endIndex))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qr-image-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try String(page[start.lowerBound..<end.upperBound]).write(
            toFile: directory + "/code.svg", atomically: true, encoding: .utf8)
        let raster = try await ChildProcess.run("/usr/bin/convert", [directory + "/code.svg", directory + "/code.png"])
        try #require(raster.status == 0, "convert failed: \(raster.errors)")
        let scan = try await ChildProcess.run("/usr/bin/zbarimg", ["--quiet", "--raw", directory + "/code.png"])
        try #require(scan.status == 0, "zbarimg found no code: \(scan.errors)")
        return scan.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
