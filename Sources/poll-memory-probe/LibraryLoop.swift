import DeviceCredential

/// `getChallenge` in a loop, with the key store and key kind the profile records: what an app that
/// embeds the library does to poll.
enum LibraryLoop {
    static func run(profile: DeviceProfile, checkpoints: [Int]) async throws {
        let client = try DeviceCredentialClient(profile: profile)
        var polls = 0
        for checkpoint in checkpoints {
            while polls < checkpoint {
                if let challenge = try await client.getChallenge() {
                    ProbeOutput.fail("challenge \(challenge.challengeId) is pending: only idle polls are measured")
                }
                polls += 1
            }
            ProbeOutput.checkpoint(polls: polls, idlePolls: polls)
        }
    }
}
