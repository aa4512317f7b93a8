import DeviceCredential
import Foundation

/// TPM sign latency through the tpm2 provider (on swtpm under `make bench`), next to the software key's.
///
/// Each TPM signature opens a provider session, loads the wrapped key under a fresh primary key, signs
/// and closes: that whole round trip is what an approval costs, so that is what is timed.
enum TPMBenchmarks {
    static func run() async throws -> [BenchmarkResult] {
        let message = Array("a challenge id to sign: 6f1c2a9e-2b7d-4a51-9f0e-3c1d2e4f5a6b".utf8)
        let tpmKey: any DeviceSigningKey
        do {
            tpmKey = try TPMKeyFactory().generateKey()
        } catch let error as DeviceCredentialError {
            return [BenchmarkResult(name: "tpm sign", value: .nan, unit: "ms", note: "not measured: \(error)")]
        }

        let software = try SoftwareSigningKey()
        let softwareSample = try sample(count: 2000) { _ = try software.signature(for: message) }
        _ = try tpmKey.signature(for: message)
        let residentBefore = residentMegabytes()
        let tpmSample = try sample(count: 200) {
            let signature = try tpmKey.signature(for: message)
            precondition(tpmKey.publicKey.isValidSignature(signature, for: message), "a TPM signature did not verify")
        }
        let residentGrowth = residentMegabytes() - residentBefore
        let pinKey = try TPMKeyFactory(newKeysRequirePIN: true, pinProvider: { _ in "246810" }).generateKey()
        let pinSample = try sample(count: 100) { _ = try pinKey.signature(for: message) }
        let generateSample = try sample(count: 20) { _ = try TPMKeyFactory().generateKey() }

        let ratio = tpmSample.percentile(50) / softwareSample.percentile(50)
        return [
            BenchmarkResult(
                name: "software sign p50", value: softwareSample.percentile(50), unit: "ms", note: "2000 signatures"),
            BenchmarkResult(name: "software sign p99", value: softwareSample.percentile(99), unit: "ms"),
            BenchmarkResult(
                name: "tpm sign p50", value: tpmSample.percentile(50), unit: "ms",
                note: "200 signatures, \(Int(ratio.rounded()))x the software key"),
            BenchmarkResult(name: "tpm sign p99", value: tpmSample.percentile(99), unit: "ms"),
            BenchmarkResult(
                name: "tpm sign resident growth", value: residentGrowth, unit: "MB",
                note: "over the 200 signatures (a provider session is opened and freed for each)"),
            BenchmarkResult(
                name: "tpm sign with PIN p50", value: pinSample.percentile(50), unit: "ms", note: "100 signatures"),
            BenchmarkResult(name: "tpm sign with PIN p99", value: pinSample.percentile(99), unit: "ms"),
            BenchmarkResult(
                name: "tpm key generation p50", value: generateSample.percentile(50), unit: "ms", note: "20 keys"),
        ]
    }

    /// This process's resident set size, from /proc/self/statm.
    private static func residentMegabytes() -> Double {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return .nan }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// Times `count` runs of `body`, in milliseconds.
    private static func sample(count: Int, _ body: () throws -> Void) throws -> LatencySample {
        var sample = LatencySample()
        let clock = ContinuousClock()
        for _ in 0..<count {
            let elapsed = try clock.measure(body)
            sample.record(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
        }
        return sample
    }
}
