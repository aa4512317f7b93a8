import DeviceCredentialServer
import Foundation

/// The crash-consistency invariants over a snapshot of the store and what the clients were told: no
/// challenge both approved and denied, no action in a state its challenges contradict, no credential
/// half-created, every acknowledged write present. Each check is counted; each failure is a sentence.
struct CrashInvariants {
    private(set) var checks = 0
    private(set) var failures: [String] = []

    mutating func check(_ condition: Bool, _ failure: @autoclosure () -> String) {
        checks += 1
        if !condition { failures.append(failure()) }
    }

    mutating func verify(_ store: CrashStoreSnapshot, against told: CrashLedger.State) {
        check(store.integrity == "ok", "PRAGMA integrity_check: \(store.integrity)")
        check(store.journalMode == "wal", "the database is in journal mode \(store.journalMode), not WAL")
        check(store.malformed.isEmpty, "rows half-written or disagreeing with their record: \(store.malformed)")
        verifyActionsAgreeWithTheirChallenges(store)
        verifyAcknowledgedWrites(store, told)
    }

    private mutating func verifyActionsAgreeWithTheirChallenges(_ store: CrashStoreSnapshot) {
        let answered = Dictionary(
            grouping: store.challenges.values.filter { [.approved, .declined, .failed].contains($0.status) },
            by: \.idempotencyKey)
        let pending = Dictionary(
            grouping: store.challenges.values.filter { $0.status == .pending }, by: \.idempotencyKey)
        let answeredQR = Dictionary(
            grouping: store.qrChallenges.values.filter { [.approved, .rejected, .failed].contains($0.status) },
            by: { $0.idempotencyKey ?? "" })
        for (key, challenges) in answered {
            check(store.actions[key] != nil, "answered challenges \(challenges.map(\.id)) have no action \(key)")
        }
        for (key, challenges) in answeredQR {
            check(store.actions[key] != nil, "answered QR challenges \(challenges.map(\.id)) have no action '\(key)'")
        }
        for (key, action) in store.actions {
            let push = answered[key] ?? []
            let qr = answeredQR[key] ?? []
            let story =
                "action \(key) is \(action.state.rawValue) (\(action.verificationMethod ?? "-")) with answered "
                + "push challenges \(push.map { "\($0.id) \($0.status.rawValue)" }), QR \(qr.map { "\($0.id) \($0.status.rawValue)" })"
            check(push.count + qr.count <= 1, "more than one answer: " + story)
            check((pending[key]?.count ?? 0) <= 1, "action \(key) has \(pending[key]?.count ?? 0) pending pushes")
            switch (action.state, action.verificationMethod) {
            case (.challengeSucceeded, "PUSH"):
                check(push.map(\.status) == [.approved] && qr.isEmpty, story)
            case (.challengeSucceeded, "QR_CODE"):
                check(qr.map(\.status) == [.approved] && push.isEmpty, story)
            case (.challengeSucceeded, "IN_APP"):
                check(push.isEmpty && qr.isEmpty, story)
            case (.challengeFailed, _):
                check(
                    push.count + qr.count == 1 && !push.contains { $0.status == .approved }
                        && !qr.contains { $0.status == .approved }, story)
            default:
                check(push.isEmpty && qr.isEmpty, story)
            }
        }
    }

    private mutating func verifyAcknowledgedWrites(_ store: CrashStoreSnapshot, _ told: CrashLedger.State) {
        for (id, credential) in told.credentials {
            let stored = store.authenticators[id]
            check(
                stored?.userId == credential.userId && stored?.publicKey == credential.publicKey
                    && stored?.verificationMethod.rawValue == credential.method,
                "acknowledged credential \(id) of \(credential.userId) is missing or changed: \(String(describing: stored))"
            )
        }
        for (key, user) in told.actions {
            check(store.actions[key]?.userId == user, "acknowledged action \(key) of \(user) is missing")
        }
        for (id, key) in told.challenges {
            check(store.challenges[id]?.idempotencyKey == key, "acknowledged push challenge \(id) is missing")
        }
        for (id, answer) in told.answers {
            let status = store.challenges[id]?.status
            check(
                answer == .approved ? status == .approved : status == .declined || status == .failed,
                "push challenge \(id) was acknowledged as \(answer) but is \(String(describing: status))")
        }
        for id in told.qrChallenges {
            check(store.qrChallenges[id] != nil, "acknowledged QR challenge \(id) is missing")
        }
        for (id, answer) in told.qrAnswers {
            let status = store.qrChallenges[id]?.status
            check(
                answer == .approved ? status == .approved : status == .rejected || status == .failed,
                "QR challenge \(id) was acknowledged as \(answer) but is \(String(describing: status))")
        }
        for key in told.inAppActions {
            let action = store.actions[key]
            check(
                action?.state == .challengeSucceeded && action?.verificationMethod == "IN_APP",
                "in-app action \(key) was acknowledged but is \(String(describing: action?.state))")
        }
        // An approval sets its credential's lastVerifiedAt: a write that ran at the same time must not undo it.
        for challenge in store.challenges.values where challenge.status == .approved {
            guard let by = challenge.answeredBy, let answeredAt = challenge.answeredAt,
                let credential = store.authenticators[by]
            else { continue }
            check(
                (credential.lastVerifiedAt ?? .distantPast) >= answeredAt,
                "credential \(by) was last verified at \(String(describing: credential.lastVerifiedAt)), before its "
                    + "approval of \(challenge.id) at \(answeredAt)")
        }
        for (id, tokens) in told.pushTokens {
            let stored = store.authenticators[id]?.pushToken
            check(
                stored == tokens.acknowledged || stored.map(tokens.sentSince.contains) == true,
                "credential \(id) has push token \(stored ?? "none"), acknowledged \(tokens.acknowledged ?? "none")")
        }
    }
}
