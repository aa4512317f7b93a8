import DeviceCredential
import Foundation
import HTTPTypes

/// The library's figures: signing speed next to `openssl speed`, key-store latency, and the device's
/// getChallenge round trip against the local server.
enum LibraryBenchmarks {
    static func run(server: BenchServer) async throws -> [BenchmarkResult] {
        var results: [BenchmarkResult] = []
        results += try signing()
        results += try keyStores()
        results += try await challengeRoundTrip(server: server)
        results += transportProbes(server: server)
        return results
    }

    // MARK: Signing

    /// Software-key signatures per second (SHA-256 + ECDSA + DER, as the client signs), next to
    /// `openssl speed -seconds 3 ecdsap256` run in the same invocation.
    static func signing() throws -> [BenchmarkResult] {
        let key = try SoftwareSigningKey()
        let message = Array("3f1c2b7e-0d7a-4b8e-9a51-5d2f1b0c9e44".utf8)
        let clock = ContinuousClock()
        var count = 0
        let start = clock.now
        while clock.now - start < .seconds(3) {
            for _ in 0..<100 { _ = try key.signature(for: message) }
            count += 100
        }
        let perSecond = Double(count) / seconds(clock.now - start)
        var note = "openssl speed unavailable"
        if let reference = opensslSignaturesPerSecond() {
            note = String(format: "openssl speed ecdsap256: %.0f sign/s, ratio %.2f", reference, perSecond / reference)
        }
        return [
            BenchmarkResult(
                name: "library: P-256 signatures (software key)", value: perSecond, unit: "sign/s", note: note)
        ]
    }

    /// Parses the `sign/s` column of `openssl speed -seconds 3 ecdsap256`.
    private static func opensslSignaturesPerSecond() -> Double? {
        guard let output = try? run("/usr/bin/openssl", ["speed", "-seconds", "3", "ecdsap256"]) else { return nil }
        for line in output.split(separator: "\n") where line.contains("(nistp256)") {
            let fields = line.split(separator: " ")
            if fields.count >= 8 { return Double(fields[fields.count - 2]) }
        }
        return nil
    }

    // MARK: Key stores

    /// Store and lookup latency of the Secret Service (when a session bus is set) and the file store.
    static func keyStores() throws -> [BenchmarkResult] {
        var results: [BenchmarkResult] = []
        let material = try SoftwareSigningKey().keyMaterial()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("devicecred-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var stores: [(String, any KeyStore)] = [("file store", FileKeyStore(directory: directory.path))]
        if ProcessInfo.processInfo.environment["DBUS_SESSION_BUS_ADDRESS"] != nil {
            stores.insert(("Secret Service (gnome-keyring)", SecretServiceKeyStore()), at: 0)
        } else {
            results.append(
                BenchmarkResult(
                    name: "library: Secret Service latency", value: .nan, unit: "ms",
                    note: "skipped: DBUS_SESSION_BUS_ADDRESS is not set"))
        }
        for (name, store) in stores {
            let item = KeyStoreItem(
                profile: "bench-\(getpid())", tenantID: "bench", apiURL: "https://api.authsignal.com/v1",
                namespace: .push)
            var storing = LatencySample()
            var loading = LatencySample()
            for _ in 0..<50 {
                storing.record(try milliseconds { try store.storeKey(material, for: item) })
            }
            for _ in 0..<200 {
                loading.record(try milliseconds { _ = try store.loadKey(profile: item.profile) })
            }
            try store.deleteKey(profile: item.profile)
            results.append(
                BenchmarkResult(
                    name: "library: \(name) store", value: storing.percentile(50), unit: "ms p50",
                    note: String(format: "p99 %.2f ms, 50 stores", storing.percentile(99))))
            results.append(
                BenchmarkResult(
                    name: "library: \(name) lookup", value: loading.percentile(50), unit: "ms p50",
                    note: String(format: "p99 %.2f ms, 200 lookups", loading.percentile(99))))
        }
        return results
    }

    // MARK: getChallenge

    /// The agent's steady state: getChallenge with nothing pending (nonce, signature, GET) over loopback.
    static func challengeRoundTrip(server: BenchServer) async throws -> [BenchmarkResult] {
        let profile = try DeviceProfile(
            name: "bench", apiURL: server.baseURL, tenantID: server.tenantID, keyStore: .memory)
        let client = try DeviceCredentialClient(profile: profile, keyStore: InMemoryKeyStore())
        let token = try await trackToken(server: server, userID: "bench-\(UUID().uuidString)")
        _ = try await client.addCredential(token: token)
        let clock = ContinuousClock()
        for _ in 0..<20 { _ = try await client.getChallenge() }  // warm the connection pool
        var sample = LatencySample()
        for _ in 0..<300 {
            let start = clock.now
            _ = try await client.getChallenge()
            sample.record(seconds(clock.now - start) * 1000)
        }
        return [
            BenchmarkResult(
                name: "library: getChallenge round trip (loopback)", value: sample.percentile(50), unit: "ms p50",
                note: String(format: "p99 %.2f ms, 300 calls, 2 requests + 1 signature each", sample.percentile(99)))
        ]
    }

    private static func trackToken(server: BenchServer, userID: String) async throws -> String {
        let auth = "Basic " + Data((server.secretKey + ":").utf8).base64EncodedString()
        guard let url = URL(string: server.baseURL + "/users/\(userID)/actions/enroll") else {
            throw BenchmarkFailure(message: "the server's URL is not a URL")
        }
        let (response, answer) = try await CurlTransport().send(
            HTTPRequest(
                method: .post, url: url, headerFields: [.authorization: auth, .contentType: "application/json"]),
            body: Data("{}".utf8))
        let body = try JSONSerialization.jsonObject(with: answer) as? [String: Any]
        guard response.status == .ok, let token = body?["token"] as? String else {
            throw BenchmarkFailure(message: "track answered \(response.status.code)")
        }
        return token
    }

    // MARK: Transport memory

    /// Peak RSS of one loopback GET through each transport, from the probe executables built next to this one.
    static func transportProbes(server: BenchServer) -> [BenchmarkResult] {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let url = server.baseURL + "/client/user-authenticators/push?publicKey=probe"
        var results: [BenchmarkResult] = []
        for (probe, name) in [("transport-probe-curl", "libcurl"), ("transport-probe-urlsession", "URLSession")] {
            let path = directory.appendingPathComponent(probe).path
            guard FileManager.default.isExecutableFile(atPath: path),
                let output = try? run(path, [url]),
                let kilobytes = Double(output.split(separator: " ").first ?? "")
            else {
                results.append(
                    BenchmarkResult(
                        name: "transport: peak RSS, one GET (\(name))", value: .nan, unit: "MB",
                        note: "probe \(probe) not built or failed"))
                continue
            }
            results.append(
                BenchmarkResult(
                    name: "transport: peak RSS, one GET (\(name))", value: kilobytes / 1024, unit: "MB",
                    note: "\(probe): " + output.split(separator: "\n").joined(separator: " ")))
        }
        return results
    }

    // MARK: Helpers

    private static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return seconds(clock.now - start) * 1000
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) / 1e18
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        // The child inherits this thread's signal mask, and concurrency threads block signals: `openssl
        // speed` then never sees its SIGALRM and never stops. Spawn with nothing blocked.
        var nothing = sigset_t()
        var previous = sigset_t()
        sigemptyset(&nothing)
        pthread_sigmask(SIG_SETMASK, &nothing, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
        // A stuck child must not stall the whole benchmark run.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { kill(pid, SIGKILL) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
