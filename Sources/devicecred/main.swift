import DeviceCredentialCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

exit(await DevicecredTool.main(arguments: Array(CommandLine.arguments.dropFirst())))
