internal import CDeviceCredentialQRencode

/// A QR code as an SVG image, drawn by libqrencode: the hosted page shows a QR-code challenge's id this way,
/// for a phone or `zbarcam --raw | devicecred claim -` to read.
enum QRCodeImage {
    /// The SVG of `text` (byte mode, error correction M, the standard four-module quiet zone), one square per
    /// dark module; nil when libqrencode cannot encode it (longer than a QR code holds).
    static func svg(for text: String, moduleSize: Int = 6) -> String? {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quietZone = 4
        let side = (width + 2 * quietZone) * moduleSize
        var squares = ""
        for row in 0..<width {
            for column in 0..<width where code.pointee.data[row * width + column] & 1 == 1 {
                // The least significant bit of each byte is the module's colour (1 is dark).
                squares += "M\((column + quietZone) * moduleSize) \((row + quietZone) * moduleSize)"
                squares += "h\(moduleSize)v\(moduleSize)h-\(moduleSize)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(side) \(side)" \
            role="img" aria-label="QR code of the challenge id" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(squares)"/></svg>
            """
    }
}
