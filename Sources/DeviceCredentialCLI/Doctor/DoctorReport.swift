import DeviceCredential

/// Every check doctor ran, in order, as one line each for people or one JSON document for scripts.
struct DoctorReport: Sendable {
    var checks: [DoctorCheck]

    /// True when no check failed (warnings and notes do not count).
    var isOK: Bool { !checks.contains { $0.status == .fail } }

    /// `{"checks": [{"name", "status", "detail", "fix"}], "ok": bool}`; `fix` is null when there is none.
    var document: JSONValue {
        .object([
            "checks": .array(
                checks.map { check in
                    .object([
                        "name": .string(check.name),
                        "status": .string(check.status.rawValue),
                        "detail": .string(check.detail),
                        "fix": check.fix.map(JSONValue.string) ?? .null,
                    ])
                }),
            "ok": .bool(isOK),
        ])
    }

    /// `OK   session bus          unix:path=...`, the fix on an indented line below a check that needs one.
    var humanText: String {
        let statusWidth = 5
        let nameWidth = (checks.map(\.name.count).max() ?? 0) + 2
        var lines: [String] = []
        for check in checks {
            let status = check.status.rawValue.padding(to: statusWidth)
            lines.append(status + check.name.padding(to: nameWidth) + check.detail)
            if let fix = check.fix {
                lines.append(String(repeating: " ", count: statusWidth + nameWidth) + "fix: " + fix)
            }
        }
        let failures = checks.filter { $0.status == .fail }.count
        let warnings = checks.filter { $0.status == .warn }.count
        lines.append(
            failures == 0
                ? "no problems found" + (warnings == 0 ? "" : " (\(warnings) warning\(warnings == 1 ? "" : "s"))")
                : "\(failures) check\(failures == 1 ? "" : "s") failed")
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
