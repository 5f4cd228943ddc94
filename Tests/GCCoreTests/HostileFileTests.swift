import Foundation
import Testing
@testable import GCCore

/// Training checkpoints are read as strictly as model checkpoints (issue 19, defect 3):
/// each mutant below was resumed by the old reader, and training "succeeded" with a NaN
/// model or returned more steps than asked.
@Suite("Training checkpoints are read strictly")
struct TrainingCheckpointStrictnessTests {
    static func options(steps: Int, checkpoint: String) throws -> TrainOptions {
        var o = TrainOptions(steps: steps, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, batchSize: 4, lengths: 2...3,
                             evalEvery: 2, evalSize: 8, targetAccuracy: nil)
        o.checkpoint = try FilePath(checkpoint)
        o.checkpointEvery = 2
        return o
    }

    static func model() throws -> Transformer {
        var c = tinyConfig()
        c.nLayers = 1
        return try Transformer(config: c, seed: 5)
    }

    /// The bytes of a checkpoint written by a 4-step run.
    static func checkpoint(in dir: String) throws -> SafeTensors.File {
        let path = dir + "/run.partial"
        _ = try train(try model(), task: .reverse(), options: try options(steps: 4, checkpoint: path))
        return try SafeTensors.read(path: path)
    }

    /// Writes `file` with its tensors and metadata changed by `edit`, then `rewrite` applied
    /// to the header's text; returns the error of a 6-step run that resumes it (nil: none).
    static func resumeError(_ file: SafeTensors.File, dir: String, edit: (inout [String: Tensor], inout [String: String]) -> Void,
                            rewrite: (String) -> String = { $0 }) throws -> (error: String?, steps: Int?) {
        var tensors = file.tensors, meta = file.metadata
        edit(&tensors, &meta)
        let data = SafeTensors.serialize(file.names.compactMap { n in tensors[n].map { (n, $0) } }, metadata: meta)
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = rewrite(String(decoding: data[8..<(8 + n)], as: UTF8.self))
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + data[(8 + n)...]
        let path = dir + "/mutant-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            let r = try train(try model(), task: .reverse(), options: try options(steps: 6, checkpoint: path))
            return (nil, r.steps)
        } catch { return ("\(error)", nil) }
    }

    @Test func damagedTrainingStateIsRefused() throws {
        let dir = try temporaryFolderForCore()
        let file = try Self.checkpoint(in: dir)
        func set(_ name: String, _ v: Float) -> (inout [String: Tensor], inout [String: String]) -> Void {
            { t, _ in t[name]!.data[0] = v }
        }
        func meta(_ pairs: [String: String]) -> (inout [String: Tensor], inout [String: String]) -> Void {
            { _, m in for (k, v) in pairs { m[k] = v } }
        }
        let cases: [(String, (inout [String: Tensor], inout [String: String]) -> Void, String)] = [
            ("adam_m NaN", set("adam_m", .nan), "adam_m holds NaN or inf"),
            ("adam_m inf", set("adam_m", .infinity), "adam_m holds NaN or inf"),
            ("adam_v negative", set("adam_v", -1), "adam_v holds NaN, inf or a negative value"),
            ("adam_v NaN", set("adam_v", .nan), "adam_v holds NaN, inf or a negative value"),
            ("params inf", set("params", -.infinity), "parameters hold NaN, inf"),
            ("params huge", set("params", 1e20), "parameters hold NaN, inf"),
            ("step beyond steps", meta(["step": "100", "adam_step": "100"]), "holds step 100, beyond this run's steps = 6"),
            ("step with a sign", meta(["step": "+4"]), "'step' is not a non-negative integer"),
            ("step with a leading zero", meta(["step": "04"]), "'step' is not a non-negative integer"),
            ("adam_step apart from step", meta(["adam_step": "3"]), "adam_step = 3 differs from step = 4"),
            ("loss_count beyond step", meta(["loss_count": "9"]), "loss_count = 9 is more than step = 4"),
            ("last_loss NaN", meta(["last_loss": String(Double.nan.bitPattern, radix: 16)]), "bad 'last_loss'"),
            ("accuracy above 1", meta(["last_accuracy": String(Double(2).bitPattern, radix: 16)]), "bad 'last_accuracy'"),
            ("history past step", meta(["history": "6:0:0"]), "bad history"),
        ]
        for (what, edit, expected) in cases {
            let r = try Self.resumeError(file, dir: dir, edit: edit)
            #expect(r.error?.contains(expected) == true, "\(what): \(r.error ?? "resumed, steps \(r.steps ?? -1)")")
            #expect(r.error?.contains("training checkpoint") == true, "\(what)")
        }
        // an extra tensor (serialize writes the names it is given)
        var extra = file
        extra.names.append("extra"); extra.tensors["extra"] = Tensor(scalar: 1)
        let r = try Self.resumeError(extra, dir: dir, edit: { _, _ in })
        #expect(r.error?.contains("exactly [\"params\", \"adam_m\", \"adam_v\"] expected") == true, "\(r.error ?? "resumed")")
        // moments stored as I32 (same size: only the header says so)
        let i32 = try Self.resumeError(file, dir: dir, edit: { _, _ in },
                                       rewrite: { $0.replacingOccurrences(of: "\"adam_m\":{\"dtype\":\"F32\"", with: "\"adam_m\":{\"dtype\":\"I32\"") })
        #expect(i32.error?.contains("'adam_m' has dtype I32, F32 expected") == true, "\(i32.error ?? "resumed")")
        // the file as written resumes, and the run returns the steps asked for
        let same = try Self.resumeError(file, dir: dir, edit: { _, _ in })
        #expect(same.error == nil && same.steps == 6, "\(same)")
    }
}

