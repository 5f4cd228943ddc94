import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes
/// of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}`,
/// then the tensors' bytes, offsets relative to the end of the header.
///
/// Reads F32 (and converts F64, F16, BF16, I64, I32, I16, I8, U8, BOOL to Float), writes
/// F32. Every offset, size and shape is checked, so a truncated or corrupt file is an error.
public enum SafeTensors {
    public struct File {
        public var tensors: [String: Tensor]
        /// Tensor names in file order (by data offset).
        public var names: [String]
        public var metadata: [String: String]
        /// Each tensor's dtype as the file gives it ("F32", "I64", ...).
        public var dtypes: [String: String] = [:]
    }

    static let sizes: [String: Int] = ["F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4,
                                       "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]
    /// The dtypes that hold real numbers (parameters must be one of these).
    public static let floatDTypes: Set<String> = ["F32", "F64", "F16", "BF16"]

    public static func read(path: String) throws -> File { try read(path: FilePath(path)) }

    public static func read(path: FilePath) throws -> File {
        try parse(FileIO.read(path), name: path.description)
    }

    public static func parse(_ data: Data, name: String = "safetensors data") throws -> File {
        try parse([UInt8](data), name: name)
    }

    /// Parses a safetensors file strictly, as the format's specification says: the header
    /// is JSON without duplicate keys; each entry has a known dtype, a shape of non-negative
    /// integers and integer `data_offsets` [begin, end] whose size matches the shape; the
    /// entries, in offset order, tile the data buffer exactly (contiguous, no overlap, no
    /// gap, no trailing bytes). Anything else is an error naming the problem.
    public static func parse(_ bytes: [UInt8], name: String = "safetensors data") throws -> File {
        func bad(_ why: String) -> GCError { GCError("\(name): not a valid safetensors file (\(why))") }
        let (header, headerEnd) = try self.header(bytes, bad)
        let body = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:], metadata: [String: String] = [:], dtypes: [String: String] = [:]
        var spans: [(begin: Int, end: Int, key: String)] = []
        for (key, value) in header {
            if key == "__metadata__" {
                metadata = try self.metadata(value, bad)
                continue
            }
            let (dtype, shape, offs) = try entry(key, value, bad)
            guard let size = sizes[dtype] else { throw GCError("\(name): tensor '\(key)' has unsupported dtype \(dtype)") }
            let count: Int
            do { count = try Tensor.count(of: shape) } catch let e as GCError { throw bad("entry '\(key)': \(e.message)") }
            guard offs[0] <= offs[1], offs[1] <= body else {
                throw bad("tensor '\(key)' lies outside the data (offsets \(offs), \(body) data bytes); truncated?")
            }
            guard offs[1] - offs[0] == count * size else {
                throw bad("tensor '\(key)': \(offs[1] - offs[0]) bytes for shape \(Tensor.format(shape)) of \(dtype)")
            }
            spans.append((offs[0], offs[1], key))
            dtypes[key] = dtype
            let start = headerEnd + offs[0]
            let values: [Float]
            do { values = try bytes.withUnsafeBytes { try decode($0.baseAddress! + start, count: count, dtype: dtype) } }
            catch let e as GCError { throw bad("tensor '\(key)': \(e.message)") }
            tensors[key] = Tensor(unchecked: shape, values)
        }
        spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        try checkTiling(spans, body: body, bad)
        return File(tensors: tensors, names: spans.map(\.key), metadata: metadata, dtypes: dtypes)
    }

