import Testing
@testable import WasmFrontEnd

/// Runs `read` on a reader over `bytes`; returns the value and how many bytes it consumed,
/// or the error message.
private func decode<T>(_ bytes: [UInt8], _ read: (inout ByteReader) throws -> T) -> Result<(T, Int), WasmError> {
    var reader = ByteReader(bytes: bytes)
    do {
        let value = try read(&reader)
        return .success((value, reader.offset))
    } catch let error as WasmError {
        return .failure(error)
    } catch {
        return .failure(.malformed("unexpected error type", at: -1))
    }
}

private func value<T>(_ result: Result<(T, Int), WasmError>) -> T? {
    if case .success(let (value, _)) = result { return value }
    return nil
}

private func message<T>(_ result: Result<(T, Int), WasmError>) -> String? {
    if case .failure(let error) = result { return error.message }
    return nil
}

@Suite struct ByteReaderTests {
    @Test func unsigned32() {
        #expect(value(decode([0x00]) { try $0.readVarUInt32() }) == 0)
        #expect(value(decode([0x7F]) { try $0.readVarUInt32() }) == 127)
        #expect(value(decode([0x80, 0x01]) { try $0.readVarUInt32() }) == 128)
        #expect(value(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { try $0.readVarUInt32() }) == UInt32.max)
        // Padded encodings, as real toolchains emit for relocatable indices.
        let padded = decode([0x80, 0x80, 0x80, 0x80, 0x00]) { try $0.readVarUInt32() }
        #expect(value(padded) == 0)
        if case .success(let (_, consumed)) = padded { #expect(consumed == 5) }
        #expect(value(decode([0x83, 0x80, 0x80, 0x80, 0x00]) { try $0.readVarUInt32() }) == 3)
        // Unused bits set in the fifth byte.
        #expect(message(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x1F]) { try $0.readVarUInt32() }) == "integer too large")
        #expect(message(decode([0x80, 0x80, 0x80, 0x80, 0x10]) { try $0.readVarUInt32() }) == "integer too large")
        // A sixth byte.
        #expect(message(decode([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) { try $0.readVarUInt32() }) == "integer representation too long")
        // Truncated.
        #expect(message(decode([0x80]) { try $0.readVarUInt32() })?.hasPrefix("unexpected end") == true)
        #expect(message(decode([]) { try $0.readVarUInt32() })?.hasPrefix("unexpected end") == true)
    }

    @Test func unsigned64() {
        let max: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x01]
        #expect(value(decode(max) { try $0.readVarUInt64() }) == UInt64.max)
        #expect(message(decode(Array(repeating: 0xFF, count: 9) + [0x02]) { try $0.readVarUInt64() }) == "integer too large")
        #expect(message(decode(Array(repeating: 0x80, count: 10) + [0x00]) { try $0.readVarUInt64() }) == "integer representation too long")
        #expect(value(decode(Array(repeating: 0x80, count: 9) + [0x00]) { try $0.readVarUInt64() }) == 0)
    }

    @Test func signed32() {
        #expect(value(decode([0x7F]) { try $0.readVarInt32() }) == -1)
        #expect(value(decode([0x3F]) { try $0.readVarInt32() }) == 63)
        #expect(value(decode([0x40]) { try $0.readVarInt32() }) == -64)
        #expect(value(decode([0xC0, 0x00]) { try $0.readVarInt32() }) == 64)
        #expect(value(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x07]) { try $0.readVarInt32() }) == Int32.max)
        #expect(value(decode([0x80, 0x80, 0x80, 0x80, 0x78]) { try $0.readVarInt32() }) == Int32.min)
        #expect(value(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) { try $0.readVarInt32() }) == -1)
        #expect(value(decode([0x80, 0x80, 0x80, 0x80, 0x00]) { try $0.readVarInt32() }) == 0)
        // The unused bits of the fifth byte must equal the sign bit.
        #expect(message(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { try $0.readVarInt32() }) == "integer too large")
        #expect(message(decode([0x80, 0x80, 0x80, 0x80, 0x70]) { try $0.readVarInt32() }) == "integer too large")
        #expect(message(decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) { try $0.readVarInt32() }) == "integer representation too long")
    }

