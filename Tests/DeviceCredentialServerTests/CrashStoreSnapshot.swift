import DeviceCredentialServer
import Foundation
import GRDB

/// The server's SQLite file read directly, read-only, beside the running server (WAL lets a reader in):
/// every record decoded, and the rows that do not decode or whose columns disagree with their record.
struct CrashStoreSnapshot {
    var integrity = ""
    var journalMode = ""
    var actions: [String: ActionRecord] = [:]
    var authenticators: [String: AuthenticatorRecord] = [:]
    var challenges: [String: ChallengeRecord] = [:]
    var qrChallenges: [String: QRChallengeRecord] = [:]
    var malformed: [String] = []

    static func read(_ path: String) throws -> CrashStoreSnapshot {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? database.close() }
        return try database.read { db in
            var snapshot = CrashStoreSnapshot()
            snapshot.integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
            snapshot.journalMode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
            for row in try Row.fetchAll(db, sql: "SELECT idempotencyKey, userId, record FROM action") {
                guard let action: ActionRecord = snapshot.decode(row, "action \(row["idempotencyKey"] as String)")
                else { continue }
                if action.idempotencyKey != row["idempotencyKey"] || action.userId != row["userId"] {
                    snapshot.malformed.append("action \(action.idempotencyKey): columns differ from the record")
                }
                snapshot.actions[action.idempotencyKey] = action
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, userId, publicKey, record FROM authenticator") {
                guard let credential: AuthenticatorRecord = snapshot.decode(row, "authenticator \(row["id"] as String)")
                else { continue }
                if credential.id != row["id"] || credential.userId != row["userId"]
                    || credential.publicKey != row["publicKey"]
                {
                    snapshot.malformed.append("authenticator \(credential.id): columns differ from the record")
                }
                snapshot.authenticators[credential.id] = credential
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, userId, status, record FROM challenge") {
                guard let challenge: ChallengeRecord = snapshot.decode(row, "challenge \(row["id"] as String)")
                else { continue }
                if challenge.id != row["id"] || challenge.userId != row["userId"]
                    || challenge.status.rawValue != row["status"]
                {
                    snapshot.malformed.append("challenge \(challenge.id): columns differ from the record")
                }
                snapshot.challenges[challenge.id] = challenge
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, record FROM qr_challenge") {
                guard let challenge: QRChallengeRecord = snapshot.decode(row, "QR challenge \(row["id"] as String)")
                else { continue }
                snapshot.qrChallenges[challenge.id] = challenge
            }
            return snapshot
        }
    }

    private mutating func decode<Record: Decodable>(_ row: Row, _ name: String) -> Record? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(Record.self, from: Data((row["record"] as String).utf8))
        } catch {
            malformed.append("\(name) does not decode: \(error)")
            return nil
        }
    }
}
