import ArgumentParser
import DeviceCredential

/// A challenge id typed on the command line. The service's challenge ids are UUIDs; anything else is a
/// typing or pasting mistake, said as such before anything is signed or sent (the server would answer
/// "no such challenge", which reads as "gone").
enum ChallengeID {
    /// Whether `text` is a UUID: 8-4-4-4-12 hexadecimal digits, either case.
    static func isWellFormed(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    /// Throws the usage error for a malformed id (an empty one included).
    static func validate(_ text: String?) throws {
        guard let text, !isWellFormed(text) else { return }
        guard !text.isEmpty else { throw ValidationError("the challenge id is empty") }
        throw ValidationError(
            "'\(DisplayText.terminal(text, limit: 60))' is not a challenge id: challenge ids are UUIDs such as "
                + "01e8189d-272a-49ee-9409-e160ecec881a (devicecred challenge shows the pending one)")
    }
}
