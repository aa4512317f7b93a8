// One loopback GET through the library's libcurl transport, then the process's peak RSS: the
// transport's memory cost, measured by `make bench` next to transport-probe-urlsession.
import DeviceCredential
import FoundationEssentials
import HTTPTypes

#if canImport(Glibc)
    import Glibc
#endif

let address = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "http://127.0.0.1:8787/v1"
guard let url = URL(string: address) else {
    print("not a URL: \(address)")
    exit(2)
}
let (response, _) = try await CurlTransport().send(HTTPRequest(method: .get, url: url))

/// `VmHWM` (peak resident set) from /proc/self/status, in kB.
func peakResidentKilobytes() -> String {
    guard let file = fopen("/proc/self/status", "r") else { return "0" }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") { return text.split(separator: " ").dropFirst().first.map(String.init) ?? "0" }
    }
    return "0"
}

print("\(peakResidentKilobytes()) kB peak RSS, HTTP \(response.status.code)")
