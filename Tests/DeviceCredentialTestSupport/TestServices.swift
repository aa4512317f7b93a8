import Foundation

/// The shared services Tests/scripts/with-services.sh starts and exports. A missing variable is an error
/// that says how to run the tests; nothing is skipped.
public enum TestServices {
    public static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSupportError(
                """
                \(name) is not set: run the tests inside the services, e.g. `make test`, or
                swift build --build-tests && Tests/scripts/with-services.sh --server .build/debug/devicecred-server \
                -- swift test --skip-build
                """)
        }
        return value
    }

    /// The shared devicecred-server, as its backend and a browser talk to it.
    public static func server() throws -> ServerAPI {
        ServerAPI(
            apiURL: try variable("DEVICECRED_TEST_API_URL"), tenantID: try variable("DEVICECRED_TEST_TENANT_ID"),
            secretKey: try variable("DEVICECRED_TEST_SECRET_KEY"))
    }
}
