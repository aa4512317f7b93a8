public import Foundation
import GRDB

/// The `--database FILE` store: each record is kept as JSON next to the columns it is looked up by,
/// so both stores share one encoding of a record and behave alike.
public final class SQLiteRepository: Repository {
    private let database: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // WAL with NORMAL sync: a commit is written to the WAL (the kernel's page cache) before the
            // request is answered, so a killed process loses nothing it acknowledged (the crash test checks
            // it); a power loss or kernel crash may lose the last commits, never corrupt the file. A local
            // development server trades that for not waiting on fsync at every request.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            }
        }
        database = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE action (idempotencyKey TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL, record TEXT NOT NULL);
                    CREATE TABLE authenticator (id TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL,
                        publicKey TEXT NOT NULL UNIQUE, record TEXT NOT NULL);
                    CREATE INDEX authenticator_user ON authenticator(userId);
                    CREATE TABLE challenge (id TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL, status TEXT NOT NULL,
                        record TEXT NOT NULL);
                    CREATE INDEX challenge_user_status ON challenge(userId, status);
                    """
            )
        }
        migrator.registerMigration("v2-qr-code") { db in
            try db.execute(
                sql: "CREATE TABLE qr_challenge (id TEXT PRIMARY KEY NOT NULL, record TEXT NOT NULL)")
        }
        // Nonces and in-app challenges were in memory before: a restart no longer invalidates them.
        migrator.registerMigration("v3-one-time-secrets") { db in
            try db.execute(
                sql: """
                    CREATE TABLE nonce (message TEXT PRIMARY KEY NOT NULL, authenticatorId TEXT NOT NULL,
                        purpose TEXT NOT NULL, expiresAt REAL NOT NULL);
                    CREATE INDEX nonce_authenticator ON nonce(authenticatorId);
                    CREATE INDEX nonce_expiry ON nonce(expiresAt);
                    CREATE TABLE in_app_challenge (id TEXT PRIMARY KEY NOT NULL, action TEXT, expiresAt REAL NOT NULL);
                    CREATE INDEX in_app_challenge_expiry ON in_app_challenge(expiresAt);
                    """
            )
        }
        return migrator
    }

    // MARK: actions

    public func insertActionIfAbsent(_ action: ActionRecord) async throws -> ActionRecord {
        try await database.write { db in
            if let existing: ActionRecord = try Self.fetchOne(
                db, "SELECT record FROM action WHERE idempotencyKey = ?", [action.idempotencyKey])
            {
                return existing
            }
            try db.execute(
                sql: "INSERT INTO action (idempotencyKey, userId, record) VALUES (?, ?, ?)",
                arguments: [action.idempotencyKey, action.userId, try Self.encode(action)]
            )
            return action
        }
    }

    public func action(idempotencyKey: String) async throws -> ActionRecord? {
        try await database.read { db in
            try Self.fetchOne(db, "SELECT record FROM action WHERE idempotencyKey = ?", [idempotencyKey])
        }
    }

    public func updateAction(_ action: ActionRecord) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE action SET record = ? WHERE idempotencyKey = ?",
                arguments: [try Self.encode(action), action.idempotencyKey]
            )
        }
    }

    public func verifyAction(
        idempotencyKey: String, method: VerificationMethod, by authenticatorId: String, at date: Date
    ) async throws -> ActionVerification {
        // One write transaction: the state checked is the state changed.
        try await database.write { db in
            guard
                var action: ActionRecord = try Self.fetchOne(
                    db, "SELECT record FROM action WHERE idempotencyKey = ?", [idempotencyKey])
            else { return .actionNotFound }
            guard action.state == .challengeRequired else { return .actionSettled(action.state) }
            action.state = .challengeSucceeded
            action.stateUpdatedAt = date
            action.verificationMethod = method.rawValue
            try db.execute(
                sql: "UPDATE action SET record = ? WHERE idempotencyKey = ?",
                arguments: [try Self.encode(action), action.idempotencyKey])
            if var authenticator: AuthenticatorRecord = try Self.fetchOne(
                db, "SELECT record FROM authenticator WHERE id = ?", [authenticatorId])
            {
                authenticator.markVerified(at: date)
                try db.execute(
                    sql: "UPDATE authenticator SET record = ? WHERE id = ?",
                    arguments: [try Self.encode(authenticator), authenticator.id])
            }
            return .verified(action)
        }
    }

    // MARK: authenticators

    public func insertAuthenticator(_ authenticator: AuthenticatorRecord, onlyAsFirst: Bool) async throws
        -> AuthenticatorInsertion
    {
        // One write transaction: the checks and the insert cannot interleave with another enrollment.
        try await database.write { db in
            if let existing: AuthenticatorRecord = try Self.fetchOne(
                db, "SELECT record FROM authenticator WHERE publicKey = ?", [authenticator.publicKey])
            {
                return .keyRegistered(existing)
            }
            if onlyAsFirst,
                try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM authenticator WHERE userId = ?)",
                    arguments: [authenticator.userId]) == true
            {
                return .userHasAuthenticator
            }
            try db.execute(
                sql: "INSERT INTO authenticator (id, userId, publicKey, record) VALUES (?, ?, ?, ?)",
                arguments: [
                    authenticator.id, authenticator.userId, authenticator.publicKey, try Self.encode(authenticator),
                ]
            )
            return .inserted(authenticator)
        }
    }

    public func authenticator(id: String) async throws -> AuthenticatorRecord? {
        try await database.read { db in try Self.fetchOne(db, "SELECT record FROM authenticator WHERE id = ?", [id]) }
    }

    public func authenticator(publicKey: String) async throws -> AuthenticatorRecord? {
        try await database.read { db in
            try Self.fetchOne(db, "SELECT record FROM authenticator WHERE publicKey = ?", [publicKey])
        }
    }

    public func authenticators(userId: String) async throws -> [AuthenticatorRecord] {
        try await database.read { db in
            try Self.fetchAll(db, "SELECT record FROM authenticator WHERE userId = ? ORDER BY rowid", [userId])
        }
    }

    public func updateAuthenticator(_ authenticator: AuthenticatorRecord) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE authenticator SET record = ? WHERE id = ?",
                arguments: [try Self.encode(authenticator), authenticator.id]
            )
        }
    }

    public func modifyAuthenticator(id: String, _ change: @escaping @Sendable (inout AuthenticatorRecord) -> Void)
        async throws -> AuthenticatorRecord?
    {
        // Read and written in one write transaction.
        try await database.write { db in
            guard
                var authenticator: AuthenticatorRecord = try Self.fetchOne(
                    db, "SELECT record FROM authenticator WHERE id = ?", [id])
            else { return nil }
            change(&authenticator)
            try db.execute(
                sql: "UPDATE authenticator SET record = ? WHERE id = ?",
                arguments: [try Self.encode(authenticator), id])
            return authenticator
        }
    }

    public func deleteAuthenticator(id: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM authenticator WHERE id = ?", arguments: [id])
            let deleted = db.changesCount > 0
            try db.execute(sql: "DELETE FROM nonce WHERE authenticatorId = ?", arguments: [id])
            return deleted
        }
    }

    // MARK: challenges

    public func insertChallenge(_ challenge: ChallengeRecord) async throws {
        try await database.write { db in
            let pending: [ChallengeRecord] = try Self.fetchAll(
                db, "SELECT record FROM challenge WHERE userId = ? AND status = 'pending'", [challenge.userId])
            for var earlier in pending where earlier.idempotencyKey.isSameIdentifier(as: challenge.idempotencyKey) {
                earlier.status = .superseded
                earlier.answeredAt = challenge.createdAt
                try Self.write(earlier, in: db)
            }
            try Self.write(challenge, in: db)
        }
    }

    public func challenge(id: String) async throws -> ChallengeRecord? {
        try await database.read { db in try Self.fetchOne(db, "SELECT record FROM challenge WHERE id = ?", [id]) }
    }

    public func pendingChallenges(userId: String) async throws -> [ChallengeRecord] {
        try await database.read { db in
            try Self.fetchAll(
                db, "SELECT record FROM challenge WHERE userId = ? AND status = 'pending' ORDER BY rowid DESC", [userId]
            )
        }
    }

    public func answerChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        async throws -> ChallengeRecord?
    {
        try await database.write { db in
            guard
                var challenge: ChallengeRecord = try Self.fetchOne(
                    db, "SELECT record FROM challenge WHERE id = ?", [id]),
                challenge.status == .pending
            else { return nil }
            challenge.status = status
            challenge.answeredAt = date
            challenge.answeredBy = authenticatorId
            try Self.write(challenge, in: db)
            return challenge
        }
    }

    public func settleChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        async throws -> ChallengeSettlement
    {
        // One write transaction for the challenge, its action and the authenticator.
        try await database.write { db in
            guard
                var challenge: ChallengeRecord = try Self.fetchOne(
                    db, "SELECT record FROM challenge WHERE id = ?", [id])
            else { return .challengeNotFound }
            let stored: ActionRecord? = try Self.fetchOne(
                db, "SELECT record FROM action WHERE idempotencyKey = ?", [challenge.idempotencyKey])
            if let refusal = ChallengeSettling.refusal(challenge, stored, at: date) { return refusal }
            guard var action = stored else { return .challengeNotFound }
            var authenticator: AuthenticatorRecord? = try Self.fetchOne(
                db, "SELECT record FROM authenticator WHERE id = ?", [authenticatorId])
            ChallengeSettling.apply(status, by: authenticatorId, at: date, to: &challenge, &action, &authenticator)
            try Self.write(challenge, in: db)
            try db.execute(
                sql: "UPDATE action SET record = ? WHERE idempotencyKey = ?",
                arguments: [try Self.encode(action), action.idempotencyKey])
            if let authenticator {
                try db.execute(
                    sql: "UPDATE authenticator SET record = ? WHERE id = ?",
                    arguments: [try Self.encode(authenticator), authenticator.id])
            }
            return .settled(challenge, action)
        }
    }

    // MARK: QR-code challenges

    public func insertQRChallenge(_ challenge: QRChallengeRecord) async throws {
        try await database.write { db in try Self.write(challenge, in: db) }
    }

    public func qrChallenge(id: String) async throws -> QRChallengeRecord? {
        try await database.read { db in try Self.fetchOne(db, "SELECT record FROM qr_challenge WHERE id = ?", [id]) }
    }

    public func claimQRChallenge(id: String, by authenticator: AuthenticatorRecord, at date: Date) async throws
        -> QRClaim
    {
        try await database.write { db in
            guard
                var challenge: QRChallengeRecord = try Self.fetchOne(
                    db, "SELECT record FROM qr_challenge WHERE id = ?", [id])
            else { return .notFound }
            if let refusal = QRChallengeRules.claimRefusal(challenge, by: authenticator, at: date) { return refusal }
            QRChallengeRules.claim(&challenge, by: authenticator)
            try Self.write(challenge, in: db)
            return .claimed(challenge)
        }
    }

    public func settleQRChallenge(
        id: String, status: QRChallengeStatus, by authenticatorId: String, newActionKey: String, at date: Date
    ) async throws -> QRSettlement {
        // One write transaction for the challenge, its action and the authenticator.
        try await database.write { db in
            guard
                var challenge: QRChallengeRecord = try Self.fetchOne(
                    db, "SELECT record FROM qr_challenge WHERE id = ?", [id])
            else { return .notFound }
            var tracked: ActionRecord?
            if let key = challenge.idempotencyKey {
                tracked = try Self.fetchOne(db, "SELECT record FROM action WHERE idempotencyKey = ?", [key])
            }
            if let refusal = QRChallengeRules.settleRefusal(challenge, tracked, by: authenticatorId, at: date) {
                return refusal
            }
            var action = tracked ?? QRChallengeRules.newAction(for: challenge, key: newActionKey, at: date)
            var authenticator: AuthenticatorRecord? = try Self.fetchOne(
                db, "SELECT record FROM authenticator WHERE id = ?", [authenticatorId])
            QRChallengeRules.apply(status, at: date, to: &challenge, &action, &authenticator)
            try Self.write(challenge, in: db)
            try db.execute(
                sql: """
                    INSERT INTO action (idempotencyKey, userId, record) VALUES (?, ?, ?)
                    ON CONFLICT(idempotencyKey) DO UPDATE SET record = excluded.record
                    """,
                arguments: [action.idempotencyKey, action.userId, try Self.encode(action)])
            if let authenticator {
                try db.execute(
                    sql: "UPDATE authenticator SET record = ? WHERE id = ?",
                    arguments: [try Self.encode(authenticator), authenticator.id])
            }
            return .settled(challenge, action)
        }
    }

    private static func write(_ challenge: QRChallengeRecord, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO qr_challenge (id, record) VALUES (?, ?)
                ON CONFLICT(id) DO UPDATE SET record = excluded.record
                """,
            arguments: [challenge.id, try encode(challenge)]
        )
    }

    /// Inserts or updates in place (an upsert keeps the rowid, which orders the listings).
    private static func write(_ challenge: ChallengeRecord, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO challenge (id, userId, status, record) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET status = excluded.status, record = excluded.record
                """,
            arguments: [challenge.id, challenge.userId, challenge.status.rawValue, try encode(challenge)]
        )
    }

    // MARK: nonces and in-app challenges (expiry as Unix seconds, compared in SQL)

    public func insertNonce(_ nonce: NonceRecord, keepingAtMost limit: Int, at now: Date) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM nonce WHERE expiresAt <= ?", arguments: [now.timeIntervalSince1970])
            try db.execute(
                sql: "INSERT INTO nonce (message, authenticatorId, purpose, expiresAt) VALUES (?, ?, ?, ?)",
                arguments: [nonce.message, nonce.authenticatorId, nonce.purpose, nonce.expiresAt.timeIntervalSince1970])
            try db.execute(
                sql: """
                    DELETE FROM nonce WHERE authenticatorId = ?1 AND rowid NOT IN
                        (SELECT rowid FROM nonce WHERE authenticatorId = ?1 ORDER BY rowid DESC LIMIT ?2)
                    """,
                arguments: [nonce.authenticatorId, limit])
        }
    }

    public func consumeNonce(
        authenticatorId: String, purpose: String, at now: Date, where isSigned: @Sendable (String) -> Bool
    ) async throws -> Bool {
        // Checked and deleted in one write transaction: a nonce is used once, even by parallel requests.
        try await database.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT rowid, message FROM nonce WHERE authenticatorId = ? AND purpose = ? AND expiresAt > ?
                    ORDER BY rowid
                    """,
                arguments: [authenticatorId, purpose, now.timeIntervalSince1970])
            guard let row = rows.first(where: { isSigned($0["message"]) }) else { return false }
            try db.execute(sql: "DELETE FROM nonce WHERE rowid = ?", arguments: [row["rowid"] as Int64])
            return true
        }
    }

    public func insertInAppChallenge(_ challenge: InAppChallengeRecord, keepingAtMost limit: Int, at now: Date)
        async throws
    {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM in_app_challenge WHERE expiresAt <= ?", arguments: [now.timeIntervalSince1970])
            try db.execute(
                sql: """
                    DELETE FROM in_app_challenge WHERE rowid IN
                        (SELECT rowid FROM in_app_challenge ORDER BY rowid DESC LIMIT -1 OFFSET ?)
                    """,
                arguments: [max(limit - 1, 0)])
            try db.execute(
                sql: "INSERT INTO in_app_challenge (id, action, expiresAt) VALUES (?, ?, ?)",
                arguments: [challenge.id, challenge.action, challenge.expiresAt.timeIntervalSince1970])
        }
    }

    public func consumeInAppChallenge(id: String, at now: Date) async throws -> InAppChallengeRecord? {
        try await database.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT action, expiresAt FROM in_app_challenge WHERE id = ?", arguments: [id])
            else { return nil }
            try db.execute(sql: "DELETE FROM in_app_challenge WHERE id = ?", arguments: [id])
            let expiresAt = Date(timeIntervalSince1970: row["expiresAt"])
            return expiresAt > now ? InAppChallengeRecord(id: id, action: row["action"], expiresAt: expiresAt) : nil
        }
    }

    // MARK: encoding

    private static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try RecordCoding.encoder.encode(value), as: UTF8.self)
    }

    private static func fetchOne<Record: Decodable>(_ db: Database, _ sql: String, _ arguments: StatementArguments)
        throws -> Record?
    {
        guard let text = try String.fetchOne(db, sql: sql, arguments: arguments) else { return nil }
        return try RecordCoding.decoder.decode(Record.self, from: Data(text.utf8))
    }

    private static func fetchAll<Record: Decodable>(_ db: Database, _ sql: String, _ arguments: StatementArguments)
        throws -> [Record]
    {
        try String.fetchAll(db, sql: sql, arguments: arguments).map {
            try RecordCoding.decoder.decode(Record.self, from: Data($0.utf8))
        }
    }
}

/// Records are stored with dates as Unix seconds (Double), which round-trip exactly.
enum RecordCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()
}
