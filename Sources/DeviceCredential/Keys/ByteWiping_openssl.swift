internal import CDeviceCredentialOpenSSL

extension Array where Element == UInt8 {
    /// Overwrites the bytes with zeros in a way the optimiser keeps (`OPENSSL_cleanse`), for a buffer that
    /// held a secret (a PIN, a token, key text) before it is released. Best effort: copies the array made
    /// when it grew, and Strings made from it, are not reached.
    public mutating func wipe() {
        withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }
}
