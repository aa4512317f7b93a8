public enum DeviceCredentialVersion { public static let string = "0.1.0" }
