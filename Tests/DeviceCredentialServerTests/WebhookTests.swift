import AuthsignalTestDevice
import Crypto
import DeviceCredentialLocking
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `push.created` posted to a small local receiver, verified as a real receiver would.
@Suite struct WebhookTests {
    struct Received: Sendable {
        let signature: String?
        let body: Data
    }

    final class Receiver: Sendable {
        let received = Locked<[Received]>([])

        var application: some ApplicationProtocol {
            let router = Router()
            router.post("ok") { request, _ -> Response in
                try await self.record(request)
                return Response(status: .noContent)
            }
            router.post("fail") { request, _ -> Response in
                try await self.record(request)
                return Response(status: .internalServerError)
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        }

        private func record(_ request: Request) async throws {
            let body = try await request.body.collect(upTo: 1 << 20)
            let signature = request.headers[HTTPField.Name("X-Signature-V2")!]
            received.withLock { $0.append(Received(signature: signature, body: Data(buffer: body))) }
        }
    }

    /// Verifies `t=<unix>,v2=<base64 HMAC-SHA256(secret, "t.body") without '='>` and the 5-minute window.
    static func isValidSignature(_ header: String?, body: Data, secret: String, now: Date) -> Bool {
        guard let header else { return false }
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let timestamp = fields["t"].flatMap(Int.init), let received = fields["v2"],
            abs(now.timeIntervalSince1970 - Double(timestamp)) < 300
        else { return false }
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString().replacingOccurrences(of: "=", with: "") == received
    }

    @Test func pushCreatedIsSignedAndCarriesTheChallenge() async throws {
        let receiver = Receiver()
        try await receiver.application.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            try await TestServer { $0.pushWebhookURL = URL(string: "http://127.0.0.1:\(port)/ok") }.run { harness in
                try await harness.enroll(TestDevice(), as: "alice")
                let tracked = try await harness.track(
                    "alice", "signIn", ["userAgent": "Firefox", "ipAddress": "10.9.9.9"])
                let started = try await harness.startPush(tracked.token)
                #expect(started.status == .ok)
                let challengeId = try #require(started.string("challengeId"))

                let events = receiver.received.withLock { $0 }
                #expect(events.count == 1)
                let event = try #require(events.first)
                #expect(
                    Self.isValidSignature(
                        event.signature, body: event.body, secret: devSecret, now: harness.clock.now()))
                #expect(
                    !Self.isValidSignature(event.signature, body: event.body, secret: "other", now: harness.clock.now())
                )
                let json = try #require(try JSONSerialization.jsonObject(with: event.body) as? [String: Any])
                #expect(json["version"] as? Int == 1)
                #expect(json["type"] as? String == "push.created")
                #expect(json["tenantId"] as? String == devTenant)
                #expect(json["id"] is String && json["source"] is String && json["time"] is String)
                let data = try #require(json["data"] as? [String: Any])
                #expect(data["challengeId"] as? String == challengeId)
                #expect(data["userId"] as? String == "alice")
                #expect(data["actionCode"] as? String == "signIn")
                #expect(data["idempotencyKey"] as? String == tracked.idempotencyKey)
                #expect(data["userAgent"] as? String == "Firefox")
                #expect(data["ipAddress"] as? String == "10.9.9.9")
            }
        }
    }

    @Test func aNon2xxAnswerFailsChallengeCreation() async throws {
        let receiver = Receiver()
        try await receiver.application.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            try await TestServer { $0.pushWebhookURL = URL(string: "http://127.0.0.1:\(port)/fail") }.run { harness in
                let device = TestDevice()
                try await harness.enroll(device, as: "alice")
                let tracked = try await harness.track("alice")
                let started = try await harness.startPush(tracked.token)
                #expect(started.status == .badGateway && started.isError("webhook_failed"))
                #expect(receiver.received.withLock { $0.count } == 1)
                // The device sees nothing to answer.
                #expect(try await harness.getChallenge(device).json["challengeId"] == nil)
            }
        }
    }

    @Test func anUnreachableReceiverFailsChallengeCreation() async throws {
        // Port 9 (discard) on loopback: nothing listens there in the test environment.
        try await TestServer { $0.pushWebhookURL = URL(string: "http://127.0.0.1:9/hook") }.run { harness in
            try await harness.enroll(TestDevice(), as: "alice")
            let started = try await harness.startPush(try await harness.track("alice").token)
            #expect(started.isError("webhook_failed"))
        }
    }
}