    /// The header's JSON object and where the data begins (8 + the header's length).
    static func header(_ bytes: [UInt8], _ bad: (String) -> GCError) throws -> ([(String, StrictJSON)], Int) {
        guard bytes.count >= 8 else { throw bad("only \(bytes.count) bytes") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n >= 2, n <= UInt64(bytes.count - 8), n < 100_000_000 else {
            throw bad("header length \(n) does not fit a \(bytes.count)-byte file; truncated?")
        }
        let headerEnd = 8 + Int(n)
        let json: StrictJSON
        do { json = try StrictJSON.parse(bytes[8..<headerEnd]) } catch let e as GCError {
            throw bad("header: \(e.message)")
        }
        guard case .object(let header) = json else { throw bad("header is not a JSON object") }
        return (header, headerEnd)
    }

    /// `__metadata__`: an object of strings.
    static func metadata(_ value: StrictJSON, _ bad: (String) -> GCError) throws -> [String: String] {
        guard case .object(let meta) = value else { throw bad("__metadata__ is not an object") }
        var out: [String: String] = [:]
        for (k, v) in meta {
            guard case .string(let s) = v else { throw bad("metadata '\(k)' is not a string") }
            out[k] = s
        }
        return out
    }

    /// One tensor entry: exactly its dtype, shape (non-negative integers) and data_offsets
    /// (two non-negative integers).
    static func entry(_ key: String, _ value: StrictJSON, _ bad: (String) -> GCError) throws -> (String, [Int], [Int]) {
        guard case .object(let fields) = value else { throw bad("entry '\(key)' is not an object") }
        var dtype: String?, shape: [Int]?, offsets: [Int]?
        for (f, v) in fields {
            switch (f, v) {
            case ("dtype", .string(let d)): dtype = d
            case ("shape", .array(let dims)):
                shape = try dims.map { d -> Int in
                    guard case .integer(let i) = d, i >= 0 else { throw bad("entry '\(key)': shape must hold non-negative integers") }
                    return i
                }
            case ("data_offsets", .array(let o)) where o.count == 2:
                offsets = try o.map { d -> Int in
                    guard case .integer(let i) = d, i >= 0 else { throw bad("entry '\(key)': data_offsets must be two non-negative integers") }
                    return i
                }
            default: throw bad("entry '\(key)': unexpected field '\(f)' or bad value")
            }
        }
        guard let dtype = dtype, let shape = shape, let offsets = offsets else {
            throw bad("entry '\(key)' lacks dtype, shape or data_offsets")
        }
        return (dtype, shape, offsets)
    }

    /// The entries (sorted by offset) must tile the data buffer: [0, e1), [e1, e2), ... up to
    /// its end.
    static func checkTiling(_ spans: [(begin: Int, end: Int, key: String)], body: Int, _ bad: (String) -> GCError) throws {
        var at = 0
        for s in spans {
            guard s.begin == at else {
                throw bad(s.begin < at ? "tensor '\(s.key)' overlaps the tensor before it (offset \(s.begin) < \(at))"
                                       : "\(s.begin - at) unused bytes before tensor '\(s.key)'")
            }
            at = s.end
        }
        guard at == body else { throw bad("\(body - at) trailing bytes after the last tensor") }
    }

    /// `count` little-endian values of a safetensors `dtype` (one of `sizes`) as floats. A
    /// BOOL byte other than 0 or 1 is an error (it is no bool: NumPy and PyTorch disagree on
    /// what it means).
    static func decode(_ p: UnsafeRawPointer, count: Int, dtype: String) throws -> [Float] {
        let size = sizes[dtype] ?? 1
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let q = p + i * size
            switch dtype {
            case "F32": values[i] = Float(bitPattern: q.loadUnaligned(as: UInt32.self).littleEndian)
            case "F64": values[i] = Float(Double(bitPattern: q.loadUnaligned(as: UInt64.self).littleEndian))
            case "F16": values[i] = halfToFloat(q.loadUnaligned(as: UInt16.self).littleEndian)
            case "BF16": values[i] = Float(bitPattern: UInt32(q.loadUnaligned(as: UInt16.self).littleEndian) << 16)
            case "I64": values[i] = Float(Int64(littleEndian: q.loadUnaligned(as: Int64.self)))
            case "I32": values[i] = Float(Int32(littleEndian: q.loadUnaligned(as: Int32.self)))
            case "I16": values[i] = Float(Int16(littleEndian: q.loadUnaligned(as: Int16.self)))
            case "I8": values[i] = Float(q.load(as: Int8.self))
            case "BOOL":
                let b = q.load(as: UInt8.self)
                guard b <= 1 else { throw GCError("bool element \(i + 1) is the byte \(b); a bool is 0 or 1") }
                values[i] = Float(b)
            default: values[i] = Float(q.load(as: UInt8.self))
            }
        }
        return values
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1f), frac = UInt32(h & 0x3ff)
        if exp == 0 { return (sign != 0 ? -1 : 1) * Float(frac) * Float(sign: .plus, exponent: -24, significand: 1) }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (frac << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | frac << 13)
    }

    /// The bytes of a safetensors file holding `tensors` (F32) in the given order.
    public static func serialize(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) -> Data {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append("\"__metadata__\":{" + metadata.sorted { $0.key < $1.key }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",") + "}")
        }
        var off = 0
        for (name, t) in tensors {
            let bytes = t.count * 4
            parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[" + t.shape.map(String.init).joined(separator: ",")
                         + "],\"data_offsets\":[\(off),\(off + bytes)]}")
            off += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + off)
        var n = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for (_, t) in tensors {
            t.data.withUnsafeBufferPointer { buf in
                if Int(1).littleEndian == 1 {
                    out.append(UnsafeBufferPointer(start: UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                   count: buf.count * 4))
                } else {
                    for v in buf { var le = v.bitPattern.littleEndian; withUnsafeBytes(of: &le) { out.append(contentsOf: $0) } }
                }
            }
        }
        return out
    }

    /// Writes a file atomically (`FileIO.writeAtomically`).
    public static func write(path: FilePath, _ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws {
        let data = serialize(tensors, metadata: metadata)
        try data.withUnsafeBytes { try FileIO.writeAtomically($0, to: path) }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

