import AuthsignalTestDevice
import Foundation
import Testing

/// The real devicecred-server on a SQLite file, killed with SIGKILL under concurrent load at a random
/// point and restarted on the same file, round after round (issue 15). `DEVICECRED_CRASH_ROUNDS` sets
/// the number of rounds (default 8).
@Suite(.serialized) struct CrashConsistencyTests {
    static let rounds = ProcessInfo.processInfo.environment["DEVICECRED_CRASH_ROUNDS"].flatMap { Int($0) } ?? 8
    static let usersPerRound = 6

    @Test func killNineUnderLoadLosesNoAcknowledgedWriteAndLeavesNoContradiction() async throws {
        let database = ServerProcess.temporaryDatabase()
        defer { ServerProcess.remove(database) }
        let ledger = CrashLedger()
        var invariants = CrashInvariants()
        var server = try await ServerProcess(database: database)
        var killedBySIGKILL = 0
        for round in 0..<Self.rounds {
            // Kill once a random number of writes more were acknowledged: the other requests are anywhere.
            let target = ledger.acknowledged + Int.random(in: 10...150)
            let acknowledgements = ledger.watch()
            let client = server.client
            let load = Task {
                await withTaskGroup(of: Void.self) { users in
                    for user in 0..<Self.usersPerRound {
                        users.addTask {
                            await CrashWorker(client: client, ledger: ledger, user: "crash-\(round)-\(user)").run()
                        }
                    }
                }
                ledger.stopWatching()
            }
            for await count in acknowledgements where count >= target { break }
            ledger.note { $0.killed = true }
            if await server.process.stop(signal: SIGKILL) == -SIGKILL { killedBySIGKILL += 1 }
            await load.value

            server = try await ServerProcess(database: database)
            ledger.note { $0.killed = false }
            invariants.verify(try CrashStoreSnapshot.read(database), against: ledger.state.withLock { $0 })
            await useKeptSecrets(server.client, ledger, &invariants)
        }
        #expect(await server.process.stop() == 0)

        // Each round checks everything written so far: a broken record is reported once, not every round.
        var reported = Set<String>()
        let failures = (ledger.state.withLock { $0.failures } + invariants.failures).filter {
            reported.insert($0).inserted
        }
        print(
            "crash consistency: \(Self.rounds) rounds (\(killedBySIGKILL) killed by SIGKILL), "
                + "\(ledger.acknowledged) writes acknowledged, \(invariants.checks) checks, \(failures.count) failures")
        #expect(killedBySIGKILL == Self.rounds)
        #expect(failures.isEmpty, "\(failures.prefix(20).joined(separator: "\n"))")
    }

    /// The nonces and in-app challenges handed out before the kill: accepted once after the restart.
    private func useKeptSecrets(_ client: ProcessClient, _ ledger: CrashLedger, _ invariants: inout CrashInvariants)
        async
    {
        let (nonces, inApp) = ledger.state.withLock { state in
            let kept = (state.bankedNonces, state.bankedInApp)
            (state.bankedNonces, state.bankedInApp) = ([], [])
            return kept
        }
        do {
            for (device, message) in nonces {
                let first = try await client.getChallenge(device, signing: message)
                let second = try await client.getChallenge(device, signing: message)
                invariants.check(
                    first.status == .ok && second.status == .unauthorized,
                    "a nonce acknowledged before the kill answered \(first.status.code), then \(second.status.code)")
            }
            for (device, challengeId) in inApp {
                let first = try await client.verifyInApp(device, challengeId)
                let second = try await client.verifyInApp(device, challengeId)
                invariants.check(
                    first.status == .ok && second.status == .notFound,
                    "an in-app challenge acknowledged before the kill answered \(first.status.code), then "
                        + "\(second.status.code)")
            }
        } catch {
            invariants.check(false, "the restarted server did not answer: \(error)")
        }
    }
}

/// Nonces and in-app challenges are single-use secrets the server hands to clients: a restart on the same
/// database does not invalidate them, nor lets them be used twice.
@Suite struct RestartTests {
    @Test func aNonceAndAnInAppChallengeHandedOutBeforeARestartAreAcceptedOnceAfterIt() async throws {
        let database = ServerProcess.temporaryDatabase()
        defer { ServerProcess.remove(database) }
        let (push, inApp) = (TestDevice(), TestDevice())

        let before = try await ServerProcess(database: database)
        let token = try #require(
            try await before.client.track("restart", "enroll", scope: "add:authenticators").string("token"))
        #expect(try await before.client.addCredential(push, token: token, namespace: "push").status == .ok)
        #expect(try await before.client.addCredential(inApp, token: token, namespace: "in-app").status == .ok)
        let message = try #require(try await before.client.nonce(push).string("message"))
        let update = try await before.client.updateNonce(push)
        let (updateId, updateMessage) = try #require(update.string("challengeId").zip(update.string("message")))
        let inAppId = try #require(try await before.client.inAppChallenge(action: "unlock").string("challengeId"))
        #expect(await before.process.stop() == 0)

        let after = try await ServerProcess(database: database)
        #expect(try await after.client.getChallenge(push, signing: message).status == .ok)
        #expect(try await after.client.getChallenge(push, signing: message).status == .unauthorized)
        let updated = try await after.client.updateCredential(
            push, challengeId: updateId, message: updateMessage, pushToken: "after-restart")
        #expect(updated.status == .ok && updated.string("pushToken") == "after-restart")
        let again = try await after.client.updateCredential(
            push, challengeId: updateId, message: updateMessage, pushToken: "twice")
        #expect(again.status == .unauthorized)
        #expect(try await after.client.verifyInApp(inApp, inAppId).status == .ok)
        #expect(try await after.client.verifyInApp(inApp, inAppId).status == .notFound)
        #expect(await after.process.stop() == 0)
    }
}

/// The real binary on a database file, with a client for its base URL.
struct ServerProcess {
    let process: ExecutableTests.RunningServer
    let client: ProcessClient

    init(database: String) async throws {
        process = try await ExecutableTests.RunningServer(arguments: [
            "--port", "0", "--database", database, "--log-level", "warning",
        ])
        let lines = try #require(await process.readLines(3), "devicecred-server did not start")
        client = ProcessClient(baseURL: String(try #require(lines[0].split(separator: " ").last)))
    }

    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("devicecred-crash-\(UUID().uuidString).sqlite")
            .path
    }

    static func remove(_ database: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
}

extension Optional {
    fileprivate func zip<Other>(_ other: Other?) -> (Wrapped, Other)? {
        guard let self, let other else { return nil }
        return (self, other)
    }
}
