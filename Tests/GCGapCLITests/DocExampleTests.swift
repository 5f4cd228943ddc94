import Foundation
import Testing

/// Every example that help() and docs/API.md show runs as written (scripts/dev/doc_examples.lua:
/// one prelude makes the names the examples take as given; the examples that run the whole
/// protocol or another process are skipped there, each naming the test that covers it).
@Suite("Documentation examples")
struct DocExampleTests {
    @Test func everyExampleRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcgap-docex-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // examples read results/ where they stand and write report/, out/ and files there
        try FileManager.default.createSymbolicLink(atPath: dir + "/results", withDestinationPath: repositoryRoot + "/results")
        let r = try gcgap([repositoryRoot + "/scripts/dev/doc_examples.lua", repositoryRoot], cwd: dir)
        let failures = r.stderr.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(r.status == 0 && failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let summary = r.stdout.split(separator: "\n").last { $0.hasPrefix("doc examples:") } ?? ""
        let ran = Int(summary.split(separator: " ").dropFirst(2).first ?? "") ?? 0
        #expect(ran > 150 && summary.hasSuffix(", 0 failed"), "\(summary)")
    }
}
