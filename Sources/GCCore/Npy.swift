/// NumPy's `.npy` format (numpy/lib/format.py): the magic "\x93NUMPY", a version (1.0, 2.0 or
/// 3.0), a little-endian header length (2 bytes in 1.0, 4 after), a header that is the
/// Python literal of a dict `{'descr': ..., 'fortran_order': ..., 'shape': (...), }` padded
/// with spaces and a newline, then the data.
///
/// Read at least as strictly as NumPy's own reader: the version's minor number must be 0;
/// the header must be Latin-1 (1.0, 2.0) or UTF-8 (3.0) text holding exactly one dict with
/// exactly the three keys, each once (NumPy keeps the last of a repeated key; gcgap refuses
/// it), and nothing after it but whitespace; `shape` a tuple of non-negative integers;
/// Fortran order is refused (the docs say so), and so are bool bytes other than 0 and 1.
public enum Npy {
    /// The dtypes read, as NumPy writes their `descr`, with the safetensors name that
    /// decodes them: float32, float64, float16, int64, int32, int16, int8, uint8, bool.
    public static let dtypes: [(descr: String, dtype: String)] = [
        ("<f4", "F32"), ("<f8", "F64"), ("<f2", "F16"), ("<i8", "I64"), ("<i4", "I32"), ("<i2", "I16"),
        ("|i1", "I8"), ("|u1", "U8"), ("|b1", "BOOL"),
    ]

    /// A header's three fields.
    public struct Header: Equatable {
        public var descr: String
        public var fortranOrder: Bool
        public var shape: [Int]
    }

    static func bad(_ why: String) -> GCError { GCError("not a .npy file NumPy wrote (\(why))") }

    /// The header's text and where the data starts.
    static func headerBytes(_ bytes: [UInt8]) throws -> (header: ArraySlice<UInt8>, dataStart: Int) {
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else { throw bad("no NUMPY magic") }
        let (major, minor) = (bytes[6], bytes[7])
        guard (1...3).contains(major), minor == 0 else { throw bad("format version \(major).\(minor); 1.0, 2.0 or 3.0 expected") }
        let start = major == 1 ? 10 : 12
        guard bytes.count >= start else { throw bad("truncated header") }
        var hlen = 0
        for k in 8..<start { hlen |= Int(bytes[k]) << (8 * (k - 8)) }
        guard hlen <= bytes.count - start else { throw bad("truncated header") }
        let header = bytes[start..<(start + hlen)]
        // 1.0 and 2.0 headers are Latin-1 (any byte), 3.0 headers UTF-8
        if major == 3, String(validating: header, as: UTF8.self) == nil { throw bad("a version 3.0 header that is not UTF-8") }
        return (header, start + hlen)
    }

