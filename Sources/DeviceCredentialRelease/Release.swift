/// The one version of DeviceCredential. The library's `DeviceCredentialVersion` (and so its
/// `User-Agent`), every executable's `--version` and the Debian packages (`make deb` reads
/// `devicecred --version`) all come from here. The server has its own module tree (it shares no
/// protocol code with the library), so the version lives in a module of its own that both import.
public enum Release {
    /// Semantic version of this release.
    public static let version = "0.1.0"
}
