import DeviceCredentialCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// A reader that goes away (`devicecred challenge --json | head -c 1`) ends the output, not the process
// with a signal: writes then fail with EPIPE and the documented exit status still comes out.
signal(SIGPIPE, SIG_IGN)
exit(await DevicecredCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