/// .npy files are read at least as strictly as NumPy reads them (issue 19, defect 4).
@Suite("NumPy headers are read strictly")
struct NpyStrictnessTests {
    /// A .npy file with a hand-written header (padded as NumPy pads it) and data.
    static func npy(_ header: String, data: [UInt8], major: UInt8 = 1, minor: UInt8 = 0, rawHeader: [UInt8]? = nil) -> [UInt8] {
        var h = rawHeader ?? Array(header.utf8)
        let pre = major == 1 ? 10 : 12
        if rawHeader == nil {
            while (pre + h.count + 1) % 64 != 0 { h.append(0x20) }
            h.append(0x0a)
        }
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, minor]
        let n = h.count
        out += major == 1 ? [UInt8(n & 0xff), UInt8(n >> 8)] : [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
        return out + h + data
    }

    static func f32(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } } }

    func error(_ bytes: [UInt8]) -> String? {
        do { _ = try Tensor(npy: bytes); return nil } catch { return "\(error)" }
    }

    @Test func headersNumPyWouldNotWriteAreRefused() throws {
        let two = Self.f32([1, 2])
        let ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
        #expect(try Tensor(npy: Self.npy(ok, data: two)).data == [1, 2])
        #expect(try Tensor(npy: Self.npy(ok, data: two, major: 3)).data == [1, 2])
        #expect(try Tensor(npy: Self.npy("{\"descr\":'<f4','fortran_order':False,'shape':(1, 2)}", data: two)).shape == [1, 2])
        #expect(try Tensor(npy: Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data: Self.f32([7]))).data == [7])
        #expect(try Tensor(npy: Self.npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", data: [0, 1])).data == [0, 1])
        let cases: [(String, [UInt8], String)] = [
            ("duplicate key", Self.npy("{'descr': '<f4', 'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", data: two), "repeats the key 'descr'"),
            ("Fortran order", Self.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", data: two), "Fortran order"),
            // the old reader looked for the text "'fortran_order': True": without the space it read scrambled values
            ("Fortran order, spaced otherwise", Self.npy("{'descr': '<f4', 'fortran_order':True, 'shape': (2, 1), }", data: two), "Fortran order"),
            ("bool byte 2", Self.npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", data: [2, 0]), "bool element 1 is the byte 2"),
            ("bool byte 255", Self.npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", data: [0, 255]), "bool element 2 is the byte 255"),
            ("junk after the dict", Self.npy(ok + " junk", data: two), "text after the header's dict"),
            ("a second dict", Self.npy(ok + "{}", data: two), "text after the header's dict"),
            ("minor version 1", Self.npy(ok, data: two, minor: 1), "format version 1.1"),
            ("version 4", Self.npy(ok, data: two, major: 4), "format version 4.0"),
            ("missing shape", Self.npy("{'descr': '<f4', 'fortran_order': False, }", data: two), "exactly 'descr', 'fortran_order' and 'shape' expected"),
            ("missing fortran_order", Self.npy("{'descr': '<f4', 'shape': (2,), }", data: two), "exactly 'descr'"),
            ("an extra key", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True}", data: two), "exactly 'descr'"),
            ("v3 not UTF-8", Self.npy("", data: two, major: 3, rawHeader: Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), '".utf8) + [0xff, 0x27, 0x3a, 0x20, 0x54, 0x72, 0x75, 0x65, 0x7d, 0x0a]), "not UTF-8"),
            ("(2) is not a tuple", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", data: two), "not a tuple"),
            ("negative dimension", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data: two), "non-negative integer"),
            ("leading zero", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (02,), }", data: two), "non-negative integer"),
            ("fortran_order a string", Self.npy("{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,), }", data: two), "'fortran_order' is not True or False"),
            ("big-endian", Self.npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data: two), "dtype '>f4'; one of <f4, <f8, <f2, <i8, <i4, <i2, |i1, |u1, |b1 expected"),
            ("rank 33", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + String(repeating: "1, ", count: 33) + "), }", data: Self.f32([1])), "33 dimensions"),
            ("unterminated", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", data: two), "expected"),
        ]
        for (what, bytes, expected) in cases {
            let msg = error(bytes)
            #expect(msg?.contains(expected) == true, "\(what): \(msg ?? "accepted")")
        }
    }

    /// What gcgap writes, it reads back; and the header NumPy writes for the same array.
    @Test func roundTrip() throws {
        let t = try Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(try Tensor(npy: t.npy) == t)
        let numpy = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        #expect(t.npy == Self.npy(numpy, data: Self.f32(t.data)))
    }
}

/// Tensors have at most `Limits.maxRank` dimensions, checked before anything is allocated
/// (issue 19, defect 2).
@Suite("Tensor ranks are bounded")
struct TensorRankTests {
    @Test func everyShapeConstructorChecksTheRank() throws {
        let ones = [Int](repeating: 1, count: Limits.maxRank + 1)
        func err(_ body: () throws -> Any) -> String? { do { _ = try body(); return nil } catch { return "\(error)" } }
        #expect(err { try Tensor(shape: ones, repeating: 0) }?.contains("33 dimensions, more than the limit of 32") == true)
        #expect(err { try Tensor(shape: ones, data: [1]) }?.contains("33 dimensions") == true)
        #expect(err { try Tensor(scalar: 1).reshaped([Int](repeating: 1, count: 5000)) }?.contains("5000 dimensions") == true)
        let top = try Tensor(shape: [Int](repeating: 1, count: Limits.maxRank), repeating: 2)
        #expect(err { try Tensor.stack([top], axis: 0) }?.contains("33 dimensions") == true)
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + ones.map(String.init).joined(separator: ",") + "],\"data_offsets\":[0,4]}}"
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + [0, 0, 128, 63]
        #expect(err { try SafeTensors.parse(bytes) }?.contains("33 dimensions") == true)
        #expect(top.rank == 32 && top.count == 1)
    }
}

/// A fresh temporary folder.
func temporaryFolderForCore() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcgap-core-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
}
