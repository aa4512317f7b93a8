import AuthsignalTestDevice
import Foundation

/// One user's traffic in a crash round, until the server dies under it: enrollment of four credentials,
/// push sign-ins (approved, denied, an approval racing a denial, a denial racing an in-app verification,
/// an approval during a credential update, superseded, left pending) with the browser's poll and the
/// backend's validate, credential updates, nonces and in-app challenges kept for after the restart,
/// in-app verifications and QR-code claims. Every 2xx answer to a write goes to the ledger.
struct CrashWorker: Sendable {
    let client: ProcessClient
    let ledger: CrashLedger
    let user: String
    /// Far more than a round needs: the kill comes first.
    private let maximumSteps = 500

    private struct Stop: Error {}

    private struct Devices {
        let push = TestDevice()
        let second = TestDevice()
        let qrCode = TestDevice()
        let inApp = TestDevice()
        var pushId = ""
    }

    init(client: ProcessClient, ledger: CrashLedger, user: String) {
        self.client = client
        self.ledger = ledger
        self.user = user
    }

    func run() async {
        do {
            try await traffic()
        } catch is Stop {
        } catch {
            if !ledger.killed { ledger.fail("\(user): a request went unanswered while the server was up: \(error)") }
        }
    }

    private func traffic() async throws {
        var devices = Devices()
        // One track token with add:authenticators enrolls all four.
        let enrollment = try ok(await client.track(user, "enroll", scope: "add:authenticators"), "track enroll")
        ledger.acknowledge { [user] in $0.actions[enrollment.string("idempotencyKey")!] = user }
        let token = enrollment.string("token")!
        let kinds = [
            (devices.push, "push", "PUSH"), (devices.second, "push", "PUSH"), (devices.qrCode, "qr-code", "QR_CODE"),
            (devices.inApp, "in-app", "IN_APP"),
        ]
        for (index, (device, namespace, method)) in kinds.enumerated() {
            let added = try ok(
                await client.addCredential(device, token: token, namespace: namespace), "add \(namespace)")
            let id = added.string("userAuthenticatorId")!
            ledger.acknowledge { [user] in
                $0.credentials[id] = .init(userId: user, publicKey: device.publicKey, method: method)
            }
            if index == 0 { devices.pushId = id }
        }
        // At most two of each kept for after the restart, so a round's checks stay short.
        var (bankedNonces, bankedInApp) = (0, 0)
        for _ in 0..<maximumSteps {
            switch Int.random(in: 0..<10) {
            case 5: try await updateCredential(devices)
            case 6:
                let bank = bankedInApp < 2 && Bool.random()
                if bank { bankedInApp += 1 }
                try await inApp(devices, bank: bank)
            case 7: try await qrCode(devices)
            case 8 where bankedNonces < 2:
                bankedNonces += 1
                try await bankNonce(Bool.random() ? devices.push : devices.second)
            default: try await pushSignIn(devices)
            }
        }
    }

    // MARK: the flows

    private func pushSignIn(_ devices: Devices) async throws {
        let tracked = try ok(await client.track(user, "signIn"), "track signIn")
        let key = tracked.string("idempotencyKey")!
        let token = tracked.string("token")!
        ledger.acknowledge { [user] in $0.actions[key] = user }
        guard tracked.string("state") == "CHALLENGE_REQUIRED" else { throw stop(tracked, "track signIn state") }
        let challengeId = try ok(await client.startPush(token), "start push").string("challengeId")!
        ledger.acknowledge { $0.challenges[challengeId] = key }

        switch Int.random(in: 0..<7) {
        case 0:
            try await approveAndValidate(devices.push, challengeId, token: token)
        case 4:
            try await raceDenialAndInAppVerification(devices, challengeId, key: key, token: token)
        case 5:
            try await approveDuringAnUpdate(devices, challengeId)
        case 1:
            let denied = try ok(await client.answer(devices.push, challengeId, approved: false), "deny")
            ledger.acknowledge { $0.answers[challengeId] = .refused }
            if denied.bool("isVerified") != false { ledger.unexpected(denied, "deny's isVerified") }
        case 2:
            try await raceApprovalAndDenial(devices, challengeId)
        case 3:
            // A second push supersedes the first, which can no longer be answered.
            let newer = try ok(await client.startPush(token), "start second push").string("challengeId")!
            ledger.acknowledge { $0.challenges[newer] = key }
            let late = try await client.answer(devices.push, challengeId, approved: true)
            if late.status != .conflict { ledger.unexpected(late, "approving a superseded challenge") }
            try await approveAndValidate(devices.second, newer, token: token)
        default:
            break  // left pending
        }
    }