    @Test func signed33() {
        #expect(value(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { try $0.readVarInt33() }) == 0xFFFF_FFFF)
        #expect(value(decode([0x80, 0x80, 0x80, 0x80, 0x70]) { try $0.readVarInt33() }) == -0x1_0000_0000)
        #expect(message(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x1F]) { try $0.readVarInt33() }) == "integer too large")
        #expect(message(decode([0x80, 0x80, 0x80, 0x80, 0x60]) { try $0.readVarInt33() }) == "integer too large")
    }

    @Test func signed64() {
        #expect(value(decode(Array(repeating: 0xFF, count: 9) + [0x00]) { try $0.readVarInt64() }) == Int64.max)
        #expect(value(decode(Array(repeating: 0x80, count: 9) + [0x7F]) { try $0.readVarInt64() }) == Int64.min)
        #expect(value(decode(Array(repeating: 0xFF, count: 9) + [0x7F]) { try $0.readVarInt64() }) == -1)
        #expect(message(decode(Array(repeating: 0xFF, count: 9) + [0x01]) { try $0.readVarInt64() }) == "integer too large")
        #expect(message(decode(Array(repeating: 0x80, count: 9) + [0x40]) { try $0.readVarInt64() }) == "integer too large")
        #expect(message(decode(Array(repeating: 0x80, count: 10) + [0x00]) { try $0.readVarInt64() }) == "integer representation too long")
    }

    @Test func fixedWidth() {
        #expect(value(decode([0x78, 0x56, 0x34, 0x12]) { try $0.readFixedUInt32() }) == 0x1234_5678)
        #expect(value(decode([1, 2, 3, 4, 5, 6, 7, 8]) { try $0.readFixedUInt64() }) == 0x0807_0605_0403_0201)
        #expect(message(decode([1, 2, 3]) { try $0.readFixedUInt32() })?.hasPrefix("unexpected end") == true)
    }

    @Test func lengthsAreCheckedAgainstTheBytesLeft() {
        #expect(value(decode([0x02, 0xAA, 0xBB]) { try $0.readLength() }) == 2)
        #expect(message(decode([0x05, 0xAA]) { try $0.readLength() }) == "length out of bounds")
        #expect(message(decode([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { try $0.readLength() }) == "length out of bounds")
    }

    @Test func names() {
        #expect(value(decode([0x03, 0x61, 0x62, 0x63]) { try $0.readName() }) == "abc")
        #expect(value(decode([0x02, 0xC3, 0xA9]) { try $0.readName() }) == "é")
        #expect(value(decode([0x04, 0xF0, 0x9F, 0x98, 0x80]) { try $0.readName() }) == "😀")
        let invalid: [[UInt8]] = [
            [0xFF],  // never valid
            [0xC0, 0x80],  // overlong NUL
            [0xE0, 0x80, 0x80],  // overlong
            [0xED, 0xA0, 0x80],  // surrogate U+D800
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xC3],  // truncated sequence
            [0x80],  // stray continuation byte
            [0xE2, 0x28, 0xA1],  // bad continuation
        ]
        for bytes in invalid {
            #expect(message(decode([UInt8(bytes.count)] + bytes) { try $0.readName() }) == "malformed UTF-8 encoding")
        }
        #expect(message(decode([0x04, 0x61]) { try $0.readName() }) == "length out of bounds")
    }

    @Test func rangesAreClampedToTheBytes() {
        var reader = ByteReader(bytes: [1, 2, 3], range: 1..<100)
        #expect(reader.remaining == 2)
        #expect((try? reader.readByte()) == 2)
        #expect((try? reader.readByte()) == 3)
        #expect((try? reader.readByte()) == nil)
        let outside = ByteReader(bytes: [1, 2, 3], range: 50..<60)
        #expect(outside.isAtEnd)
    }
}
