/// A TSS2 response code (TPM 2.0 part 2, `TPM_RC`, plus the TSS's layer byte), as the tpm2 provider
/// reports it at the start of an OpenSSL error's data.
struct TPMResponseCode: Hashable, Sendable {
    let rawValue: UInt32

    /// What a caller can do about a response code.
    enum Meaning: Equatable {
        /// TPM_RC_LOCKOUT: dictionary-attack lockout.
        case lockout
        /// TPM_RC_AUTH_FAIL (counts towards lockout) or TPM_RC_BAD_AUTH: the PIN was wrong.
        case authorizationFailed
        /// An error of the TSS transport layer (TCTI): the TPM could not be reached.
        case transportFailed
        case other
    }

    init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The first code found at the start of one of `errorData` ("2446 tpm:session(1):...").
    init?(firstIn errorData: [String?]) {
        for data in errorData {
            guard let data, let number = data.split(separator: " ").first.flatMap({ UInt32($0) }) else { continue }
            self.init(rawValue: number)
            return
        }
        return nil
    }

    private static let tctiLayer: UInt32 = 10
    private static let lockout: UInt32 = 0x921
    private static let formatOne: UInt32 = 0x080
    private static let authFail: UInt32 = 0x00E
    private static let badAuth: UInt32 = 0x022

    var meaning: Meaning {
        if rawValue >> 16 == Self.tctiLayer { return .transportFailed }
        guard rawValue >> 16 == 0 else { return .other }
        if rawValue == Self.lockout { return .lockout }
        // Format-one codes carry the failing session or parameter in bits 8-11; the error is bits 0-5.
        if rawValue & Self.formatOne != 0, [Self.authFail, Self.badAuth].contains(rawValue & 0x3F) {
            return .authorizationFailed
        }
        return .other
    }
}
