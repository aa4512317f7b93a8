import DeviceCredentialCLI
import DeviceCredentialTestSupport
import Foundation
import Testing

/// Shell completions and the man page, generated from the command tree by the script `make install` calls;
/// and the exit statuses documented where people look for them.
@Suite struct ExtrasTests {
    @Test func theScriptGeneratesCompletionsAndAManPage() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            TestEnvironment.uniqueName("devicecred-extras"))
        defer { try? FileManager.default.removeItem(at: output) }
        let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/scripts/generate-cli-extras.sh").path
        let result = try await ProcessRunner.run(
            "/bin/bash", [script, TestBinaries.directory, output.path],
            environment: ProcessInfo.processInfo.environment)
        #expect(result.status == 0, "\(result)")

        func read(_ path: String) throws -> String {
            try String(contentsOf: output.appendingPathComponent(path), encoding: .utf8)
        }
        let bash = try read("bash-completion/completions/devicecred")
        let zsh = try read("zsh/site-functions/_devicecred")
        let fish = try read("fish/vendor_completions.d/devicecred.fish")
        for script in [bash, zsh, fish] {
            for word in ["enroll", "approve", "profiles", "token-file", "key-store", "secret-service"] {
                #expect(script.contains(word), "\(word)")
            }
            #expect(!script.contains("generate-manual"))
        }
        #expect(zsh.hasPrefix("#compdef devicecred"))
        #expect(fish.contains("complete -c 'devicecred'"))
        let syntax = try await ProcessRunner.run(
            "/bin/bash", ["-n", output.appendingPathComponent("bash-completion/completions/devicecred").path],
            environment: [:])
        #expect(syntax.status == 0, "\(syntax)")

        let manual = try read("man/man1/devicecred.1")
        #expect(manual.hasPrefix(".TH DEVICECRED 1"))
        for section in ["NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"] {
            #expect(manual.contains(".SH \"\(section)\"") || manual.contains(".SH \(section)\n"), "\(section)")
        }
        for status in DevicecredExitStatus.all { #expect(manual.contains("\\fB\(status.code)\\fR\n")) }
        #expect(manual.contains("\\fB\\-\\-token\\-file\\fR \\fIpath\\fR"))
        #expect(!manual.contains("generate\\-manual"))
        // groff reads it without a warning.
        let rendered = try await ProcessRunner.run(
            "/usr/bin/groff", ["-man", "-Tutf8", "-ww", output.appendingPathComponent("man/man1/devicecred.1").path],
            environment: ProcessInfo.processInfo.environment)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stderr.isEmpty, "\(rendered.stderr)")
        #expect(rendered.stdout.hasPrefix("DEVICECRED(1)"))
    }

    @Test func docsListEveryExitStatus() throws {
        let docs = try String(
            contentsOf: TestEnvironment.packageRoot.appendingPathComponent("Docs/cli.md"), encoding: .utf8)
        for status in DevicecredExitStatus.all {
            #expect(docs.contains("| \(status.code) |"), "Docs/cli.md lists exit status \(status.code)")
        }
    }
}
