/// A cursor over a module binary with the primitive decoders of the binary format
/// (core spec §5.2): bytes, LEB128 integers (padding accepted, overflow rejected), IEEE
/// floats, names. Every read is bounds-checked and fails with "unexpected end of section or
/// function".
public struct ByteReader {
    public let bytes: [UInt8]
    /// Position of the next byte to read.
    public var offset: Int
    /// One past the last readable byte (the end of the current section or body).
    public var end: Int

    /// The range is clamped to `bytes`, so no read can go out of bounds.
    public init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        let lower = Swift.max(0, Swift.min(range.lowerBound, bytes.count))
        self.offset = lower
        self.end = Swift.max(lower, Swift.min(range.upperBound, bytes.count))
    }

    public init(bytes: [UInt8]) {
        self.init(bytes: bytes, range: 0..<bytes.count)
    }

    public var isAtEnd: Bool { offset >= end }
    public var remaining: Int { end - offset }

    public mutating func readByte() throws(WasmError) -> UInt8 {
        guard offset < end else { throw .unexpectedEnd(at: offset) }
        let byte = bytes[offset]
        offset += 1
        return byte
    }

    public func peekByte() throws(WasmError) -> UInt8 {
        guard offset < end else { throw .unexpectedEnd(at: offset) }
        return bytes[offset]
    }

    /// Returns the range of the next `count` bytes and skips them.
    public mutating func readRange(_ count: Int) throws(WasmError) -> Range<Int> {
        guard count >= 0, count <= remaining else {
            throw .unexpectedEnd(at: offset)
        }
        let range = offset..<(offset + count)
        offset += count
        return range
    }

    public mutating func readFixedUInt32() throws(WasmError) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<4 {
            value |= UInt32(try readByte()) << (8 * UInt32(index))
        }
        return value
    }

    public mutating func readFixedUInt64() throws(WasmError) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<8 {
            value |= UInt64(try readByte()) << (8 * UInt64(index))
        }
        return value
    }

    public mutating func readVarUInt32() throws(WasmError) -> UInt32 {
        // Fast path: most indices and counts fit in one byte.
        if offset < end, bytes[offset] < 0x80 {
            let byte = bytes[offset]
            offset += 1
            return UInt32(byte)
        }
        return UInt32(truncatingIfNeeded: try readUnsignedLEB(bits: 32))
    }

    public mutating func readVarUInt64() throws(WasmError) -> UInt64 {
        try readUnsignedLEB(bits: 64)
    }

    public mutating func readVarInt32() throws(WasmError) -> Int32 {
        Int32(truncatingIfNeeded: try readSignedLEB(bits: 32))
    }

    public mutating func readVarInt33() throws(WasmError) -> Int64 {
        try readSignedLEB(bits: 33)
    }

    public mutating func readVarInt64() throws(WasmError) -> Int64 {
        try readSignedLEB(bits: 64)
    }

    /// Unsigned LEB128 of at most `bits` bits: at most ceil(bits/7) bytes, and the unused
    /// high bits of the last byte must be zero ("integer too large"); a longer encoding is
    /// "integer representation too long". Checks run in the reference interpreter's order
    /// (value bits before the continuation bit), so messages match the spec tests.
    mutating func readUnsignedLEB(bits: Int) throws(WasmError) -> UInt64 {
        let start = offset
        let maxBytes = (bits + 6) / 7
        var result: UInt64 = 0
        var shift = 0
        for index in 0..<maxBytes {
            guard offset < end else { throw .unexpectedEnd(at: offset) }
            let byte = bytes[offset]
            offset += 1
            let payload = UInt64(byte & 0x7F)
            if index == maxBytes - 1 {
                let usedBits = bits - shift
                if usedBits < 7, payload >> UInt64(usedBits) != 0 {
                    throw .malformed("integer too large", at: start)
                }
                if byte & 0x80 != 0 {
                    throw .malformed("integer representation too long", at: start)
                }
            }
            result |= payload << UInt64(shift)
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return result
    }

    /// Signed LEB128 of at most `bits` bits: in the last permitted byte the unused high bits
    /// must all equal the sign bit ("integer too large").
    mutating func readSignedLEB(bits: Int) throws(WasmError) -> Int64 {
        let start = offset
        let maxBytes = (bits + 6) / 7
        var result: Int64 = 0
        var shift = 0
        for index in 0..<maxBytes {
            guard offset < end else { throw .unexpectedEnd(at: offset) }
            let byte = bytes[offset]
            offset += 1
            let payload = Int64(byte & 0x7F)
            if index == maxBytes - 1 {
                let usedBits = bits - shift  // bits of the value carried by this byte
                if usedBits < 7 {
                    // Bits usedBits-1 ... 6 must be all zeros or all ones (sign extension).
                    let high = payload >> Int64(usedBits - 1)
                    let allOnes = Int64((1 << (7 - (usedBits - 1))) - 1)
                    if high != 0, high != allOnes {
                        throw .malformed("integer too large", at: start)
                    }
                }
                if byte & 0x80 != 0 {
                    throw .malformed("integer representation too long", at: start)
                }
            }
            result |= payload << Int64(shift)
            shift += 7
            if byte & 0x80 == 0 {
                if shift < 64, byte & 0x40 != 0 {
                    result |= -1 << Int64(shift)  // sign-extend
                }
                return result
            }
        }
        return result
    }

    /// A `u32` length or count. Like the reference interpreter, it must not exceed the bytes
    /// left counted from the length's own first byte ("length out of bounds"); since every
    /// element takes at least one byte, a count that passes can be allocated safely.
    public mutating func readLength() throws(WasmError) -> Int {
        let start = offset
        let value = Int(try readVarUInt32())
        guard value <= end - start else { throw .malformed("length out of bounds", at: start) }
        return value
    }

    /// A `name`: a length-prefixed UTF-8 string ("malformed UTF-8 encoding" if invalid).
    public mutating func readName() throws(WasmError) -> String {
        let length = try readLength()
        let start = offset
        let range = try readRange(length)
        guard isValidUTF8(bytes[range]) else {
            throw .malformed("malformed UTF-8 encoding", at: start)
        }
        return String(decoding: bytes[range], as: UTF8.self)
    }
}

extension WasmError {
    /// Reading past the end of the module, a section or a function body. The reference
    /// interpreter's wording; the spec tests expect its prefix "unexpected end".
    public static func unexpectedEnd(at offset: Int) -> WasmError {
        .malformed("unexpected end of section or function", at: offset)
    }
}

/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
public func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
    var index = bytes.startIndex
    let end = bytes.endIndex
    while index < end {
        let lead = bytes[index]
        if lead < 0x80 {
            index += 1
            continue
        }
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: return false
        }
        guard end - index >= length else { return false }
        let second = bytes[index + 1]
        guard second >= lowerBound, second <= upperBound else { return false }
        for continuation in 2..<max(length, 2) where continuation < length {
            guard bytes[index + continuation] & 0xC0 == 0x80 else { return false }
        }
        index += length
    }
    return true
}
