#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file path as the bytes the caller gave: not necessarily UTF-8 (a Lua string such as
/// "a\255b.st" names exactly that file), never holding a NUL byte.
public struct FilePath: CustomStringConvertible, Equatable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw GCError("empty file name") }
        guard !bytes.contains(0) else { throw GCError("file name contains a NUL byte") }
        self.bytes = bytes
    }

    public init(_ path: String) throws { try self.init(bytes: Array(path.utf8)) }

    /// For messages: the bytes as UTF-8, invalid bytes shown as U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The folder part ("." when there is none) and the last component.
    var split: (folder: [UInt8], name: [UInt8]) {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return (Array(".".utf8), bytes) }
        let folder = slash == 0 ? [UInt8(ascii: "/")] : Array(bytes[..<slash])
        return (folder, Array(bytes[(slash + 1)...]))
    }

    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { try $0.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) } }
    }
}

/// Every file gcgap reads or writes goes through here: plain POSIX calls on the path's
/// bytes, and errors that give the OS's reason ("No space left on device").
public enum FileIO {
    static func reason(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// The whole contents of a regular file.
    public static func read(_ path: FilePath) throws -> [UInt8] {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw GCError("cannot open '\(path)': \(reason())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw GCError("cannot read '\(path)': \(reason())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw GCError("cannot read '\(path)': not a regular file") }
        guard st.st_size <= Int(Int32.max) else { throw GCError("cannot read '\(path)': larger than 2 GiB") }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw GCError("cannot read '\(path)': \(reason())") }
            if n == 0 { out.removeLast(out.count - done); break } // shrank while reading
            done += n
        }
        return out
    }

    /// Writes `data` to `path` atomically: a temporary file in the same folder, written in
    /// full, flushed to disk (fsync), then renamed over the target, so a reader sees the
    /// old file or the new one, never half of one; on any failure the target is untouched
    /// and the error gives the OS's reason. Refuses to replace anything but a regular file
    /// (a symbolic link to one is followed). Temporary files that a killed gcgap left for
    /// the same target are removed first.
    public static func writeAtomically(_ data: UnsafeRawBufferPointer, to given: FilePath) throws {
        var path = given
        var st = stat()
        if path.withCString({ lstat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            guard let real = path.withCString({ realpath($0, nil) }) else {
                throw GCError("cannot write '\(given)': a symbolic link that leads nowhere (\(reason()))")
            }
            defer { free(real) }
            path = try FilePath(bytes: Array(UnsafeRawBufferPointer(start: real, count: strlen(real))))
        }
        if path.withCString({ stat($0, &st) }) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw GCError("cannot write '\(given)': it exists and is not a regular file; refusing to replace it")
            }
        } else if errno != ENOENT {
            throw GCError("cannot write '\(given)': \(reason())")
        }
        let (folder, name) = path.split
        let folderPath = try FilePath(bytes: folder)
        removeStaleTemporaries(folder: folderPath, name: name)
        let tmp = try FilePath(bytes: folder + Array("/".utf8) + temporaryName(name, pid: getpid()))
        _ = tmp.withCString { unlink($0) } // our own leftover from an earlier failed write
        let fd = tmp.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) }
        guard fd >= 0 else { throw GCError("cannot write '\(given)': \(reason())") }
        func fail(_ what: String) -> GCError {
            let why = reason()
            close(fd)
            _ = tmp.withCString { unlink($0) }
            return GCError("cannot write '\(given)': \(what)\(why)")
        }
        var done = 0
        while done < data.count {
            let n = Glibc.write(fd, data.baseAddress! + done, data.count - done)
            if n < 0 { if errno == EINTR { continue }; throw fail("") }
            done += n
        }
        guard fsync(fd) == 0 else { throw fail("") }
        guard close(fd) == 0 else {
            let why = reason()
            _ = tmp.withCString { unlink($0) }
            throw GCError("cannot write '\(given)': \(why)")
        }
        let renamed = tmp.withCString { t in path.withCString { rename(t, $0) } }
        guard renamed == 0 else {
            let why = reason()
            _ = tmp.withCString { unlink($0) }
            throw GCError("cannot write '\(given)': \(why)")
        }
        let dfd = folderPath.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if dfd >= 0 { _ = fsync(dfd); close(dfd) } // the rename itself, on disk
    }

    public static func writeAtomically(_ bytes: [UInt8], to path: FilePath) throws {
        try bytes.withUnsafeBytes { try writeAtomically($0, to: path) }
    }

    /// The name in a directory entry, read in place: `readdir`'s record is only as long as
    /// its name, so copying the 256-byte `d_name` field would read past it (AddressSanitizer
    /// caught exactly that).
    static func direntName(_ entry: UnsafeMutablePointer<dirent>) -> [UInt8] {
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19
        let p = (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self)
        return Array(UnsafeRawBufferPointer(start: p, count: strlen(p)))
    }

    /// `.NAME.gcgap-PID.tmp`: the temporary file of a write of NAME by process PID.
    static func temporaryName(_ name: [UInt8], pid: pid_t) -> [UInt8] {
        Array(".".utf8) + name + Array(".gcgap-\(pid).tmp".utf8)
    }

    /// Removes `.NAME.gcgap-PID.tmp` files in `folder` whose process is gone.
    static func removeStaleTemporaries(folder: FilePath, name: [UInt8]) {
        let prefix = Array(".".utf8) + name + Array(".gcgap-".utf8), suffix = Array(".tmp".utf8)
        guard let dir = folder.withCString({ opendir($0) }) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let entryName = direntName(entry)
            guard entryName.count > prefix.count + suffix.count, entryName.starts(with: prefix),
                  Array(entryName.suffix(suffix.count)) == suffix else { continue }
            let digits = entryName[prefix.count..<(entryName.count - suffix.count)]
            guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }), let pid = Int32(String(decoding: digits, as: UTF8.self)),
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            if let stale = try? FilePath(bytes: folder.bytes + Array("/".utf8) + entryName) {
                _ = stale.withCString { unlink($0) }
            }
        }
    }

    /// The names in a folder (not "." and ".."), sorted by their bytes.
    public static func list(_ folder: FilePath) throws -> [[UInt8]] {
        guard let dir = folder.withCString({ opendir($0) }) else { throw GCError("cannot list '\(folder)': \(reason())") }
        defer { closedir(dir) }
        var out: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = direntName(entry)
            if name != [46] && name != [46, 46] { out.append(name) }
        }
        return out.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Creates a folder and its parents (`mkdir -p`); fine when it exists.
    public static func makeFolders(_ path: FilePath) throws {
        var prefix: [UInt8] = []
        let parts = path.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() {
            if i > 0 { prefix.append(UInt8(ascii: "/")) }
            prefix += part
            guard !part.isEmpty, part != [UInt8(ascii: ".")] else { continue }
            let p = try FilePath(bytes: prefix)
            if p.withCString({ mkdir($0, 0o777) }) != 0 && errno != EEXIST {
                throw GCError("cannot create folder '\(p)': \(reason())")
            }
        }
        var st = stat()
        guard path.withCString({ stat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw GCError("cannot create folder '\(path)': it exists and is not a folder")
        }
    }
}
