// One loopback GET through Foundation's URLSession, then the process's peak RSS: what the library
// would cost with URLSession instead of libcurl, measured by `make bench`.
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

let url = URL(string: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "http://127.0.0.1:8787/v1")!
let (_, response) = try await URLSession.shared.data(from: url)
let status = (response as? HTTPURLResponse)?.statusCode ?? 0

/// `VmHWM` (peak resident set) from /proc/self/status, in kB.
func peakResidentKilobytes() -> String {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return line.split(separator: " ").dropFirst().first.map(String.init) ?? "0"
}

print("\(peakResidentKilobytes()) kB peak RSS, HTTP \(status)")
