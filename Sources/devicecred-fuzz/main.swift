#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// devicecred-fuzz TARGET [libFuzzer options] [corpus directories]: runs one target under libFuzzer.
// Built only by `make fuzz` (DEVICECRED_FUZZ=1), with AddressSanitizer and coverage; see Docs/reliability.md.
let arguments = CommandLine.arguments
guard arguments.count >= 2, arguments[1] != "--list", arguments[1] != "--help" else {
    print("usage: devicecred-fuzz TARGET [libFuzzer options] [corpus directory...]\n\ntargets:")
    for target in FuzzTarget.all {
        print("  " + target.name + String(repeating: " ", count: max(1, 20 - target.name.count)) + target.summary)
    }
    exit(arguments.count >= 2 ? 0 : 2)
}
guard let target = FuzzTarget.named(arguments[1]) else {
    let message = "devicecred-fuzz: no target named '\(arguments[1])'; devicecred-fuzz --list names them\n"
    _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(2)
}
exit(LibFuzzerDriver.run(target, program: arguments[0], arguments: Array(arguments.dropFirst(2))))
