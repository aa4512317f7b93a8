// swift-tools-version:6.2
// DeviceCredential: push-authentication device credentials for Linux, and a local
// Authsignal-compatible server to run the whole flow on one machine.
import PackageDescription

// Swift 6 everywhere; existentials spelled `any`, and an import is public only where the API shows it.
let strictSwift6: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "DeviceCredential",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DeviceCredential", targets: ["DeviceCredential"]),
        .library(name: "DeviceCredentialServer", targets: ["DeviceCredentialServer"]),
        .executable(name: "devicecred", targets: ["devicecred"]),
        .executable(name: "devicecred-agent", targets: ["devicecred-agent"]),
        .executable(name: "devicecred-server", targets: ["devicecred-server"]),
        .executable(name: "devicecred-bench", targets: ["devicecred-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Without the default SubprocessFoundation trait: nothing here needs its Data conveniences.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C at the edge: system libraries, each behind one module map and shim header.
        .systemLibrary(
            name: "CDeviceCredentialOpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CDeviceCredentialSecret",
            pkgConfig: "libsecret-1",
            providers: [.apt(["libsecret-1-dev"])]
        ),
        .systemLibrary(
            name: "CDeviceCredentialGio",
            pkgConfig: "gio-2.0",
            providers: [.apt(["libglib2.0-dev"])]
        ),
        .systemLibrary(
            name: "CDeviceCredentialCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CDeviceCredentialQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),

        // The one version string, shared by the library and the server (which share nothing else).
        .target(name: "DeviceCredentialRelease", swiftSettings: strictSwift6),
        // The lock every other module's shared state is kept behind, one ThreadSanitizer can see.
        .target(name: "DeviceCredentialLocking", swiftSettings: strictSwift6),

        // The library a Linux app embeds: keys, key stores, the Authsignal device client.
        .target(
            name: "DeviceCredential",
            dependencies: [
                "DeviceCredentialRelease",
                "DeviceCredentialLocking",
                "CDeviceCredentialOpenSSL",
                "CDeviceCredentialSecret",
                "CDeviceCredentialCurl",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift6
        ),

        // The user-session agent's logic: the polling loop and the prompters (notification, terminal, command).
        .target(
            name: "DeviceCredentialAgent",
            dependencies: [
                "DeviceCredential",
                "DeviceCredentialLocking",
                "CDeviceCredentialGio",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift6
        ),
        // The CLI's commands, output formats and exit codes, in a library so tests can reach them.
        .target(
            name: "DeviceCredentialCLI",
            dependencies: [
                "DeviceCredential",
                "DeviceCredentialLocking",
                "DeviceCredentialAgent",  // doctor: the agent's lock
                "CDeviceCredentialGio",  // doctor: the notification server and the keyring over D-Bus
                .product(name: "HTTPTypes", package: "swift-http-types"),  // doctor: the Date of the answer
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "devicecred",
            dependencies: ["DeviceCredentialCLI"],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "devicecred-agent",
            dependencies: [
                "DeviceCredentialAgent",
                "CDeviceCredentialMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["systemd", "dbus"],
            swiftSettings: strictSwift6
        ),

        // The local Authsignal-compatible server. Shares no code with DeviceCredential on purpose:
        // it verifies signatures with swift-crypto so an encoding mistake on either side fails a test.
        .target(
            name: "DeviceCredentialServer",
            dependencies: [
                "CDeviceCredentialQRencode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "devicecred-server",
            dependencies: [
                "DeviceCredentialServer",
                "DeviceCredentialRelease",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift6
        ),
        // A swift-crypto device for the server tests and the benchmark (independent of DeviceCredential).
        .target(
            name: "AuthsignalTestDevice",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "devicecred-bench",
            dependencies: [
                "DeviceCredential",
                "PollMemoryProbeOutput",
                "DeviceCredentialServer",
                "AuthsignalTestDevice",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),

        // Transport memory comparison for `make bench`: one loopback GET each, then peak RSS.
        .executableTarget(
            name: "transport-probe-curl",
            dependencies: ["DeviceCredential", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "transport-probe-urlsession",
            swiftSettings: strictSwift6
        ),

        // Memory per poll for the regression tests and `make bench`: polls in a loop (the library's, or the
        // agent's), printing the exact heap in use (glibc's mallinfo2) at checkpoints.
        .systemLibrary(name: "CDeviceCredentialMalloc"),
        .target(name: "PollMemoryProbeOutput", swiftSettings: strictSwift6),
        .executableTarget(
            name: "poll-memory-probe",
            dependencies: [
                "DeviceCredential",
                "DeviceCredentialAgent",
                "CDeviceCredentialMalloc",
                "PollMemoryProbeOutput",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),

        // Appends to a history of answers in a loop, for the test of two processes appending at once.
        .executableTarget(
            name: "history-append-probe",
            dependencies: ["DeviceCredential"],
            swiftSettings: strictSwift6
        ),

        // `make soak` and its short form in the agent tests: the agent binary polling through a flapping
        // fault proxy while challenges come and go (the server, its API calls and the binaries: test support).
        .executableTarget(
            name: "devicecred-soak",
            dependencies: [
                "DeviceCredential", "DeviceCredentialTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift6
        ),

        // What the test targets share: services of a test's own (a D-Bus session with gnome-keyring, swtpm,
        // devicecred-server) and the backend's and browser's HTTP calls. A regular target, so it builds
        // without the tests and throws errors instead of using the Testing module.
        .target(
            name: "DeviceCredentialTestSupport",
            dependencies: [
                "DeviceCredential", "DeviceCredentialLocking", "CDeviceCredentialGio",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/DeviceCredentialTestSupport",
            swiftSettings: strictSwift6
        ),

        .testTarget(
            name: "DeviceCredentialServerTests",
            dependencies: [
                "DeviceCredentialServer",
                "AuthsignalTestDevice",
                "DeviceCredentialTestSupport",  // LogCapture only: the server's tests use no library code
                "DeviceCredentialLocking",
                .product(name: "GRDB", package: "GRDB.swift"),  // the crash test reads the database file itself
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "DeviceCredentialTests",
            dependencies: [
                "DeviceCredential",
                "DeviceCredentialLocking",
                "DeviceCredentialTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // Only to show an app can import both (and to have a real server send repeated fields).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "DeviceCredentialCLITests",
            dependencies: [
                "DeviceCredentialCLI", "DeviceCredential", "DeviceCredentialLocking", "DeviceCredentialTestSupport",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "DeviceCredentialAgentTests",
            dependencies: [
                "DeviceCredentialAgent",
                "DeviceCredential",
                "DeviceCredentialLocking",
                "PollMemoryProbeOutput",
                "DeviceCredentialTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strictSwift6
        ),
    ]
)

// libFuzzer targets for every parser of outside input (`make fuzz`). Only when DEVICECRED_FUZZ=1: the
// executable needs libFuzzer's driver, which `make fuzz` links into its sanitizer build and no other
// build has.
if Context.environment["DEVICECRED_FUZZ"] == "1" {
    package.targets += [
        .systemLibrary(name: "CDeviceCredentialFuzzer"),
        .executableTarget(
            name: "devicecred-fuzz",
            dependencies: [
                "CDeviceCredentialFuzzer",
                "DeviceCredential",
                "DeviceCredentialAgent",
                "DeviceCredentialCLI",
                "DeviceCredentialServer",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSwift6
        ),
    ]
    package.products += [.executable(name: "devicecred-fuzz", targets: ["devicecred-fuzz"])]
}