    private func approveAndValidate(_ device: TestDevice, _ challengeId: String, token: String) async throws {
        let approved = try ok(await client.answer(device, challengeId, approved: true), "approve")
        ledger.acknowledge { $0.answers[challengeId] = .approved }
        if approved.bool("isVerified") != true { ledger.unexpected(approved, "approve's isVerified") }
        // What was acknowledged is what the browser and the backend read.
        let polled = try ok(await client.poll(token, challengeId), "poll")
        guard let accessToken = polled.string("accessToken") else { throw stop(polled, "poll's accessToken") }
        let validated = try ok(await client.validate(accessToken), "validate")
        if validated.bool("isValid") != true || validated.string("verificationMethod") != "PUSH" {
            ledger.unexpected(validated, "validate after an approval")
        }
    }

    /// Two devices of the user answer one challenge at once, one approving, one denying: one wins.
    private func raceApprovalAndDenial(_ devices: Devices, _ challengeId: String) async throws {
        async let approval = attempt { try await client.answer(devices.push, challengeId, approved: true) }
        async let denial = attempt { try await client.answer(devices.second, challengeId, approved: false) }
        let (approved, denied) = await (approval, denial)
        if approved?.status == .ok, denied?.status == .ok {
            ledger.fail("challenge \(challengeId) was both approved and denied (both answered 200)")
        }
        if approved?.status == .ok { ledger.acknowledge { $0.answers[challengeId] = .approved } }
        if denied?.status == .ok { ledger.acknowledge { $0.answers[challengeId] = .refused } }
        for reply in [approved, denied].compactMap({ $0 }) where reply.status != .ok && reply.status != .conflict {
            ledger.unexpected(reply, "a racing answer")
        }
        if approved == nil || denied == nil { throw Stop() }
    }

    /// The push is denied while the in-app credential verifies the same action with the track token: one
    /// settles the action, the other is refused.
    private func raceDenialAndInAppVerification(_ devices: Devices, _ challengeId: String, key: String, token: String)
        async throws
    {
        let inAppId = try ok(await client.inAppChallenge(action: nil), "in-app challenge").string("challengeId")!
        ledger.acknowledge()
        async let denial = attempt { try await client.answer(devices.push, challengeId, approved: false) }
        async let verification = attempt { try await client.verifyInApp(devices.inApp, inAppId, token: token) }
        let (denied, verified) = await (denial, verification)
        if denied?.status == .ok, verified?.status == .ok {
            ledger.fail("action \(key): its push was denied and an in-app verification succeeded (both answered 200)")
        }
        if denied?.status == .ok { ledger.acknowledge { $0.answers[challengeId] = .refused } }
        if verified?.status == .ok { ledger.acknowledge { $0.inAppActions.insert(key) } }
        for reply in [denied, verified].compactMap({ $0 }) where reply.status != .ok && reply.status != .conflict {
            ledger.unexpected(reply, "a denial racing an in-app verification")
        }
        if denied == nil || verified == nil { throw Stop() }
    }

    private func updateCredential(_ devices: Devices) async throws {
        let update = try await prepareUpdate(devices)
        try acknowledgeUpdate(try await update.send(), devices, update.pushToken)
    }

