import Foundation
import Testing

@testable import DeviceCredential

/// The claim that lets one answer per challenge leave this machine. Two claims are two open files, as
/// in two processes: `flock` tells them apart the same way.
@Suite("answer claim")
struct AnswerClaimTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("answers-\(UUID().uuidString)").path

    private func refusal(_ work: () throws -> AnswerClaim?) -> DeviceCredentialError? {
        do {
            _ = try work()
            return nil
        } catch {
            return error as? DeviceCredentialError
        }
    }

    @Test("while one answer is under way a second is refused; once sent, later ones are refused too")
    func heldThenMarked() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let first = try #require(try AnswerClaim.take(profile: "work", challengeId: "c1", in: directory))
            let whileHeld = refusal { try AnswerClaim.take(profile: "work", challengeId: "c1", in: directory) }
            #expect(whileHeld?.code == .alreadyAnswered)
            #expect(whileHeld?.message.contains("is being answered") == true)
            // Another challenge, or the same id for another profile, is not held up.
            _ = try #require(try AnswerClaim.take(profile: "work", challengeId: "c2", in: directory))
            _ = try #require(try AnswerClaim.take(profile: "home", challengeId: "c1", in: directory))
            first.markAnswered()
            // Sent, and its sender still holds the claim: that is said, not "being answered".
            let sentStillHeld = refusal { try AnswerClaim.take(profile: "work", challengeId: "c1", in: directory) }
            #expect(sentStillHeld?.message.contains("was already answered") == true)
        }  // the first answer's process ends: its lock goes, its mark stays
        let afterSent = refusal { try AnswerClaim.take(profile: "work", challengeId: "c1", in: directory) }
        #expect(afterSent?.code == .alreadyAnswered)
        #expect(afterSent?.message.contains("was already answered") == true)
    }

    @Test("an answer that failed before reaching the server (released unmarked) leaves the challenge answerable")
    func failedAnswerReleases() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let failed = try AnswerClaim.take(profile: "work", challengeId: "c1", in: directory)
            withExtendedLifetime(failed) {}
        }
        #expect(try AnswerClaim.take(profile: "work", challengeId: "c1", in: directory) != nil)
        // The directory is private.
        let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test(
        "a challenge id from the server never leaves the claims directory",
        arguments: ["../../etc/x", "a/b", "..", "\u{0}x"])
    func hostileIDs(id: String) throws {
        let name = AnswerClaim.fileName(profile: "work", challengeId: id)
        #expect(!name.contains("/") && !name.contains("\u{0}") && !name.contains(".."), "\(name)")
    }

    @Test("without a runtime directory there is no claim")
    func noRuntimeDirectory() throws {
        #expect(try AnswerClaim.take(profile: "work", challengeId: "c1", in: nil) == nil)
    }
}
