import DeviceCredentialServer
import Foundation
import Hummingbird
import Logging

// `make bench`: every figure the README quotes, measured in one release run on this machine.
// Usage: devicecred-bench [server] [library] [agent] [memory] [tpm]   (default: all groups)

let groups = Set(CommandLine.arguments.dropFirst())
func wanted(_ group: String) -> Bool { groups.isEmpty || groups.contains(group) }

/// Starts devicecred-server in this process on a free loopback port, runs `body`, then stops it.
func withLocalServer(_ body: @Sendable @escaping (BenchServer) async throws -> Void) async throws {
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.logLevel = .error
    let (listening, announce) = AsyncStream.makeStream(of: Int.self)
    configuration.onListening = { _, port in announce.yield(port) }
    let application = try await buildApplication(configuration)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await application.runService() }
        var ports = listening.makeAsyncIterator()
        guard let port = await ports.next() else { return }
        try await body(
            BenchServer(
                baseURL: configuration.baseURL(port: port), tenantID: configuration.tenantId,
                secretKey: configuration.secretKey))
        group.cancelAll()
    }
}

var results: [(group: String, result: BenchmarkResult)] = []
@MainActor func record(_ group: String, _ figures: [BenchmarkResult]) {
    for figure in figures {
        results.append((group, figure))
        print("\(group): \(figure.name) = \(String(format: "%.3f", figure.value)) \(figure.unit) \(figure.note)")
    }
}

if wanted("server") { record("server", try await ServerBenchmarks.run()) }
let collected = ResultBox()
try await withLocalServer { server in
    if wanted("library") { collected.append("library", try await LibraryBenchmarks.run(server: server)) }
    if wanted("agent") { collected.append("agent", try await AgentBenchmarks.run(server: server)) }
    if wanted("memory") { collected.append("memory", try await MemoryBenchmarks.run(server: server)) }
}
for (group, figures) in collected.all { record(group, figures) }
if wanted("tpm") { record("tpm", try await TPMBenchmarks.run()) }

print("\n| group | figure | value | unit | note |\n|---|---|---|---|---|")
for (group, figure) in results {
    print("| \(group) | \(figure.name) | \(String(format: "%.2f", figure.value)) | \(figure.unit) | \(figure.note) |")
}

/// Results gathered inside the server's lifetime, read after it stopped.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(String, [BenchmarkResult])] = []
    func append(_ group: String, _ figures: [BenchmarkResult]) { lock.withLock { items.append((group, figures)) } }
    var all: [(String, [BenchmarkResult])] { lock.withLock { items } }
}