    /// The device approves while it updates its credential (nonce already fetched, so the two requests
    /// meet in the server): neither write may undo the other.
    private func approveDuringAnUpdate(_ devices: Devices, _ challengeId: String) async throws {
        let update = try await prepareUpdate(devices)
        async let approval = attempt { try await client.answer(devices.push, challengeId, approved: true) }
        async let updating = attempt { try await update.send() }
        let (approved, updated) = await (approval, updating)
        guard let approved, let updated else { throw Stop() }
        guard approved.status == .ok else { throw stop(approved, "approve during an update") }
        ledger.acknowledge { $0.answers[challengeId] = .approved }
        try acknowledgeUpdate(updated, devices, update.pushToken)
    }

    /// An update nonce fetched, and the PATCH that uses it with a new push token, noted as sent.
    private func prepareUpdate(_ devices: Devices) async throws -> (
        pushToken: String, send: @Sendable () async throws -> Reply
    ) {
        let nonce = try ok(await client.updateNonce(devices.push), "update nonce")
        ledger.acknowledge()
        let pushToken = "pt-" + UUID().uuidString
        let id = devices.pushId
        ledger.note { $0.pushTokens[id, default: .init()].sentSince.insert(pushToken) }
        let (client, device) = (client, devices.push)
        let (challengeId, message) = (nonce.string("challengeId")!, nonce.string("message")!)
        return (
            pushToken,
            {
                try await client.updateCredential(
                    device, challengeId: challengeId, message: message, pushToken: pushToken)
            }
        )
    }

    private func acknowledgeUpdate(_ updated: Reply, _ devices: Devices, _ pushToken: String) throws {
        let updated = try ok(updated, "update credential")
        let id = devices.pushId
        ledger.acknowledge { $0.pushTokens[id] = .init(acknowledged: pushToken) }
        if updated.string("pushToken") != pushToken { ledger.unexpected(updated, "update credential's pushToken") }
    }

    /// A getChallenge nonce the device keeps, to use after the restart.
    private func bankNonce(_ device: TestDevice) async throws {
        let message = try ok(await client.nonce(device), "nonce").string("message")!
        ledger.acknowledge { $0.bankedNonces.append((device, message)) }
    }

    private func inApp(_ devices: Devices, bank: Bool) async throws {
        let challengeId = try ok(await client.inAppChallenge(action: "inAppCheck"), "in-app challenge")
            .string("challengeId")!
        ledger.acknowledge { if bank { $0.bankedInApp.append((devices.inApp, challengeId)) } }
        if bank { return }
        let token = try ok(await client.verifyInApp(devices.inApp, challengeId), "in-app verify").string("token")!
        let validated = try ok(await client.validate(token), "validate the in-app token")
        guard validated.bool("isValid") == true, let key = validated.string("idempotencyKey") else {
            throw stop(validated, "validate after an in-app verification")
        }
        ledger.acknowledge { $0.inAppActions.insert(key) }
    }

    private func qrCode(_ devices: Devices) async throws {
        let challengeId = try ok(await client.createQRCode(action: "qrSignIn"), "create QR code").string("challengeId")!
        ledger.acknowledge { $0.qrChallenges.insert(challengeId) }
        _ = try ok(await client.claimQRCode(devices.qrCode, challengeId), "claim QR code")
        ledger.acknowledge()
        let approve = Bool.random()
        let answered = try ok(
            await client.answer(devices.qrCode, challengeId, approved: approve, namespace: "qr-code"), "answer QR code")
        ledger.acknowledge { $0.qrAnswers[challengeId] = approve ? .approved : .refused }
        if answered.bool("isVerified") != approve { ledger.unexpected(answered, "QR answer's isVerified") }
    }

    // MARK: answers

    /// The reply when it is 200; anything else is recorded and ends this worker.
    private func ok(_ reply: Reply, _ step: String) throws -> Reply {
        guard reply.status == .ok else { throw stop(reply, step) }
        return reply
    }

    /// Records an answer the flow cannot go on from; the error ends this worker.
    private func stop(_ reply: Reply, _ step: String) -> Stop {
        ledger.unexpected(reply, "\(user): \(step)")
        return Stop()
    }

    /// The reply, or nil when the server never answered (killed while it was in flight).
    private func attempt(_ request: @Sendable () async throws -> Reply) async -> Reply? {
        try? await request()
    }
}
