import ArgumentParser
import DeviceCredential
import FoundationEssentials

/// `devicecred challenge`: the pending challenge with its context.
struct ChallengeCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "challenge",
        abstract: "Show the pending challenge (action, IP address, browser, time left, custom data), if any.",
        discussion: """
            Prints "no pending challenge" (with --json: null) and exits 0 when nothing is pending. A challenge \
            the agent's push-fatigue guard holds (not shown, after many refused ones) carries a note (with \
            --json: "heldByGuard": true); approve or deny it here. \
            With --show, asks the running agent to show the profile's challenge again (a dismissed \
            notification); exit 16 when no agent runs in the session, 7 when it has none open.
            """)

    @Flag(help: "Ask the running agent to show the pending challenge again (a dismissed notification); starts nothing.")
    var show = false

    @OptionGroup var detailOptions: DetailOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func execute(in context: CommandContext) async throws {
        if show {
            let shown = try ChallengeShowRequest.show(profile: profileOptions.profile)
            context.console.result(
                .object(["shown": .array(shown.map(JSONValue.string))]),
                human: shown.map { "shown again: challenge \(DisplayText.terminal($0))" }.joined(separator: "\n"))
            return
        }
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        _ = try opened.requireLocalKey()
        guard let challenge = try await opened.client.getChallenge() else {
            context.console.result(.null, human: "no pending challenge")
            return
        }
        let now = Date()
        let held = HeldChallenges.read(profile: opened.profile.name, now: now)
        let isHeld = held?.challengeIds.contains(challenge.challengeId) ?? false
        var document = Documents.challenge(challenge, now: now)
        if case .object(var fields) = document {
            fields["heldByGuard"] = .bool(isHeld)
            document = .object(fields)
        }
        var human = HumanText.challenge(challenge, now: now, fullUserAgent: detailOptions.full)
        if let held, isHeld {
            human += HumanText.heldByGuard(until: Date(timeIntervalSince1970: held.coolDownEnds), now: now)
        }
        context.console.result(document, human: human)
    }
}
