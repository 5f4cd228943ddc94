import Foundation
import GCCore

/// Which gcgap made a result: its version, the commit of the checkout its stdlib comes from
/// (when that is a git checkout), and the matrix-product kernel (which fixes the last bits
/// of every number). Records and reports carry it (`gcgap.build()`).
public enum BuildInfo {
    /// The commit of the git checkout holding `folder` (or a parent of it), read from the
    /// repository's files (no git process); nil when there is none.
    public static func commit(near folder: String) -> String? {
        var dir = URL(fileURLWithPath: folder).standardizedFileURL
        for _ in 0..<6 {
            if let c = commit(gitEntry: dir.appendingPathComponent(".git")) { return c }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The commit HEAD names, for a `.git` folder or a worktree's `.git` file.
    static func commit(gitEntry: URL) -> String? {
        guard let text = try? String(contentsOf: gitEntry, encoding: .utf8) else {
            return head(gitDir: gitEntry)
        }
        guard text.hasPrefix("gitdir: ") else { return nil }
        let path = text.dropFirst(8).trimmingCharacters(in: .whitespacesAndNewlines)
        return head(gitDir: URL(fileURLWithPath: path, relativeTo: gitEntry.deletingLastPathComponent()))
    }

    /// HEAD's commit in a git folder: a detached hash, a loose ref, or a packed ref (a
    /// worktree's refs live in its common folder).
    static func head(gitDir: URL) -> String? {
        guard let head = try? String(contentsOf: gitDir.appendingPathComponent("HEAD"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref: ") else { return head.count == 40 ? head : nil }
        let ref = String(head.dropFirst(5))
        var dirs = [gitDir]
        if let common = try? String(contentsOf: gitDir.appendingPathComponent("commondir"), encoding: .utf8) {
            dirs.append(URL(fileURLWithPath: common.trimmingCharacters(in: .whitespacesAndNewlines), relativeTo: gitDir))
        }
        for d in dirs {
            if let c = try? String(contentsOf: d.appendingPathComponent(ref), encoding: .utf8) {
                return c.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let packed = try? String(contentsOf: d.appendingPathComponent("packed-refs"), encoding: .utf8),
               let line = packed.split(separator: "\n").first(where: { $0.hasSuffix(" " + ref) }) {
                return String(line.prefix(40))
            }
        }
        return nil
    }
}
