#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One answer per challenge from this machine: whoever answers a challenge (the agent, `devicecred
/// approve` or `deny`, an app using the library) first takes its claim, a file under
/// `$XDG_RUNTIME_DIR/devicecred/answers/` locked with `flock` while the answer is signed and sent and
/// marked once the server took it (or said it was answered). A second answerer finds the lock held or
/// the mark and sends nothing: ``DeviceCredentialError/Code/alreadyAnswered``.
///
/// A process that dies mid-answer leaves the file unmarked and its lock goes with it, so the challenge
/// can still be answered. Claims older than a day are removed when a new one is taken; the runtime
/// directory itself goes at logout. Without `XDG_RUNTIME_DIR` there is no claim (the server still
/// takes one answer only).
final class AnswerClaim {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)  // releases the lock
    }

    /// The claim of `challengeId` for `profile`, or nil without a runtime directory. Throws
    /// `already_answered` when another answer holds it or was sent.
    static func take(profile: String, challengeId: String, in directory: String? = directory()) throws
        -> AnswerClaim?
    {
        guard let directory else { return nil }
        try FileSystem.createPrivateDirectory(directory)
        removeOld(in: directory)
        let path = directory + "/" + fileName(profile: profile, challengeId: challengeId)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw FileSystem.error("cannot open the answer claim \(path)") }
        let claim = AnswerClaim(descriptor: descriptor)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            guard errno == EWOULDBLOCK else { throw FileSystem.error("cannot lock the answer claim \(path)") }
            // Held, but perhaps marked already: its sender has not let go yet, or a process another thread
            // was starting at that moment holds a copy of the descriptor until it execs.
            throw alreadyAnswered(challengeId, claim.isMarked ? wasAnswered : isBeingAnswered)
        }
        if claim.isMarked { throw alreadyAnswered(challengeId, wasAnswered) }
        return claim
    }

    private static let wasAnswered = "was already answered on this machine (by the agent or devicecred)"
    private static let isBeingAnswered = "is being answered on this machine (by the agent or devicecred)"

    /// Whether an answer was sent under this claim (``markAnswered()``).
    private var isMarked: Bool {
        var mark: UInt8 = 0
        return pread(descriptor, &mark, 1, 0) == 1
    }

    /// `$XDG_RUNTIME_DIR/devicecred/answers`, or nil without a runtime directory.
    static func directory() -> String? {
        guard let raw = getenv("XDG_RUNTIME_DIR"), raw.pointee == UInt8(ascii: "/") else { return nil }
        return String(cString: raw) + "/devicecred/answers"
    }

    /// The answer reached the server (or the server says the challenge was answered): later answerers stop here.
    func markAnswered() {
        var mark = UInt8(ascii: "a")
        _ = pwrite(descriptor, &mark, 1, 0)
    }

    static func alreadyAnswered(_ challengeId: String, _ what: String) -> DeviceCredentialError {
        DeviceCredentialError(
            code: .alreadyAnswered, message: "challenge \(DisplayText.terminal(challengeId, limit: 80)) \(what)")
    }

    /// `<profile>.<challenge id>`, every byte of the id outside `[A-Za-z0-9._-]` written `%XX`.
    static func fileName(profile: String, challengeId: String) -> String {
        var name = profile + "."
        for byte in challengeId.utf8.prefix(200) {
            let isSafe =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || (byte == 0x2E && name.last != ".")
            if isSafe {
                name.append(Character(Unicode.Scalar(byte)))
            } else {
                let hex = Array("0123456789ABCDEF")
                name += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0F)])
            }
        }
        return name
    }

    /// Removes claims last touched more than a day ago: no challenge lives that long.
    private static func removeOld(in directory: String) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        let oldest = time(nil) - 86_400
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            var info = stat()
            let path = directory + "/" + name
            if lstat(path, &info) == 0, info.st_mtim.tv_sec < oldest { unlink(path) }
        }
    }
}
