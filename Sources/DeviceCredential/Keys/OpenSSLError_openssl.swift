internal import CDeviceCredentialOpenSSL

extension DeviceCredentialError {
    /// Drains the calling thread's OpenSSL error queue into one error. The one place OpenSSL errors are read.
    static func openSSL(_ what: String, code: Code = .cryptoFailure) -> DeviceCredentialError {
        var reasons: [String] = []
        while case let error = ERR_get_error(), error != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(error, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let detail = reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))"
        return DeviceCredentialError(code: code, message: what + detail)
    }
}
