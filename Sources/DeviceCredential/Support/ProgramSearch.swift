#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one PATH search, for the agent (pinentry, zenity, kdialog) and the CLI (doctor's helpers).
package enum ProgramSearch {
    /// `program` itself when it contains a slash and is executable, else the first executable of that
    /// name in `path`'s directories (`/usr/local/bin:/usr/bin:/bin` when there is no PATH); nil when none is.
    package static func locate(_ program: String, path: String? = currentPath()) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        return directories.map { $0 + "/" + program }.first { access($0, X_OK) == 0 }
    }

    /// The process's PATH; nil when unset or empty.
    package static func currentPath() -> String? {
        guard let raw = getenv("PATH"), raw.pointee != 0 else { return nil }
        return String(cString: raw)
    }
}
