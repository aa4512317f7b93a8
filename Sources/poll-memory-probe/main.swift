// Polls one enrolled profile many times in this process and prints its memory at checkpoints, so a
// per-poll leak shows as a slope (issue 17). Used by the memory regression tests and by `make bench`.
//
// usage: poll-memory-probe library|agent PROFILE CHECKPOINT...
//   library: a loop of DeviceCredentialClient.getChallenge(), as an app embedding the library polls;
//   agent:   DeviceCredentialAgent's own loop, with a clock that starts the next poll at once.
// Prints one line per checkpoint: `polls=N heapBytes=B residentKB=K idlePolls=I`. Exits 1 on any poll
// that is not idle (a failure, or a pending challenge): only the quiet poll path is measured.
import DeviceCredential
import DeviceCredentialAgent
import Logging

#if canImport(Glibc)
    import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
let checkpoints = arguments.dropFirst(2).compactMap { Int($0) }
guard arguments.count >= 3, ["library", "agent"].contains(arguments[0]), checkpoints.count == arguments.count - 2,
    checkpoints == checkpoints.sorted(), checkpoints[0] > 0
else {
    ProbeOutput.fail("usage: poll-memory-probe library|agent PROFILE CHECKPOINT... (ascending poll counts)")
}
let profileName = arguments[1]

do {
    guard let profile = try ProfileStore.standard().profile(named: profileName) else {
        ProbeOutput.fail("no profile named \(profileName)")
    }
    if arguments[0] == "library" {
        try await LibraryLoop.run(profile: profile, checkpoints: checkpoints)
    } else {
        try await AgentLoop.run(profile: profile, checkpoints: checkpoints)
    }
} catch {
    ProbeOutput.fail("\(error)")
}
