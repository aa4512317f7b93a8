package import Foundation

/// Every request body the server reads, with the checks its route makes before touching a repository,
/// so that `devicecred-fuzz` reaches each decoder the routes use (the bodies are the controllers' own
/// types). A route that reads a new body adds it here.
package enum RequestBodies {
    /// JSON bodies: each reads `body` as its route does, throwing the route's error.
    package static let json: [@Sendable (Data) throws -> Void] = [
        {
            let body = try JSONBody.decode(ServerAPIController.TrackBody.self, from: $0)
            _ = try body.idempotencyKey.map { try PathIdentifier.check($0, name: "idempotencyKey") }
            _ = body.redirectUrl.flatMap(RedirectTarget.init)?.url(withToken: "t")
            _ = body.custom?.value(atPath: "device.model")
        },
        { _ = try JSONBody.decode(ServerAPIController.UpdateActionBody.self, from: $0) },
        { _ = try JSONBody.decode(ServerAPIController.ValidateBody.self, from: $0) },
        { _ = try DevicePublicKey(bodyValue: try JSONBody.decode(DeviceController.AddBody.self, from: $0).publicKey) },
        {
            let body = try JSONBody.decode(DeviceController.RemoveBody.self, from: $0)
            _ = try DevicePublicKey(bodyValue: body.publicKey).isValidSignature(body.signature, for: "2993192.0")
        },
        {
            let body = try JSONBody.decode(DeviceController.AnswerBody.self, from: $0)
            _ = try DevicePublicKey(bodyValue: body.publicKey).isValidSignature(body.signature, for: body.challengeId)
        },
        {
            let body = try JSONBody.decode(DeviceController.UpdateBody.self, from: $0)
            _ = try DevicePublicKey(bodyValue: body.publicKey).isValidSignature(body.signature, for: body.challengeId)
        },
        { _ = try JSONBody.decode(ClientAPIController.StartBody.self, from: $0) },
        { _ = try JSONBody.decode(ClientAPIController.PollBody.self, from: $0) },
        { _ = try JSONBody.decode(QRCodeController.CreateBody.self, from: $0) },
        { _ = try JSONBody.decode(QRCodeController.PollBody.self, from: $0) },
        {
            let body = try JSONBody.decode(QRCodeController.ClaimBody.self, from: $0)
            _ = try DevicePublicKey(bodyValue: body.publicKey).isValidSignature(body.signature, for: body.challengeId)
        },
        { _ = try JSONBody.decode(InAppController.ChallengeBody.self, from: $0) },
        {
            let body = try JSONBody.decode(InAppController.VerifyBody.self, from: $0)
            _ = try DevicePublicKey(bodyValue: body.publicKey).isValidSignature(body.signature, for: body.challengeId)
        },
    ]

    /// The hosted page's form posts.
    package static let forms: [@Sendable ([UInt8]) throws -> Void] = [
        { _ = try FormBody.decode(HostedPageController.PushForm.self, from: $0) },
        { _ = try FormBody.decode(HostedPageController.QRCodeForm.self, from: $0) },
    ]

    /// A `?publicKey=` query value, as the device routes read it.
    package static func publicKey(queryValue: String) throws {
        _ = try DevicePublicKey(queryValue: queryValue).canonical
    }
}
