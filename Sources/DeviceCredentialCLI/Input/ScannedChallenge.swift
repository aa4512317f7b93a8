import DeviceCredential
import SystemPackage

/// The challenge id a QR code holds, given as the id itself, as the text a scanner printed (the browser
/// SDK renders the bare id; a URL or payload around it is accepted), or `-` for the first line on
/// standard input (`zbarcam --raw | devicecred claim -`).
package enum ScannedChallenge {
    /// A scanned code is short; anything longer is not one.
    static let maximumLength = 4096

    /// The one challenge id in `text`; a usage error when there is none or there are several.
    package static func challengeID(in text: String) throws -> String {
        let trimmed = text.trimmingWhitespace()
        if ChallengeID.isWellFormed(trimmed) { return trimmed.lowercased() }
        let candidates = trimmed.split { !($0.isHexDigit || $0 == "-") }.map { String($0).lowercased() }
            .filter(ChallengeID.isWellFormed)
        switch Set(candidates).count {
        case 1: return candidates[0]
        case 0:
            throw CommandFailure.usage(
                "malformed_challenge",
                "'\(DisplayText.terminal(trimmed, limit: 80))' holds no challenge id: a QR-code challenge id is a "
                    + "UUID such as 01e8189d-272a-49ee-9409-e160ecec881a")
        default:
            throw CommandFailure.usage(
                "malformed_challenge", "the scanned text holds several challenge ids; scan one QR code at a time")
        }
    }

    /// The first non-empty line on standard input (at most ``maximumLength`` bytes), read without waiting
    /// for the rest: a scanner keeps the pipe open.
    static func readStandardInput() throws -> String {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = try withUnsafeMutableBytes(of: &byte) { try FileDescriptor.standardInput.read(into: $0) }
            if count == 0 { break }
            if byte == UInt8(ascii: "\n") {
                if line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) { break }
                line.removeAll()
                continue
            }
            line.append(byte)
            guard line.count <= maximumLength else {
                throw CommandFailure.usage("malformed_challenge", "standard input is not a scanned QR code (too long)")
            }
        }
        guard !line.isEmpty else {
            throw CommandFailure.usage("malformed_challenge", "standard input ended before a QR code was read")
        }
        return String(decoding: line, as: UTF8.self)
    }
}
