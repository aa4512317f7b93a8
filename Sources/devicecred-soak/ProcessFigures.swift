import Foundation

/// What /proc says about a process: resident memory, open descriptors, threads.
enum ProcessFigures {
    static func residentKilobytes(of pid: Int32) -> Int? { status("VmRSS", of: pid) }

    static func descriptors(of pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// Its threads, and how many of them are libdispatch workers waiting for work: the pool keeps an idle
    /// worker a while (about a minute) after a busy moment, so only the others say whether threads leak.
    /// A waiting worker sleeps in `futex` on a semaphore inside libdispatch itself. `others` says what each
    /// of the others is doing, for a message when the counts differ.
    static func threads(of pid: Int32) -> (all: Int, idleWorkers: Int, others: [String])? {
        let tasks = "/proc/\(pid)/task"
        guard let ids = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return nil }
        let dispatch = mappings(of: pid, containing: "libdispatch")
        var idle = 0
        var others: [String] = []
        for id in ids {
            let call = wholeFile("\(tasks)/\(id)/syscall")
            let fields = call.split(separator: " ")
            if fields.first == "202", fields.count > 1, let address = UInt(fields[1].dropFirst(2), radix: 16),
                dispatch.contains(where: { $0.contains(address) })
            {
                idle += 1
            } else {
                others.append(describeThread("\(tasks)/\(id)", syscall: fields.first.map(String.init) ?? "?"))
            }
        }
        return (ids.count, idle, others.sorted())
    }

    /// "name (syscall N, in KERNEL-FUNCTION)": where a thread that is not an idle worker waits.
    private static func describeThread(_ directory: String, syscall: String) -> String {
        let name = wholeFile(directory + "/comm").trimmingCharacters(in: .whitespacesAndNewlines)
        let wchan = wholeFile(directory + "/wchan")
        return "\(name) (syscall \(syscall)" + (wchan.isEmpty || wchan == "0" ? ")" : ", in \(wchan))")
    }

    /// Its descriptors that are one end of a socket pair whose other end it holds too: libcurl's wakeup
    /// pair of each easy handle, which the library pools (at most four idle handles per transport). `ss`
    /// knows each unix socket's peer.
    static func socketPairEnds(of pid: Int32) -> Int {
        let ss = Process()
        ss.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ss.arguments = ["ss", "-xpnH"]
        let pipe = Pipe()
        ss.standardOutput = pipe
        ss.standardError = FileHandle.nullDevice
        guard (try? ss.run()) != nil else { return 0 }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ss.waitUntilExit()
        // Netid State Recv-Q Send-Q Local Port Peer Port users:(("name",pid=P,fd=F)...)
        let ends = output.split(separator: "\n").filter { $0.contains("pid=\(pid),") }.compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count > 7 ? (local: fields[5], peer: fields[7]) : nil
        }
        let locals = Set(ends.map(\.local))
        return ends.filter { locals.contains($0.peer) }.count
    }

    /// What each open descriptor is (`socket:[...]`, a path), for a message when the counts differ.
    static func descriptorTargets(of pid: Int32) -> [String] {
        let directory = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.map {
            "\($0) -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)) ?? "?")
        }
    }

    /// The address ranges of its mappings of files whose path contains `name`, each with the anonymous
    /// mapping right after it (a library's zero-filled data, where its static variables live).
    private static func mappings(of pid: Int32, containing name: String) -> [ClosedRange<UInt>] {
        let maps = wholeFile("/proc/\(pid)/maps")
        var ranges: [ClosedRange<UInt>] = []
        var previousMatched = false
        for line in maps.split(separator: "\n") {
            let isAnonymous = line.split(separator: " ", omittingEmptySubsequences: true).count < 6
            let matches = line.contains(name) || (previousMatched && isAnonymous)
            previousMatched = line.contains(name)
            guard matches else { continue }
            let bounds = line.prefix { $0 != " " }.split(separator: "-")
            guard bounds.count == 2, let low = UInt(bounds[0], radix: 16), let high = UInt(bounds[1], radix: 16),
                low < high
            else { continue }
            ranges.append(low...(high - 1))
        }
        return ranges
    }

    /// All of a /proc file: Foundation reads as much as a stat says, and /proc files say nothing.
    private static func wholeFile(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// A numeric field of /proc/PID/status (kB for memory).
    private static func status(_ field: String, of pid: Int32) -> Int? {
        let text = wholeFile("/proc/\(pid)/status")
        guard
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
        else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { Int($0) }
    }
}
