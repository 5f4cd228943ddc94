import Foundation
import Testing

/// The README's first session, replayed: every input line is fed to `gcgap -i` and what it
/// prints is compared with the README, so the README cannot drift from the build.
@Suite("The README's first session")
struct ReadmeSessionTests {
    struct Step { var input: String; var output: [String] }

    /// The transcript block after "## A first session", and the kernel it was recorded with
    /// ("microkernel" when the text says so, else the OpenBLAS core it names).
    static func transcript() throws -> (core: String, steps: [Step]) {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        guard let section = readme.range(of: "## A first session") else { throw CocoaError(.fileReadCorruptFile) }
        let rest = readme[section.upperBound...]
        let intro = rest[..<(rest.range(of: "```")?.lowerBound ?? rest.endIndex)]
        let core = intro.contains("recorded with gcgap's microkernel") ? "microkernel"
            : intro.range(of: #"OpenBLAS core (\w+)"#, options: .regularExpression).map { String(intro[$0].split(separator: " ").last!) } ?? "?"
        let open = rest.range(of: "```\n")!
        let block = rest[open.upperBound...]
        let body = block[..<block.range(of: "\n```")!.lowerBound]
        var steps: [Step] = []
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("> ") { steps.append(Step(input: String(line.dropFirst(2)), output: [])) }
            else if !steps.isEmpty { steps[steps.count - 1].output.append(String(line)) }
        }
        return (core, steps)
    }

    /// Runs of spaces and tabs count as one (the README may show tabs as spaces).
    static func normal(_ lines: [String]) -> [String] {
        lines.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
    }

    @Test func replaysAsWritten() throws {
        let (core, steps) = try Self.transcript()
        #expect(steps.count >= 10, "the README's session was not found")
        let dir = try temporaryFolder()
        let run = try gcgap(["-e", "_PROMPT = '@@\\n'", "-i"], stdin: steps.map(\.input).joined(separator: "\n") + "\n", cwd: dir)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        var chunks = run.stdout.components(separatedBy: "@@\n")
        chunks.removeFirst() // the banner, before the first prompt
        let here = try gcgap(["-e", "io.write(gcgap.blas().kernel)"]).stdout
        // the microkernel (AVX2 or AVX-512) gives the same bits on every CPU that has it;
        // OpenBLAS sums in an order of its own, and training amplifies the last bits
        let exact = here.contains("microkernel") && core == "microkernel"
        var trained = false
        for (i, step) in steps.enumerated() {
            let got = i < chunks.count ? chunks[i].split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast() : []
            if step.input.contains(":train(") { trained = true }
            if exact || !trained {
                #expect(Self.normal(Array(got)) == Self.normal(step.output), "> \(step.input)")
            } else {
                #expect(got.count == step.output.count, "> \(step.input) (kernels \(here), README \(core))")
            }
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/reverse-42.safetensors"))
    }
}
