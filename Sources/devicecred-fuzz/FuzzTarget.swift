/// One libFuzzer target: a name for `devicecred-fuzz NAME`, and what it does with one input. The body may
/// throw (a clear error is the parser's right answer to garbage); a trap, a sanitizer report, a hang or
/// an out-of-memory is what the fuzzer looks for.
struct FuzzTarget: Sendable {
    let name: String
    /// What it reads, for `devicecred-fuzz --list`.
    let summary: String
    let body: @Sendable ([UInt8]) throws -> Void

    /// Every target, in the order `make fuzz` runs them.
    static let all: [FuzzTarget] =
        LibraryTargets.all + AgentTargets.all + CommandLineTargets.all + ServerTargets.all

    static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}
