import DeviceCredentialTestSupport
import Foundation
import Testing

/// The desktop entry that makes `devicecred:` links open `devicecred open`: valid by the freedesktop
/// specification, installed by the package and `make install`, and found by xdg-open like a browser finds it.
@Suite struct DesktopEntryTests {
    static let entry = TestEnvironment.packageRoot.appendingPathComponent("packaging/devicecred-open.desktop")

    @Test func desktopFileValidateAcceptsIt() async throws {
        let result = try await ProcessRunner.run(
            "/usr/bin/desktop-file-validate", [Self.entry.path], environment: ProcessInfo.processInfo.environment)
        #expect(result.status == 0, "\(result)")
        #expect(result.allOutput.isEmpty, "\(result)")
        let lines = try String(contentsOf: Self.entry, encoding: .utf8).split(separator: "\n").map(String.init)
        for line in [
            "Type=Application", "Exec=devicecred open %u", "NoDisplay=true", "MimeType=x-scheme-handler/devicecred;",
        ] {
            #expect(lines.contains(line), "\(line)")
        }
    }

    @Test func thePackageAndMakeInstallInstallIt() throws {
        let read = { (path: String) in
            try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent(path), encoding: .utf8)
        }
        #expect(
            try read("Tests/scripts/build-deb.sh").contains(
                "packaging/devicecred-open.desktop \"$root/usr/share/applications/devicecred-open.desktop\""))
        #expect(try read("Makefile").contains("$(DESTDIR)$(PREFIX)/share/applications/devicecred-open.desktop"))
    }

    /// Installed as `make install` does it (Exec made absolute) into a data directory of its own, the entry is
    /// xdg-mime's handler for the scheme, and xdg-open hands a link to `devicecred open` as one argument,
    /// which refuses this one (an unknown key) before anything else.
    @Test func xdgOpenRunsDevicecredOpenForALink() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            TestEnvironment.uniqueName("devicecred-xdg"))
        defer { try? FileManager.default.removeItem(at: root) }
        let applications = root.appendingPathComponent("data/applications")
        try FileManager.default.createDirectory(at: applications, withIntermediateDirectories: true)
        let installed = try String(contentsOf: Self.entry, encoding: .utf8).replacingOccurrences(
            of: "Exec=devicecred open", with: "Exec=\(TestEnvironment.devicecred) open")
        try installed.write(
            to: applications.appendingPathComponent("devicecred-open.desktop"), atomically: true, encoding: .utf8)
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": root.path, "XDG_DATA_HOME": root.path + "/data",
            "XDG_DATA_DIRS": root.path + "/data", "XDG_CONFIG_HOME": root.path + "/config",
            "XDG_CONFIG_DIRS": root.path + "/config",
            // xdg-open looks up scheme handlers only for a graphical session; nothing is drawn.
            "DISPLAY": ":0",
        ]
        let database = try await ProcessRunner.run(
            "/usr/bin/update-desktop-database", [applications.path], environment: environment)
        #expect(database.status == 0, "\(database)")
        let handler = try await ProcessRunner.run(
            "/usr/bin/xdg-mime", ["query", "default", "x-scheme-handler/devicecred"], environment: environment)
        #expect(handler.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "devicecred-open.desktop")

        let opened = try await ProcessRunner.run(
            "/usr/bin/xdg-open", ["devicecred:enroll?api=https%3A%2F%2Fapi.example.com%2Fv1&tenant=t&token=x&evil=1"],
            environment: environment)
        #expect(opened.stderr.contains("devicecred: the link has an unknown key 'evil'"), "\(opened)")
        // xdg-open's own status for "the handler failed".
        #expect(opened.status == 4, "\(opened)")
    }
}
