/// What a test helper throws when a service it starts or calls does not do its part: the message says
/// what failed and, where it can, how to run the tests so it works.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
