import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import Testing

/// One contract, run against every store: the in-memory one and SQLite.
@Suite struct RepositoryContractTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case memory
        case sqlite
        var testDescription: String { rawValue }

        func make() throws -> (any Repository, cleanup: () -> Void) {
            switch self {
            case .memory: return (MemoryRepository(), {})
            case .sqlite:
                let path = FileManager.default.temporaryDirectory
                    .appendingPathComponent("devicecred-repo-\(UUID().uuidString).sqlite").path
                return (try SQLiteRepository(path: path), { try? FileManager.default.removeItem(atPath: path) })
            }
        }
    }

    private let t0 = Date(timeIntervalSince1970: 1_800_000_000.125)

    private func action(_ key: String, user: String = "alice") -> ActionRecord {
        ActionRecord(
            idempotencyKey: key, userId: user, actionCode: "signIn", state: .challengeRequired, createdAt: t0,
            stateUpdatedAt: t0, ruleIds: ["r1"],
            attributes: TrackedAttributes(ipAddress: "10.0.0.1", custom: .object(["amount": .number(12.5)])))
    }

    private func authenticator(_ id: String, user: String = "alice", key: String? = nil) -> AuthenticatorRecord {
        AuthenticatorRecord(
            id: id, userId: user, publicKey: key ?? "key-\(id)", deviceName: "laptop", devicePlatform: "linux",
            createdAt: t0, verifiedAt: t0)
    }

    private func challenge(_ id: String, user: String = "alice", action key: String? = nil, at date: Date? = nil)
        -> ChallengeRecord
    {
        let created = date ?? t0
        return ChallengeRecord(
            id: id, userId: user, actionCode: "signIn", idempotencyKey: key ?? "k-\(id)", createdAt: created,
            expiresAt: created.addingTimeInterval(300), verificationCode: "42")
    }

    @Test(arguments: Store.allCases)
    func actionsInsertOnceAndUpdate(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let first = action("k1")
        #expect(try await repository.insertActionIfAbsent(first) == first)
        var other = action("k1", user: "bob")
        #expect(try await repository.insertActionIfAbsent(other) == first)
        #expect(try await repository.action(idempotencyKey: "k1") == first)
        #expect(try await repository.action(idempotencyKey: "missing") == nil)
        var updated = first
        updated.state = .challengeSucceeded
        updated.verificationMethod = "PUSH"
        try await repository.updateAction(updated)
        #expect(try await repository.action(idempotencyKey: "k1") == updated)
        other.idempotencyKey = "never-inserted"
        try await repository.updateAction(other)
        #expect(try await repository.action(idempotencyKey: "never-inserted") == nil)
    }

    @Test(arguments: Store.allCases)
    func authenticatorsAreUniqueByKeyListedInOrderAndDeletable(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let a = authenticator("a")
        let b = authenticator("b")
        #expect(try await repository.insertAuthenticator(a, onlyAsFirst: true) == .inserted(a))
        #expect(try await repository.insertAuthenticator(b, onlyAsFirst: true) == .userHasAuthenticator)
        #expect(try await repository.insertAuthenticator(b, onlyAsFirst: false) == .inserted(b))
        let sameKey = authenticator("c", user: "bob", key: "key-a")
        #expect(try await repository.insertAuthenticator(sameKey, onlyAsFirst: true) == .keyRegistered(a))
        #expect(try await repository.authenticators(userId: "alice").map(\.id) == ["a", "b"])
        #expect(try await repository.authenticators(userId: "bob").isEmpty)
        #expect(try await repository.authenticator(publicKey: "key-b") == b)
        var changed = b
        changed.pushToken = "t"
        changed.lastVerifiedAt = t0.addingTimeInterval(5)
        try await repository.updateAuthenticator(changed)
        #expect(try await repository.authenticator(id: "b") == changed)
        #expect(try await repository.deleteAuthenticator(id: "a"))
        #expect(try await !repository.deleteAuthenticator(id: "a"))
        #expect(try await repository.authenticator(id: "a") == nil)
        #expect(try await repository.authenticator(publicKey: "key-a") == nil)
        #expect(try await repository.authenticators(userId: "alice").map(\.id) == ["b"])
    }

    @Test(arguments: Store.allCases)
    func challengesAreAnsweredExactlyOnce(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        try await repository.insertChallenge(challenge("c1"))
        try await repository.insertChallenge(challenge("c2", at: t0.addingTimeInterval(1)))
        try await repository.insertChallenge(challenge("c3", user: "bob"))
        #expect(try await repository.pendingChallenges(userId: "alice").map(\.id) == ["c2", "c1"])
        let answered = try await repository.answerChallenge(id: "c2", status: .approved, by: "a", at: t0)
        #expect(answered?.status == .approved && answered?.answeredBy == "a" && answered?.answeredAt == t0)
        #expect(try await repository.answerChallenge(id: "c2", status: .declined, by: "a", at: t0) == nil)
        #expect(try await repository.answerChallenge(id: "missing", status: .declined, by: "a", at: t0) == nil)
        #expect(try await repository.challenge(id: "c2")?.status == .approved)
        #expect(try await repository.pendingChallenges(userId: "alice").map(\.id) == ["c1"])
    }

    @Test(arguments: Store.allCases)
    func concurrentAnswersHaveOneWinner(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        try await repository.insertChallenge(challenge("race"))
        let t0 = self.t0
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await repository.answerChallenge(
                        id: "race", status: index.isMultiple(of: 2) ? .approved : .declined, by: "d\(index)", at: t0)
                        != nil
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
    }

    @Test(arguments: Store.allCases)
    func parallelFirstCredentialsHaveOneWinner(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let candidates = (0..<8).map { authenticator("d\($0)") }
        let inserted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for candidate in candidates {
                group.addTask {
                    if case .inserted = try await repository.insertAuthenticator(candidate, onlyAsFirst: true) {
                        return true
                    }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(inserted == 1)
        #expect(try await repository.authenticators(userId: "alice").count == 1)
    }

    /// NFC "josé" (é = U+00E9) and NFD "josé" (e + U+0301) are equal for Swift's `String ==`, but are two
    /// users, two keys and two actions for every store.
    @Test(arguments: Store.allCases)
    func identifiersCompareAsBytesNotByUnicodeEquivalence(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let nfc = "jos\u{E9}"
        let nfd = "jose\u{301}"
        #expect(nfc == nfd, "the premise: Swift calls them equal")

        let first = action("key-\(nfc)", user: nfc)
        let second = action("key-\(nfd)", user: nfd)
        #expect(try await repository.insertActionIfAbsent(first) == first)
        #expect(try await repository.insertActionIfAbsent(second) == second)
        #expect(try await repository.action(idempotencyKey: "key-\(nfd)")?.userId.utf8.elementsEqual(nfd.utf8) == true)

        let nfcDevice = authenticator("id-\(nfc)", user: nfc, key: "pk-\(nfc)")
        let nfdDevice = authenticator("id-\(nfd)", user: nfd, key: "pk-\(nfd)")
        #expect(try await repository.insertAuthenticator(nfcDevice, onlyAsFirst: true) == .inserted(nfcDevice))
        #expect(try await repository.insertAuthenticator(nfdDevice, onlyAsFirst: true) == .inserted(nfdDevice))
        #expect(
            try await repository.authenticators(userId: nfc).map { Array($0.id.utf8) } == [Array(nfcDevice.id.utf8)])
        #expect(
            try await repository.authenticators(userId: nfd).map { Array($0.id.utf8) } == [Array(nfdDevice.id.utf8)])
        #expect(
            try await repository.authenticator(publicKey: "pk-\(nfd)").map { Array($0.id.utf8) }
                == Array(nfdDevice.id.utf8))
        #expect(try await repository.authenticator(id: "id-\(nfd)").map { Array($0.userId.utf8) } == Array(nfd.utf8))

        try await repository.insertChallenge(challenge("c-\(nfc)", user: nfc, action: "key-\(nfc)"))
        try await repository.insertChallenge(challenge("c-\(nfd)", user: nfd, action: "key-\(nfd)"))
        // Neither challenge superseded the other: they belong to two actions.
        #expect(
            try await repository.pendingChallenges(userId: nfc).map { Array($0.id.utf8) } == [Array("c-\(nfc)".utf8)])
        #expect(
            try await repository.pendingChallenges(userId: nfd).map { Array($0.id.utf8) } == [Array("c-\(nfd)".utf8)])
        #expect(try await repository.challenge(id: "c-\(nfd)").map { Array($0.userId.utf8) } == Array(nfd.utf8))

        #expect(try await repository.deleteAuthenticator(id: "id-\(nfd)"))
        #expect(try await repository.authenticator(id: "id-\(nfc)") != nil)
    }

    @Test(arguments: Store.allCases)
    func aNewChallengeSupersedesTheActionsPendingOnes(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        try await repository.insertChallenge(challenge("old", action: "a1"))
        try await repository.insertChallenge(challenge("other", action: "a2", at: t0.addingTimeInterval(1)))
        try await repository.insertChallenge(challenge("new", action: "a1", at: t0.addingTimeInterval(2)))
        #expect(try await repository.challenge(id: "old")?.status == .superseded)
        #expect(try await repository.pendingChallenges(userId: "alice").map(\.id) == ["new", "other"])
    }

    @Test(arguments: Store.allCases)
    func settlingChangesChallengeActionAndAuthenticatorTogether(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        _ = try await repository.insertActionIfAbsent(action("a1"))
        _ = try await repository.insertAuthenticator(authenticator("d"), onlyAsFirst: true)
        try await repository.insertChallenge(challenge("c1", action: "a1"))
        let answeredAt = t0.addingTimeInterval(10)

        let result = try await repository.settleChallenge(id: "c1", status: .approved, by: "d", at: answeredAt)
        guard case .settled(let challenge, let action) = result else {
            Issue.record("not settled: \(result)")
            return
        }
        #expect(challenge.status == .approved && challenge.answeredBy == "d")
        #expect(action.state == .challengeSucceeded && action.verificationMethod == "PUSH")
        #expect(try await repository.challenge(id: "c1") == challenge)
        #expect(try await repository.action(idempotencyKey: "a1") == action)
        #expect(try await repository.authenticator(id: "d")?.lastVerifiedAt == answeredAt)

        // Settled is final: a second answer changes nothing.
        #expect(
            try await repository.settleChallenge(id: "c1", status: .declined, by: "d", at: answeredAt)
                == .challengeNotPending(.approved))
        #expect(try await repository.action(idempotencyKey: "a1")?.state == .challengeSucceeded)
        #expect(
            try await repository.settleChallenge(id: "missing", status: .approved, by: "d", at: t0)
                == .challengeNotFound)
    }

    @Test(arguments: Store.allCases)
    func anActionOutOfChallengeRequiredIsFinalForAnswers(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        var blocked = action("a1")
        _ = try await repository.insertActionIfAbsent(blocked)
        _ = try await repository.insertAuthenticator(authenticator("d"), onlyAsFirst: true)
        try await repository.insertChallenge(challenge("c1", action: "a1"))
        blocked.state = .block
        try await repository.updateAction(blocked)

        #expect(
            try await repository.settleChallenge(id: "c1", status: .approved, by: "d", at: t0) == .actionSettled(.block)
        )
        #expect(try await repository.action(idempotencyKey: "a1") == blocked)
        #expect(try await repository.challenge(id: "c1")?.status == .pending)
        #expect(try await repository.authenticator(id: "d")?.lastVerifiedAt == nil)

        _ = try await repository.insertActionIfAbsent(action("a2"))
        try await repository.insertChallenge(challenge("late", action: "a2"))
        #expect(
            try await repository.settleChallenge(id: "late", status: .approved, by: "d", at: t0.addingTimeInterval(300))
                == .challengeExpired)
        #expect(try await repository.action(idempotencyKey: "a2")?.state == .challengeRequired)
    }

    @Test(arguments: Store.allCases)
    func concurrentSettlementsOfOneActionHaveOneWinner(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        _ = try await repository.insertActionIfAbsent(action("a1"))
        try await repository.insertChallenge(challenge("race", action: "a1"))
        let t0 = self.t0
        let winners = try await withThrowingTaskGroup(of: ActionState?.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let status: ChallengeStatus = index.isMultiple(of: 2) ? .approved : .declined
                    if case .settled(_, let action) = try await repository.settleChallenge(
                        id: "race", status: status, by: "d\(index)", at: t0)
                    {
                        return action.state
                    }
                    return nil
                }
            }
            return try await group.compactMap { $0 }.reduce(into: [ActionState]()) { $0.append($1) }
        }
        #expect(winners.count == 1)
        #expect(try await repository.action(idempotencyKey: "a1")?.state == winners.first)
    }

    @Test(arguments: Store.allCases)
    func verifyingAnActionChangesItOnlyFromChallengeRequired(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        _ = try await repository.insertAuthenticator(authenticator("d"), onlyAsFirst: true)
        _ = try await repository.insertActionIfAbsent(action("a1"))
        let later = t0.addingTimeInterval(5)
        guard
            case .verified(let verified) = try await repository.verifyAction(
                idempotencyKey: "a1", method: .inApp, by: "d", at: later)
        else {
            Issue.record("a CHALLENGE_REQUIRED action was not verified")
            return
        }
        #expect(verified.state == .challengeSucceeded && verified.verificationMethod == "IN_APP")
        #expect(verified.stateUpdatedAt == later)
        #expect(try await repository.action(idempotencyKey: "a1") == verified)
        #expect(try await repository.authenticator(id: "d")?.lastVerifiedAt == later)
        #expect(
            try await repository.verifyAction(idempotencyKey: "a1", method: .inApp, by: "d", at: later)
                == .actionSettled(.challengeSucceeded))
        #expect(
            try await repository.verifyAction(idempotencyKey: "missing", method: .inApp, by: "d", at: later)
                == .actionNotFound)
        // A push denied first: the denial stands.
        _ = try await repository.insertActionIfAbsent(action("a2"))
        try await repository.insertChallenge(challenge("c2", action: "a2"))
        _ = try await repository.settleChallenge(id: "c2", status: .declined, by: "d", at: t0)
        #expect(
            try await repository.verifyAction(idempotencyKey: "a2", method: .inApp, by: "d", at: later)
                == .actionSettled(.challengeFailed))
        #expect(try await repository.action(idempotencyKey: "a2")?.verificationMethod == nil)
    }

    /// A push denial and an in-app verification of one action at once: one wins, and the action says which.
    @Test(arguments: Store.allCases)
    func aDenialRacingAVerificationHasOneWinner(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        _ = try await repository.insertAuthenticator(authenticator("d"), onlyAsFirst: true)
        _ = try await repository.insertActionIfAbsent(action("a1"))
        try await repository.insertChallenge(challenge("race", action: "a1"))
        let t0 = self.t0
        let winners = try await withThrowingTaskGroup(of: ActionState?.self) { group in
            for index in 0..<20 {
                group.addTask {
                    if index.isMultiple(of: 2) {
                        let settled = try await repository.settleChallenge(
                            id: "race", status: .declined, by: "d", at: t0)
                        if case .settled(_, let action) = settled { return action.state }
                    } else {
                        let verified = try await repository.verifyAction(
                            idempotencyKey: "a1", method: .inApp, by: "d", at: t0)
                        if case .verified(let action) = verified { return action.state }
                    }
                    return nil
                }
            }
            return try await group.compactMap { $0 }.reduce(into: [ActionState]()) { $0.append($1) }
        }
        #expect(winners.count == 1)
        let stored = try await repository.action(idempotencyKey: "a1")
        #expect(stored?.state == winners.first)
        let challengeStatus = try await repository.challenge(id: "race")?.status
        #expect((stored?.state == .challengeFailed) == (challengeStatus == .declined))
    }

    /// Each change applies to the record as stored, so parallel changes of one credential all stay.
    @Test(arguments: Store.allCases)
    func parallelModificationsOfACredentialAreAllKept(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        _ = try await repository.insertAuthenticator(authenticator("d"), onlyAsFirst: true)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    _ = try await repository.modifyAuthenticator(id: "d") { $0.deviceName += " \(index)" }
                }
            }
            try await group.waitForAll()
        }
        let names = try await repository.authenticator(id: "d")?.deviceName.split(separator: " ").dropFirst()
        #expect(Set((names ?? []).compactMap { Int($0) }) == Set(0..<20))
        #expect(try await repository.modifyAuthenticator(id: "missing") { $0.pushToken = "t" } == nil)
        #expect(try await repository.authenticator(id: "missing") == nil)
    }

    private func nonce(_ message: String, for id: String = "a", purpose: String = "getChallenge", lives: Double = 60)
        -> NonceRecord
    {
        NonceRecord(message: message, authenticatorId: id, purpose: purpose, expiresAt: t0.addingTimeInterval(lives))
    }

    /// Uses the nonce `message` (any, when nil) of credential `id` for `purpose`.
    private func use(
        _ repository: any Repository, _ message: String?, of id: String = "a", for purpose: String = "getChallenge",
        at date: Date
    ) async throws -> Bool {
        try await repository.consumeNonce(authenticatorId: id, purpose: purpose, at: date) {
            message == nil || $0 == message
        }
    }

    @Test(arguments: Store.allCases)
    func noncesAreUsedOnceForTheirCredentialAndPurposeWhileLive(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        try await repository.insertNonce(nonce("n1"), keepingAtMost: 16, at: t0)
        try await repository.insertNonce(nonce("n2", purpose: "updateCredential:c1"), keepingAtMost: 16, at: t0)
        try await repository.insertNonce(nonce("short", lives: 1), keepingAtMost: 16, at: t0)
        // Another credential, another purpose, or a message the signature does not sign: nothing is used.
        #expect(try await !use(repository, nil, of: "b", at: t0))
        #expect(try await !use(repository, nil, for: "updateCredential:c2", at: t0))
        #expect(try await !use(repository, "n2", at: t0))
        // Expired: refused, even though it is still stored.
        let later = t0.addingTimeInterval(2)
        #expect(try await !use(repository, "short", at: later))
        #expect(try await use(repository, "n1", at: later))
        #expect(try await !use(repository, "n1", at: later))
        #expect(try await use(repository, nil, for: "updateCredential:c1", at: later))
    }

    @Test(arguments: Store.allCases)
    func noncesAreBoundedPerCredentialAndGoWithTheirCredential(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        for index in 0..<5 { try await repository.insertNonce(nonce("a\(index)"), keepingAtMost: 3, at: t0) }
        try await repository.insertNonce(nonce("b0", for: "b"), keepingAtMost: 3, at: t0)
        var left: [String] = []
        for index in 0..<5 where try await use(repository, "a\(index)", at: t0) { left.append("a\(index)") }
        #expect(left == ["a2", "a3", "a4"])
        // Deleting a credential deletes its nonces; another credential's stay.
        try await repository.insertNonce(nonce("a5"), keepingAtMost: 3, at: t0)
        _ = try await repository.insertAuthenticator(authenticator("a"), onlyAsFirst: false)
        #expect(try await repository.deleteAuthenticator(id: "a"))
        #expect(try await !use(repository, nil, at: t0))
        #expect(try await use(repository, nil, of: "b", at: t0))
    }

    @Test(arguments: Store.allCases)
    func parallelUsesOfOneNonceHaveOneWinner(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        try await repository.insertNonce(nonce("once"), keepingAtMost: 16, at: t0)
        let t0 = self.t0
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await repository.consumeNonce(authenticatorId: "a", purpose: "getChallenge", at: t0) { _ in true
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
    }

    @Test(arguments: Store.allCases)
    func inAppChallengesAreUsedOnceWhileLiveAndBounded(store: Store) async throws {
        let (repository, cleanup) = try store.make()
        defer { cleanup() }
        let expiry = t0.addingTimeInterval(60)
        let named = InAppChallengeRecord(id: "i1", action: "signIn", expiresAt: expiry)
        try await repository.insertInAppChallenge(named, keepingAtMost: 3, at: t0)
        try await repository.insertInAppChallenge(
            InAppChallengeRecord(id: "short", action: nil, expiresAt: t0.addingTimeInterval(1)), keepingAtMost: 3,
            at: t0)
        #expect(try await repository.consumeInAppChallenge(id: "i1", at: t0) == named)
        #expect(try await repository.consumeInAppChallenge(id: "i1", at: t0) == nil)
        #expect(try await repository.consumeInAppChallenge(id: "short", at: t0.addingTimeInterval(1)) == nil)
        #expect(try await repository.consumeInAppChallenge(id: "missing", at: t0) == nil)
        // At most three live: the oldest go first.
        for index in 0..<5 {
            try await repository.insertInAppChallenge(
                InAppChallengeRecord(id: "x\(index)", action: nil, expiresAt: expiry), keepingAtMost: 3, at: t0)
        }
        var left: [String] = []
        for index in 0..<5 {
            if try await repository.consumeInAppChallenge(id: "x\(index)", at: t0) != nil { left.append("x\(index)") }
        }
        #expect(left == ["x2", "x3", "x4"])
    }
}

