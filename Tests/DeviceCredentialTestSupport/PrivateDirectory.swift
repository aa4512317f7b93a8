import Foundation

/// A new directory of one helper's own under /tmp, made by mkdtemp so no two tests can get the same one.
/// Short on purpose: the unix sockets made in it have at most 107 bytes of path.
func makePrivateDirectory(_ prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw TestSupportError("cannot make a directory in /tmp: errno \(errno)")
    }
    return String(cString: created)
}
