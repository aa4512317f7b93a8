import DeviceCredential
import DeviceCredentialCLI
import FoundationEssentials

/// What `devicecred` reads from elsewhere: a `devicecred:` link from a web page, a scanned QR code, an
/// enrollment token's claims, the history file.
enum CommandLineTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "enrollment-link", summary: "a devicecred:enroll?... link (devicecred open)", body: link),
        FuzzTarget(name: "scanned-challenge", summary: "a scanned QR code's text (devicecred claim)", body: scanned),
        FuzzTarget(name: "token-claims", summary: "an enrollment token's claims (a JWT, unverified)", body: token),
        FuzzTarget(name: "history", summary: "history.jsonl, as devicecred history reads and prints it", body: history),
    ]

    static func link(_ bytes: [UInt8]) throws {
        _ = try EnrollmentLink(String(decoding: bytes, as: UTF8.self), now: Date(timeIntervalSince1970: 1_795_915_200))
            .description
    }

    static func scanned(_ bytes: [UInt8]) throws {
        _ = try ScannedChallenge.challengeID(in: String(decoding: bytes, as: UTF8.self))
    }

    static func token(_ bytes: [UInt8]) throws {
        _ = TokenClaims(token: String(decoding: bytes, as: UTF8.self))
    }

    static func history(_ bytes: [UInt8]) throws {
        let directory = try ScratchFiles.write(bytes, as: ChallengeHistory.fileName)
        let reading = try ChallengeHistory(directory: directory).read()
        for fullUserAgent in [false, true] {
            _ = HistoryText.table(reading.entries, now: Date(), fullUserAgent: fullUserAgent, hadAny: true)
        }
        _ = reading.entries.map(HistoryText.document)
    }
}