    /// Parses a header dict.
    static func parseHeader(_ text: ArraySlice<UInt8>) throws -> Header {
        var p = PyLiteral(text)
        var fields: [String: PyLiteral.Value] = [:]
        try p.expect("{")
        while !p.take("}") {
            let key = try p.string()
            guard fields[key] == nil else { throw bad("the header repeats the key '\(key)'") }
            try p.expect(":")
            fields[key] = try p.value()
            if !p.take(",") { try p.expect("}"); break }
        }
        p.skipSpace()
        guard p.atEnd else { throw bad("text after the header's dict") }
        let keys = fields.keys.sorted()
        guard keys == ["descr", "fortran_order", "shape"] else {
            throw bad("header keys \(keys); exactly 'descr', 'fortran_order' and 'shape' expected")
        }
        guard case .string(let descr) = fields["descr"]! else { throw bad("'descr' is not a string") }
        guard case .bool(let fortran) = fields["fortran_order"]! else { throw bad("'fortran_order' is not True or False") }
        guard case .tuple(let shape) = fields["shape"]! else { throw bad("'shape' is not a tuple of integers") }
        return Header(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// The values of a `.npy` file, as float32 in C order.
    static func read(_ bytes: [UInt8]) throws -> (shape: [Int], values: [Float]) {
        let (text, start) = try headerBytes(bytes)
        let h = try parseHeader(text)
        guard !h.fortranOrder else { throw bad("Fortran order; save a C-ordered array (np.ascontiguousarray)") }
        guard let dtype = dtypes.first(where: { $0.descr == h.descr })?.dtype, let size = SafeTensors.sizes[dtype] else {
            throw bad("dtype '\(h.descr)'; one of \(dtypes.map(\.descr).joined(separator: ", ")) expected")
        }
        let n = try Tensor.count(of: h.shape)
        guard bytes.count - start == n * size else { throw bad("\(bytes.count - start) data bytes for \(n) values of \(h.descr)") }
        do {
            let values = try bytes.withUnsafeBytes { try SafeTensors.decode($0.baseAddress! + start, count: n, dtype: dtype) }
            return (h.shape, values)
        } catch let e as GCError { throw bad(e.message) }
    }

    /// The bytes of a `.npy` file of a tensor (format 1.0, '<f4', C order).
    static func bytes(of t: Tensor) -> [UInt8] {
        let dims = t.shape.map(String.init).joined(separator: ", ") + (t.shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(header.utf8.count)
        out += [UInt8(n & 0xff), UInt8(n >> 8)] + Array(header.utf8)
        out.reserveCapacity(out.count + 4 * t.count)
        for v in t.data { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        return out
    }
}

/// The few Python literals a `.npy` header holds: 'strings' (no escapes), True, False and
/// tuples of non-negative decimal integers. Whitespace may separate tokens.
struct PyLiteral {
    enum Value { case string(String), bool(Bool), tuple([Int]) }
    let text: ArraySlice<UInt8>
    var at: Int
    init(_ text: ArraySlice<UInt8>) { self.text = text; at = text.startIndex }

    var atEnd: Bool { at == text.endIndex }
    func bad(_ why: String) -> GCError { Npy.bad("header: \(why) at byte \(at - text.startIndex + 1)") }

    mutating func skipSpace() { while !atEnd, [0x20, 0x09, 0x0a, 0x0d].contains(text[at]) { at += 1 } }

    /// Takes `token` after optional whitespace when it is next.
    mutating func take(_ token: String) -> Bool {
        skipSpace()
        let t = Array(token.utf8)
        guard text.endIndex - at >= t.count, Array(text[at..<(at + t.count)]) == t else { return false }
        at += t.count
        return true
    }

    mutating func expect(_ token: String) throws { guard take(token) else { throw bad("'\(token)' expected") } }

    mutating func string() throws -> String {
        skipSpace()
        guard !atEnd, text[at] == 0x27 || text[at] == 0x22 else { throw bad("a quoted key expected") }
        let quote = text[at]
        at += 1
        let begin = at
        while !atEnd, text[at] != quote {
            guard text[at] != 0x5c, text[at] != 0x0a else { throw bad("an escape or line break in a string") }
            at += 1
        }
        guard !atEnd else { throw bad("an unterminated string") }
        defer { at += 1 }
        return String(decoding: text[begin..<at], as: UTF8.self)
    }

    mutating func value() throws -> Value {
        if take("True") { return .bool(true) }
        if take("False") { return .bool(false) }
        if take("(") { return .tuple(try tupleRest()) }
        return .string(try string())
    }

    /// A tuple's items after '(': `()`, `(2,)`, `(2, 3)`, `(2, 3,)`; `(2)` is not a tuple.
    mutating func tupleRest() throws -> [Int] {
        var items: [Int] = []
        while !take(")") {
            items.append(try integer())
            if take(",") { continue }
            try expect(")")
            guard items.count > 1 else { throw bad("(n) is a number, not a tuple: (n,) expected") }
            break
        }
        return items
    }

    mutating func integer() throws -> Int {
        skipSpace()
        let begin = at
        while !atEnd, (0x30...0x39).contains(text[at]), at - begin < 19 { at += 1 }
        let digits = String(decoding: text[begin..<at], as: UTF8.self)
        guard let v = Int(digits), digits == String(v) else { throw bad("a non-negative integer expected") }
        return v
    }
}

extension Tensor {
    /// The bytes of a NumPy `.npy` file (format 1.0, little-endian float32, C order).
    public var npy: [UInt8] { Npy.bytes(of: self) }

    /// A tensor from `.npy` bytes (`Npy.dtypes`, C order), read as `Npy` says.
    public init(npy bytes: [UInt8]) throws {
        let (shape, values) = try Npy.read(bytes)
        self.init(unchecked: shape, values)
    }
}
