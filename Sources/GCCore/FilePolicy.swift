#if canImport(Glibc)
import Glibc
#endif

/// What a file access is for.
public enum FileAccess { case read, write, list }

/// Which files a sandboxed script may touch: it reads the files it was given and anything
/// under its folder, and writes and lists only under that folder. Paths are resolved with
/// `realpath`, so `..` and symbolic links cannot lead out; a write never follows a link.
public struct FilePolicy {
    /// The folder's real path.
    public let root: [UInt8]
    /// The real paths of the files given to read.
    public let readable: Set<[UInt8]>

    /// A policy for `folder` (which must exist) and the readable files (each must exist).
    public init(folder: FilePath, readable files: [FilePath]) throws {
        guard let r = FilePolicy.realPath(folder.bytes) else { throw GCError("sandbox folder '\(folder)' does not exist") }
        root = r
        readable = Set(try files.map { f in
            guard let p = FilePolicy.realPath(f.bytes) else { throw GCError("cannot read '\(f)': no such file") }
            return p
        })
    }

    /// Checks an access; the error names the path and the rule.
    public func check(_ path: FilePath, _ access: FileAccess) throws {
        switch access {
        case .read:
            guard let p = FilePolicy.realPath(path.bytes) else { return }   // (the read itself reports a missing file)
            guard readable.contains(p) || inside(p) else { throw refused(path, "reads only the files it was given and its folder's") }
        case .list:
            guard let p = FilePolicy.realPath(path.bytes), inside(p) else { throw refused(path, "lists only its folder") }
        case .write:
            try checkWrite(path)
        }
    }

    /// A write: the deepest existing ancestor of the path is inside the root, no new
    /// component is `..`, and no component on the way is a symbolic link that did not resolve.
    private func checkWrite(_ path: FilePath) throws {
        let slash = UInt8(ascii: "/")
        var parts = path.bytes.split(separator: slash, omittingEmptySubsequences: false).map(Array.init)
        var fresh: [[UInt8]] = []
        while true {
            let joined = Array(parts.joined(separator: [slash]))
            let prefix = joined.isEmpty ? (path.bytes.first == slash ? [slash] : [UInt8(ascii: ".")]) : joined
            if FilePolicy.isLink(prefix) && (fresh.isEmpty || FilePolicy.realPath(prefix) == nil) {
                throw refused(path, "does not write through a symbolic link")
            }
            if let real = FilePolicy.realPath(prefix) {
                guard inside(real) else { throw refused(path, "writes only inside its folder") }
                guard !fresh.contains([UInt8(ascii: "."), UInt8(ascii: ".")]) else { throw refused(path, "uses no '..' in a new path") }
                return
            }
            guard let last = parts.popLast() else { throw refused(path, "writes only inside its folder") }
            fresh.insert(last, at: 0)
        }
    }

    private func inside(_ p: [UInt8]) -> Bool {
        p == root || (p.count > root.count && p.starts(with: root) && (root == [UInt8(ascii: "/")] || p[root.count] == UInt8(ascii: "/")))
    }

    private func refused(_ path: FilePath, _ rule: String) -> GCError {
        GCError("'\(path)': refused by the sandbox (a sandboxed script \(rule))")
    }

    /// The canonical path, or nil when it does not exist.
    static func realPath(_ bytes: [UInt8]) -> [UInt8]? {
        guard let p = (bytes + [0]).withUnsafeBufferPointer({ b in
            b.withMemoryRebound(to: CChar.self) { Glibc.realpath($0.baseAddress!, nil) }
        }) else { return nil }
        defer { free(p) }
        return Array(UnsafeRawBufferPointer(start: p, count: strlen(p)))
    }

    static func isLink(_ bytes: [UInt8]) -> Bool {
        var st = stat()
        let r = (bytes + [0]).withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &st) } }
        return r == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }
}
