import DeviceCredentialTestSupport
import Foundation
import Testing

/// The short form of `make soak` (issue 15): the same harness, devicecred-soak, for 500 polls. The agent
/// binary polls a server of the soak's own through its fault proxy, which flaps through every fault kind,
/// while challenges are created and some answered elsewhere; the soak exits 1 when a challenge was shown
/// twice, answered twice or missed, or when the agent has more descriptors or threads at the end than at the start.
@Suite("soak, short form")
struct SoakTests {
    @Test("500 polls through a flapping fault proxy: every invariant holds")
    func shortSoak() async throws {
        let run = try await ChildProcess.run(
            try TestBinaries.path("devicecred-soak"), ["--polls", "500"], timeout: .seconds(600))
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        let summary = run.output
        #expect(summary.contains("soak: passed"), "\(summary)")
        // It really soaked: the polls, every fault kind, challenges shown and answered elsewhere.
        let polls = Self.number(after: "devicecred-soak: ", in: summary)
        #expect((polls ?? 0) >= 500, "\(summary)")
        for fault in ["connection refused", "500", "429 Retry-After", "slow drip", "garbage", "reset mid-body"] {
            let periods = summary.split(separator: "\n").first { $0.hasPrefix("    " + fault + " ") }
                .flatMap { Self.number(after: fault, in: String($0)) }
            #expect((periods ?? 0) > 0, "no \(fault) period: \(summary)")
        }
        #expect((Self.number(after: "created, ", in: summary) ?? 0) > 0, "nothing shown: \(summary)")
    }

    /// The first number after `marker` in `text`.
    private static func number(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        let digits = text[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits)
    }
}
