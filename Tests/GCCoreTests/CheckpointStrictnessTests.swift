import Foundation
import Testing
@testable import GCCore

/// The checkpoint reader follows the safetensors format strictly and checks the tensors
/// against the configuration: every corruption the checkpoint mutator ever got past the
/// old reader (issue 8, item 9) and every silent assumption (item 10) is a case here.
@Suite("Checkpoints are read strictly")
struct CheckpointStrictnessTests {
    /// One entry of a hand-made header.
    struct Entry { var name: String; var dtype = "F32"; var shape: String; var offsets: (Int, Int) }

    /// The bytes of a safetensors file with a hand-written header.
    static func file(_ header: String, data: [UInt8]) -> [UInt8] {
        var out = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        out += Array(header.utf8)
        return out + data
    }

    static func header(_ entries: [Entry], metadata: String? = nil) -> String {
        var parts = entries.map { "\"\($0.name)\":{\"dtype\":\"\($0.dtype)\",\"shape\":\($0.shape),\"data_offsets\":[\($0.offsets.0),\($0.offsets.1)]}" }
        if let m = metadata { parts.insert("\"__metadata__\":\(m)", at: 0) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    func parseError(_ bytes: [UInt8]) -> String? {
        do { _ = try SafeTensors.parse(bytes, name: "f"); return nil } catch { return "\(error)" }
    }

    @Test func theFormatIsFollowedStrictly() throws {
        let eight = [UInt8](repeating: 0, count: 8)
        let ok = Self.file(Self.header([Entry(name: "a", shape: "[2]", offsets: (0, 8))]), data: eight)
        #expect(parseError(ok) == nil)
        let cases: [(String, [UInt8], String)] = [
            ("duplicate keys", Self.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: eight), "duplicate key 'a'"),
            ("overlap", Self.file(Self.header([Entry(name: "a", shape: "[2]", offsets: (0, 8)), Entry(name: "b", shape: "[1]", offsets: (4, 8))]), data: eight), "overlaps"),
            ("gap", Self.file(Self.header([Entry(name: "a", shape: "[1]", offsets: (4, 8))]), data: eight), "unused bytes"),
            ("trailing bytes", Self.file(Self.header([Entry(name: "a", shape: "[1]", offsets: (0, 4))]), data: eight), "trailing bytes"),
            ("fractional shape", Self.file(Self.header([Entry(name: "a", shape: "[2.0]", offsets: (0, 8))]), data: eight), "non-negative integers"),
            ("negative shape", Self.file(Self.header([Entry(name: "a", shape: "[-2]", offsets: (0, 8))]), data: eight), "non-negative integers"),
            ("fractional offset", Self.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}}", data: eight), "data_offsets"),
            ("unknown dtype", Self.file(Self.header([Entry(name: "a", dtype: "F8", shape: "[2]", offsets: (0, 8))]), data: eight), "unsupported dtype"),
            ("size mismatch", Self.file(Self.header([Entry(name: "a", shape: "[3]", offsets: (0, 8))]), data: eight), "8 bytes for shape [3]"),
            ("huge shape", Self.file(Self.header([Entry(name: "a", shape: "[1099511627776, 0]", offsets: (0, 0))]), data: []), "too large"),
            ("extra field", Self.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", data: eight), "unexpected field"),
            ("not JSON", Self.file("{\"a\":", data: eight), "header"),
            ("trailing JSON", Self.file("{}{}", data: []), "trailing characters"),
            ("metadata not strings", Self.file("{\"__metadata__\":{\"n\":3}}", data: []), "not a string"),
        ]
        for (what, bytes, expected) in cases {
            let msg = parseError(bytes)
            #expect(msg?.contains(expected) == true, "\(what): \(msg ?? "accepted")")
        }
    }

    /// A saved tiny model and its file's bytes, for mutations.
    func saved(positions: ModelConfig.Positions = .none) throws -> (Transformer, SafeTensors.File) {
        var c = tinyConfig(positions: positions)
        c.nLayers = 2
        let m = try Transformer(config: c, seed: 3)
        let data = SafeTensors.serialize(m.tensorNames.map { n in
            var t = try! m.tensor(named: n)
            if n == "pos_embed.W_pos" && positions == .none { t = try! Tensor(shape: t.shape, repeating: 0) }
            return (n, t)
        }, metadata: m.checkpointMetadata)
        return (m, try SafeTensors.parse(data, name: "m"))
    }

    func loadError(_ f: SafeTensors.File, _ o: Transformer.LoadOptions = .init()) -> String? {
        do { _ = try Transformer.load(f, name: "m", options: o); return nil } catch { return "\(error)" }
    }

    @Test func theTensorsMustBeThoseOfTheConfiguration() throws {
        let (_, good) = try saved()
        #expect(loadError(good) == nil)
        var renamed = good
        renamed.tensors["blocks.1.ln1.x"] = renamed.tensors.removeValue(forKey: "blocks.1.ln1.w")
        renamed.names = renamed.names.map { $0 == "blocks.1.ln1.w" ? "blocks.1.ln1.x" : $0 }
        #expect(loadError(renamed)?.contains("unexpected tensor 'blocks.1.ln1.x'") == true)
        var noMeta = renamed
        noMeta.metadata = [:]
        #expect(loadError(noMeta)?.contains("unexpected tensor 'blocks.1.ln1.x'") == true) // never a 1-layer model
        var noPos = good
        noPos.tensors["pos_embed.W_pos"] = nil
        noPos.names.removeAll { $0 == "pos_embed.W_pos" }
        #expect(loadError(noPos)?.contains("missing tensor 'pos_embed.W_pos'") == true)
        var ints = good
        ints.dtypes["blocks.0.attn.W_Q"] = "I32"
        #expect(loadError(ints)?.contains("has dtype I32") == true)
        var huge = good
        huge.tensors["blocks.0.mlp.W_in"]!.data[0] = 3e38
        #expect(loadError(huge)?.contains("beyond") == true)
        var extraLayer = good
        extraLayer.tensors["blocks.5.attn.mask"] = Tensor(scalar: 1)
        extraLayer.names.append("blocks.5.attn.mask")
        #expect(loadError(extraLayer)?.contains("layers") == true)
        // TransformerLens's buffers are accepted and ignored
        var buffers = good
        buffers.tensors["blocks.0.attn.mask"] = try Tensor(shape: [24, 24], repeating: 1)
        buffers.tensors["blocks.0.attn.IGNORE"] = Tensor(scalar: -1e5)
        buffers.names += ["blocks.0.attn.mask", "blocks.0.attn.IGNORE"]
        #expect(loadError(buffers) == nil)
    }

    @Test func whatTheFileDoesNotSayIsStatedOrReported() throws {
        let (_, good) = try saved()
        var bare = good
        bare.metadata = [:]
        let (m, assumed) = try Transformer.load(bare, name: "m")
        #expect(m.config.activation == .gelu && m.config.positions == .none)
        #expect(assumed.count == 3)
        #expect(assumed.contains { $0.hasPrefix("act = gelu") } && assumed.contains { $0.hasPrefix("eps = 1e-05") })
        let (r, said) = try Transformer.load(bare, name: "m", options: .init(activation: .relu, eps: 1e-2, positions: ModelConfig.Positions.none))
        #expect(r.config.activation == .relu && r.config.lnEps == 1e-2 && said.isEmpty)
        // options that contradict the file's metadata are errors
        #expect(loadError(good, .init(activation: .relu))?.contains("the file says act_fn = gelu") == true)
        // positions = none with a non-zero W_pos would silently drop it
        let (_, learned) = try saved(positions: .learned)
        var lying = learned
        lying.metadata["positions"] = "none"
        #expect(loadError(lying)?.contains("pos_embed.W_pos is not zero") == true)
        var bareLearned = learned
        bareLearned.metadata = [:]
        #expect(loadError(bareLearned, .init(positions: ModelConfig.Positions.none))?.contains("not zero") == true)
        let (l, note) = try Transformer.load(bareLearned, name: "m")
        #expect(l.config.positions == .learned && note.contains { $0.contains("positions = learned") })
    }

    @Test func unrepresentableModelsAreRefusedByName() throws {
        let (_, good) = try saved()
        var rotary = good
        rotary.metadata = [:]
        rotary.tensors["blocks.0.attn.rotary_sin"] = try Tensor(shape: [24, 4], repeating: 0)
        #expect(loadError(rotary)?.contains("rotary") == true)
        var folded = good
        folded.metadata = [:]
        for l in 0..<2 { for k in ["ln1.w", "ln1.b", "ln2.w", "ln2.b"] { folded.tensors["blocks.\(l).\(k)"] = nil } }
        #expect(loadError(folded)?.contains("folded LayerNorm") == true)
    }

    @Test func writesAreAtomicAndUseTheBytesGiven() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcgap-files-\(UUID().uuidString)").path
        try FileIO.makeFolders(FilePath(dir + "/a/b"))
        let target = try FilePath(bytes: Array((dir + "/a/b/x").utf8) + [0xFF] + Array(".json".utf8))
        // a temporary left by a process that is gone (pids never exceed 2^22 on Linux)
        let stale = dir + "/a/b/." + "x\u{FFFD}.json.gcgap-4194400.tmp"
        let staleBytes = try FilePath(bytes: Array((dir + "/a/b/.x").utf8) + [0xFF] + Array(".json.gcgap-4194400.tmp".utf8))
        try FileIO.writeAtomically(Array("old".utf8), to: staleBytes)
        try FileIO.writeAtomically(Array("hello".utf8), to: target)
        #expect(try FileIO.read(target) == Array("hello".utf8))
        #expect((try? FileIO.read(staleBytes)) == nil)
        #expect(!FileManager.default.fileExists(atPath: stale))
        let listing = try FileManager.default.contentsOfDirectory(atPath: dir + "/a/b")
        #expect(listing.count == 1) // no temporary left, no U+FFFD name
        #expect(throws: GCError.self) { try FilePath(bytes: Array("x\0y".utf8)) }
        // never replaces a device or a folder
        #expect(throws: GCError.self) { try FileIO.writeAtomically([1], to: FilePath("/dev/null")) }
        #expect(throws: GCError.self) { try FileIO.writeAtomically([1], to: FilePath(dir + "/a")) }
        do { try FileIO.writeAtomically([1], to: FilePath(dir + "/missing/x")); Issue.record("wrote into a missing folder") } catch let e as GCError {
            #expect(e.message.contains("No such file or directory"))
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
