import DeviceCredential

/// One line of `devicecred doctor`: what was checked, how it went, what was found, and what fixes it.
struct DoctorCheck: Sendable, Equatable {
    /// How a check went. Only ``fail`` makes doctor exit non-zero.
    enum Status: String, Sendable {
        /// Works.
        case ok = "OK"
        /// Nothing to judge (e.g. no TPM on a machine whose profiles do not use one).
        case info = "INFO"
        /// Works, but something will get in the way sooner or later.
        case warn = "WARN"
        /// Will stop a prompt from appearing or a challenge from being answered.
        case fail = "FAIL"
    }

    var name: String
    var status: Status
    /// What was found; outside text (server messages, log lines) already through ``DisplayText/terminal(_:)``.
    var detail: String
    /// The command or setting that fixes it; nil when OK.
    var fix: String?

    static func ok(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .ok, detail: detail, fix: nil)
    }

    static func info(_ name: String, _ detail: String, fix: String? = nil) -> DoctorCheck {
        DoctorCheck(name: name, status: .info, detail: detail, fix: fix)
    }

    static func warn(_ name: String, _ detail: String, fix: String?) -> DoctorCheck {
        DoctorCheck(name: name, status: .warn, detail: detail, fix: fix)
    }

    static func fail(_ name: String, _ detail: String, fix: String?) -> DoctorCheck {
        DoctorCheck(name: name, status: .fail, detail: detail, fix: fix)
    }
}
