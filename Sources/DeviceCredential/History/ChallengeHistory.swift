public import FoundationEssentials

/// The history of answers: one JSON line per challenge outcome in `$XDG_STATE_HOME/devicecred/history.jsonl`
/// (default `~/.local/state/devicecred/history.jsonl`), mode 0600 in a 0700 directory.
///
/// Bounded: once a line would take the file past ``maximumBytes`` (1 MiB by default, some 4000 entries),
/// it is renamed to `history.jsonl.1` (replacing the one before) and a new file started, so the two
/// together never hold much more than twice the bound.
///
/// Safe when the CLI and the agent append at once: each line is one `write` on a descriptor opened with
/// `O_APPEND`, under a shared `flock` of the directory; the rotation takes the lock exclusively, so no
/// line is written to a file while it is being renamed. Reading skips (and counts) a line that does not
/// parse, e.g. one torn by a full disk.
public struct ChallengeHistory: Sendable {
    /// The default size bound of `history.jsonl`: 1 MiB.
    public static let defaultMaximumBytes = 1 << 20
    /// The file's name in ``directory``.
    public static let fileName = "history.jsonl"

    /// The directory holding the history (created 0700 on the first append).
    public var directory: String
    /// Past this size the file is rotated.
    public var maximumBytes: Int

    /// The current file.
    public var path: String { directory + "/" + Self.fileName }
    /// The file rotated out, older entries.
    public var rotatedPath: String { path + ".1" }

    /// A history in `directory`.
    public init(directory: String, maximumBytes: Int = defaultMaximumBytes) {
        self.directory = directory
        self.maximumBytes = max(maximumBytes, 1)
    }

    /// The user's history, in `$XDG_STATE_HOME/devicecred`.
    public static func standard() throws -> ChallengeHistory {
        ChallengeHistory(directory: try XDGDirectories.current().stateHome + "/devicecred")
    }

    /// Appends `entry` as one line. Throws `history_failure` when the file cannot be written.
    public func append(_ entry: HistoryEntry) throws {
        try FileSystem.createPrivateDirectory(directory)
        let line = try Self.line(for: entry)
        let lock = try HistoryLock(directory: directory)
        defer { lock.release() }
        try lock.acquire(exclusive: false)
        var file = try HistoryFile(path: path)
        if file.size > 0, file.size + line.count > maximumBytes {
            // Taken again exclusively (flock may let another writer in between): check again under it.
            file.close()
            try lock.acquire(exclusive: true)
            file = try HistoryFile(path: path)
            if file.size > 0, file.size + line.count > maximumBytes {
                file.close()
                try HistoryFile.rotate(path, to: rotatedPath)
                file = try HistoryFile(path: path)
            }
        }
        defer { file.close() }
        try file.write(line)
    }

    /// What reading the history found.
    public struct Reading: Sendable {
        /// The entries, oldest first.
        public var entries: [HistoryEntry]
        /// Lines that did not parse (torn or edited by hand), skipped.
        public var skippedLines: Int
    }

    /// Reads the rotated file and the current one, oldest first; no history reads as empty.
    public func read() throws -> Reading {
        var reading = Reading(entries: [], skippedLines: 0)
        guard HistoryFile.exists(directory) else { return reading }
        let lock = try HistoryLock(directory: directory)
        defer { lock.release() }
        try lock.acquire(exclusive: false)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for file in [rotatedPath, path] {
            guard let bytes = try HistoryFile.contents(of: file) else { continue }
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
                if let entry = try? decoder.decode(HistoryEntry.self, from: Data(line)) {
                    reading.entries.append(entry)
                } else {
                    reading.skippedLines += 1
                }
            }
        }
        return reading
    }

    /// The JSON line of `entry`, newline included: JSON escapes every control character, and
    /// `DisplayText.json` the C1 controls and line separators, so a value can never end the line.
    static func line(for entry: HistoryEntry) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do {
            data = try encoder.encode(entry)
        } catch {
            throw DeviceCredentialError(code: .historyFailure, message: "cannot encode a history entry: \(error)")
        }
        return Array(DisplayText.json(String(decoding: data, as: UTF8.self)).utf8) + [0x0A]
    }
}
