import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent and `devicecred approve` answering the same challenge at the same moment, as real processes
/// against the real server: one answer is sent, the other reports "already answered" without sending.
@Suite("one answer per challenge")
struct OneAnswerTests {
    @Test("50 rounds of the agent and devicecred approving one challenge at once: exactly one answer each round")
    func agentAndCLIRace() async throws {
        let backend = try TestServices.server()
        let home = try TestHome()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        // The CLI's results come back through a FIFO read by cat: a line per round, waited for as a log line.
        let results = home.runtime + "/results"
        #expect(mkfifo(results, 0o600) == 0)
        let reader = open(results, O_RDWR | O_CLOEXEC)  // read-write: opening never blocks, writers never see EOF
        #expect(reader >= 0)
        defer { close(reader) }
        let cliResults = try await RunningProcess(
            "/bin/cat", [], stdin: FileHandle(fileDescriptor: reader, closeOnDealloc: false), stopSignal: SIGKILL)
        // The prompt command starts `devicecred approve ID` in a session of its own and approves: in odd
        // rounds at once (both sign and send the same answer together), in even ones once the CLI is done.
        let command = #"""
            id=$(sed -n 's/.*"challengeId":"\([^"]*\)".*/\1/p')
            n=$(( $(cat "$XDG_RUNTIME_DIR/round" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$XDG_RUNTIME_DIR/round"
            if [ $((n % 2)) -eq 1 ]; then wait=-f; else wait=-w; fi
            setsid $wait sh -c '"$0" approve "$1" --profile "$2" >/dev/null 2>"$XDG_RUNTIME_DIR/cli-$1.err" </dev/null
                echo "cli $1 exit=$?" > "$XDG_RUNTIME_DIR/results"' "$DEVICECRED_BIN" "$id" "$PROFILE" </dev/null >/dev/null 2>&1
            exit 0
            """#
        let agent = try await RunningProcess.agent(
            [
                "--prompt", "command", "--prompt-command", command, "--interval", "0.2", "--log-level", "debug",
                "--no-fatigue-guard",
            ],
            home: home,
            environment: ["DEVICECRED_BIN": try TestBinaries.path("devicecred"), "PROFILE": device.profile.name])

        var (agentWon, cliWon) = (0, 0)
        for round in 1...50 {
            let push = try await backend.pushChallenge(userID: device.userID)
            let id = push.challengeID
            let result = try await cliResults.stdout.waitForLine(containing: "cli \(id) exit=")
            let cliStatus = Int(result.components(separatedBy: "exit=").last ?? "") ?? -1
            let cliErrors = (try? String(contentsOfFile: home.runtime + "/cli-\(id).err", encoding: .utf8)) ?? ""
            let agentLine = try await Self.line(
                in: agent, about: id,
                containingAny: ["challenge approved", "challenge already answered", "challenge withdrawn"])
            let agentSent = agentLine.contains("challenge approved")
            #expect(cliStatus == 0 || cliStatus == 7, "round \(round): \(cliErrors)")
            // Exactly one of the two sent its answer.
            #expect(agentSent != (cliStatus == 0), "round \(round): agent \(agentLine), CLI \(cliStatus) \(cliErrors)")
            // The loser stopped here, before sending: never the server's "already answered" (409).
            if cliStatus == 7 { #expect(cliErrors.contains("nothing was sent"), "round \(round): \(cliErrors)") }
            #expect(!agent.stderr.lines.contains { $0.contains("could not send the answer") }, "round \(round)")
            #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true), "round \(round)")
            if agentSent { agentWon += 1 } else { cliWon += 1 }
        }
        // Even rounds the CLI answered first: the agent saw its claim and sent nothing.
        #expect(cliWon >= 25)
        print("one answer per challenge: agent won \(agentWon), devicecred won \(cliWon) of 50")
        agent.stop()
        cliResults.stop()
    }

    /// The first line of the agent's log about challenge `id` that contains one of `texts`.
    static func line(in agent: RunningProcess, about id: String, containingAny texts: [String]) async throws -> String {
        var from = 0
        while true {
            _ = try await agent.stderr.waitForLine(containing: id, from: from)
            let lines = agent.stderr.lines
            for index in from..<lines.count where lines[index].contains(id) {
                if texts.contains(where: { lines[index].contains($0) }) { return lines[index] }
            }
            from = lines.count
        }
    }
}
