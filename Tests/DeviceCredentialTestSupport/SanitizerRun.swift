import Foundation

/// Which sanitizer the suite runs under: `make test-sanitizers` (Tests/scripts/test-sanitized.sh) says so
/// in DEVICECRED_SANITIZER. Tests that measure memory skip themselves then: a sanitizer's allocator keeps
/// freed memory in quarantine and its shadow pages count as the process's own.
public enum SanitizerRun {
    public static var kind: String? { ProcessInfo.processInfo.environment["DEVICECRED_SANITIZER"] }
    public static var isActive: Bool { kind != nil }
}
