/// One measured figure, printed as a row of the benchmark report.
struct BenchmarkResult: Sendable {
    var name: String
    var value: Double
    var unit: String
    /// What the figure was measured next to, or how (e.g. "openssl speed: 41000 sign/s, ratio 0.93").
    var note: String = ""
}

/// Percentiles over a sample of durations, in the unit the caller recorded them in.
struct LatencySample: Sendable {
    private(set) var values: [Double] = []

    mutating func record(_ value: Double) { values.append(value) }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// Where a benchmark finds the local server: started in-process by main.swift on a free loopback port.
struct BenchServer: Sendable {
    var baseURL: String
    var tenantID: String
    var secretKey: String
}