/// State written by one server survives a restart on the same SQLite file.
@Suite struct PersistenceTests {
    @Test func stateSurvivesARestart() async throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("devicecred-persist-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let device = TestDevice()

        let written = try await TestServer { $0.databasePath = path }.run { harness in
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice", "signIn", ["idempotencyKey": "persist-1"])
            let challengeId = try await harness.startPush(tracked.token).string("challengeId")!
            #expect(try await harness.answer(device, challengeId, approved: true).bool("isVerified") == true)
            let pending = try await harness.track("alice", "signIn", ["idempotencyKey": "persist-2"])
            let pendingId = try await harness.startPush(pending.token).string("challengeId")!
            return (tracked.token, challengeId, pendingId)
        }

        try await TestServer { $0.databasePath = path }.run { harness in
            let user = try await harness.send(.get, "users/alice", auth: .secret())
            #expect(user.bool("isEnrolled") == true)
            let action = try await harness.send(.get, "users/alice/actions/signIn/persist-1", auth: .secret())
            #expect(action.string("state") == "CHALLENGE_SUCCEEDED")
            let polled = try await harness.poll(written.0, written.1)
            #expect(polled.bool("isVerified") == true && polled.string("accessToken") != nil)
            // The pending challenge is still there and can be answered after the restart.
            #expect(try await harness.getChallenge(device).string("challengeId") == written.2)
            #expect(try await harness.answer(device, written.2, approved: false).bool("isVerified") == false)
        }

        try await TestServer { $0.databasePath = path }.run { harness in
            let action = try await harness.send(.get, "users/alice/actions/signIn/persist-2", auth: .secret())
            #expect(action.string("state") == "CHALLENGE_FAILED")
        }
    }
}
