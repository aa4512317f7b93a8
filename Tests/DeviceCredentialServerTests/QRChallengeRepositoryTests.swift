import DeviceCredentialServer
import Foundation
import Testing

/// The QR-code part of the repository contract, run against both stores, and the credential kinds.
@Suite struct QRChallengeRepositoryTests {
    typealias Store = RepositoryContractTests.Store

    private let t0 = Date(timeIntervalSince1970: 1_800_000_000.125)

    private func authenticator(_ id: String, user: String = "alice", method: VerificationMethod = .qrCode)
        -> AuthenticatorRecord
    {
        AuthenticatorRecord(
            id: id, userId: user, publicKey: "key-\(id)", deviceName: "laptop", devicePlatform: "linux",
            createdAt: t0, verifiedAt: t0, verificationMethod: method)
    }

    private func challenge(_ id: String, action key: String? = nil, user: String? = nil) -> QRChallengeRecord {
        QRChallengeRecord(
            id: id, deviceCode: "code-\(id)", actionCode: "signIn", idempotencyKey: key, userId: user,
            custom: .object(["cart": .number(3)]), userAgent: "Firefox", createdAt: t0,
            expiresAt: t0.addingTimeInterval(300), verificationCode: "42")
    }

    @Test(arguments: Store.allCases)
    func credentialKindsAreKeptAndOldRecordsReadAsPush(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let qr = authenticator("q")
        let inApp = authenticator("i", method: .inApp)
        _ = try await repository.insertAuthenticator(qr, onlyAsFirst: false)
        _ = try await repository.insertAuthenticator(inApp, onlyAsFirst: false)
        #expect(try await repository.authenticators(userId: "alice").map(\.verificationMethod) == [.qrCode, .inApp])
        // A record stored before there were kinds has no verificationMethod: it is a push credential.
        let old =
            #"{"id":"o","userId":"u","publicKey":"k","deviceName":"d","devicePlatform":"linux","createdAt":1,"verifiedAt":1}"#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        #expect(try decoder.decode(AuthenticatorRecord.self, from: Data(old.utf8)).verificationMethod == .push)
    }

    @Test(arguments: Store.allCases)
    func aChallengeIsClaimedByOneCredentialAndAnsweredOnce(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let device = authenticator("a")
        let other = authenticator("b")
        _ = try await repository.insertAuthenticator(device, onlyAsFirst: false)
        try await repository.insertQRChallenge(challenge("c1"))
        #expect(try await repository.qrChallenge(id: "c1") == challenge("c1"))
        #expect(
            try await repository.settleQRChallenge(
                id: "c1", status: .approved, by: "a", newActionKey: "new", at: t0) == .notClaimed(.pending))

        guard case .claimed(let claimed) = try await repository.claimQRChallenge(id: "c1", by: device, at: t0) else {
            Issue.record("not claimed")
            return
        }
        #expect(claimed.status == .claimed && claimed.claimedBy == "a" && claimed.userId == "alice")
        // Claiming again is harmless for the claimant, refused for anyone else.
        #expect(try await repository.claimQRChallenge(id: "c1", by: device, at: t0) == .claimed(claimed))
        #expect(try await repository.claimQRChallenge(id: "c1", by: other, at: t0) == .unavailable(.claimed))
        #expect(try await repository.claimQRChallenge(id: "nope", by: device, at: t0) == .notFound)
        #expect(
            try await repository.settleQRChallenge(id: "c1", status: .approved, by: "b", newActionKey: "x", at: t0)
                == .notClaimedByAuthenticator)

        let later = t0.addingTimeInterval(10)
        guard
            case .settled(let answered, let action) = try await repository.settleQRChallenge(
                id: "c1", status: .approved, by: "a", newActionKey: "new-action", at: later)
        else {
            Issue.record("not settled")
            return
        }
        #expect(answered.status == .approved && answered.idempotencyKey == "new-action")
        #expect(action.state == .challengeSucceeded && action.verificationMethod == "QR_CODE")
        #expect(action.userId == "alice" && action.actionCode == "signIn")
        #expect(try await repository.action(idempotencyKey: "new-action") == action)
        #expect(try await repository.authenticator(id: "a")?.lastVerifiedAt == later)
        #expect(
            try await repository.settleQRChallenge(id: "c1", status: .rejected, by: "a", newActionKey: "y", at: later)
                == .notClaimed(.approved))
    }

    @Test(arguments: Store.allCases)
    func aTrackedActionIsSettledAndOtherUsersCannotClaim(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let tracked = ActionRecord(
            idempotencyKey: "k", userId: "alice", actionCode: "signIn", state: .challengeRequired, createdAt: t0,
            stateUpdatedAt: t0)
        _ = try await repository.insertActionIfAbsent(tracked)
        try await repository.insertQRChallenge(challenge("c", action: "k", user: "alice"))
        #expect(
            try await repository.claimQRChallenge(id: "c", by: authenticator("m", user: "mallory"), at: t0) == .notFound
        )
        let device = authenticator("a")
        #expect(try await repository.claimQRChallenge(id: "c", by: device, at: t0.addingTimeInterval(301)) == .expired)
        guard case .claimed = try await repository.claimQRChallenge(id: "c", by: device, at: t0) else {
            Issue.record("not claimed")
            return
        }
        guard
            case .settled(_, let action) = try await repository.settleQRChallenge(
                id: "c", status: .rejected, by: "a", newActionKey: "unused", at: t0)
        else {
            Issue.record("not settled")
            return
        }
        #expect(action.idempotencyKey == "k" && action.state == .challengeFailed && action.verificationMethod == nil)
        #expect(try await repository.action(idempotencyKey: "unused") == nil)
    }
}
