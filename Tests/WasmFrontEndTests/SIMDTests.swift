import Foundation
import Testing
import WAT
@testable import WasmFrontEnd

// MARK: - Helpers

/// Unsigned LEB128 (shortest form, or padded to `width` bytes).
private func leb(_ value: UInt32, width: Int = 0) -> [UInt8] {
    var bytes: [UInt8] = []
    var rest = value
    repeat {
        var byte = UInt8(rest & 0x7F)
        rest >>= 7
        if rest != 0 || bytes.count + 1 < width { byte |= 0x80 }
        bytes.append(byte)
    } while rest != 0 || bytes.count < width
    return bytes
}

/// Decodes the bytes after a 0xFD prefix and checks that all of them were consumed.
private func decodeSIMD(_ bytes: [UInt8]) throws(WasmError) -> Instruction {
    var reader = ByteReader(bytes: bytes)
    let instruction = try decodeSIMDInstruction(&reader)
    guard reader.isAtEnd else { throw .malformed("trailing bytes", at: reader.offset) }
    return instruction
}

private func decodingError(_ bytes: [UInt8]) -> WasmError? {
    do {
        _ = try decodeSIMD(bytes)
        return nil
    } catch {
        return error
    }
}

private func typingError(_ instruction: Instruction) -> WasmError? {
    do {
        _ = try simdTyping(of: instruction, offset: 7)
        return nil
    } catch {
        return error
    }
}

// MARK: - The instruction set

@Test func instructionCountsMatchWebAssembly2() {
    let count = SIMDOperation.allCases.count + SIMDLoadOperation.allCases.count
        + 2 * SIMDLaneMemoryOperation.allCases.count + SIMDLaneOperation.allCases.count
        + 3  // v128.store, v128.const, i8x16.shuffle
    #expect(SIMDOperation.allCases.count == 198)
    #expect(count == 236)
}

@Test func subopcodesAreDisjoint() {
    var seen = Set<UInt32>([0x0B, 0x0C, 0x0D])
    var all: [UInt32] = SIMDOperation.allCases.map(\.rawValue) + SIMDLoadOperation.allCases.map(\.rawValue)
        + SIMDLaneOperation.allCases.map(\.rawValue)
    all += SIMDLaneMemoryOperation.allCases.flatMap { [$0.loadSubopcode, $0.storeSubopcode] }
    for subopcode in all {
        #expect(seen.insert(subopcode).inserted, "subopcode \(subopcode) used twice")
    }
    #expect(seen.count == 236)
    #expect(seen.allSatisfy { $0 <= 0xFF })
}

/// The mnemonics must name the subopcodes WasmKit's independent text assembler emits.
@Test func mnemonicsMatchTheTextAssembler() throws {
    for operation in SIMDOperation.allCases {
        let parameters: String
        switch operation.signature {
        case .unary, .test: parameters = "v128"
        case .binary: parameters = "v128 v128"
        case .ternary: parameters = "v128 v128 v128"
        case .shift: parameters = "v128 i32"
        case .splat(let type): parameters = type.name
        }
        let count = parameters.split(separator: " ").count
        let gets = (0..<count).map { "local.get \($0)" }.joined(separator: " ")
        let text = "(module (func (param \(parameters)) \(gets) \(operation.name) drop))"
        let binary = try wat2wasm(text)
        let expected: [UInt8] = [0xFD] + leb(operation.rawValue) + [0x1A, 0x0B]
        #expect(Array(binary.suffix(expected.count)) == expected, "\(operation.name)")
    }
    for operation in SIMDLoadOperation.allCases {
        let binary = try wat2wasm("(module (memory 1) (func i32.const 0 \(operation.name) drop))")
        let expected: [UInt8] = [0xFD] + leb(operation.rawValue) + [UInt8(operation.naturalAlignment), 0, 0x1A, 0x0B]
        #expect(Array(binary.suffix(expected.count)) == expected, "\(operation.name)")
    }
    for operation in SIMDLaneOperation.allCases {
        let parameters = operation.isReplace ? "v128 \(operation.scalarType.name)" : "v128"
        let gets = operation.isReplace ? "local.get 0 local.get 1" : "local.get 0"
        let text = "(module (func (param \(parameters)) \(gets) \(operation.name) 1 drop))"
        let binary = try wat2wasm(text)
        let expected: [UInt8] = [0xFD] + leb(operation.rawValue) + [1, 0x1A, 0x0B]
        #expect(Array(binary.suffix(expected.count)) == expected, "\(operation.name)")
    }
    for operation in SIMDLaneMemoryOperation.allCases {
        let load = try wat2wasm(
            "(module (memory 1) (func (param v128) i32.const 0 local.get 0 \(operation.loadName) 1 drop))")
        let loadBytes: [UInt8] = [0xFD] + leb(operation.loadSubopcode) + [UInt8(operation.naturalAlignment), 0, 1, 0x1A, 0x0B]
        #expect(Array(load.suffix(loadBytes.count)) == loadBytes, "\(operation.loadName)")
        let store = try wat2wasm(
            "(module (memory 1) (func (param v128) i32.const 0 local.get 0 \(operation.storeName) 1))")
        let storeBytes: [UInt8] = [0xFD] + leb(operation.storeSubopcode) + [UInt8(operation.naturalAlignment), 0, 1, 0x0B]
        #expect(Array(store.suffix(storeBytes.count)) == storeBytes, "\(operation.storeName)")
    }
}

@Test func laneAndMemoryProperties() {
    #expect(SIMDLaneOperation.i8x16ExtractLaneS.laneCount == 16)
    #expect(SIMDLaneOperation.i16x8ReplaceLane.scalarType == .i32)
    #expect(SIMDLaneOperation.f64x2ExtractLane.laneCount == 2)
    #expect(SIMDLaneOperation.f64x2ExtractLane.scalarType == .f64)
    #expect(SIMDLaneOperation.i16x8ExtractLaneU.kind == .extractUnsigned)
    #expect(SIMDLaneMemoryOperation.lane32.memoryByteWidth == 4)
    #expect(SIMDLaneMemoryOperation.lane64.naturalAlignment == 3)
    #expect(SIMDLaneMemoryOperation(storeSubopcode: 0x59) == .lane16)
    #expect(SIMDLaneMemoryOperation(storeSubopcode: 0x55) == nil)
    for operation in SIMDLoadOperation.allCases {
        #expect(1 << Int(operation.naturalAlignment) == operation.memoryByteWidth)
    }
    #expect(SIMDLoadOperation.v128Load16x4U.kind == .extend(.i32x4, signed: false))
    #expect(SIMDOperation.i32x4TruncSatF64x2SZero.shape == .i32x4)
    #expect(SIMDOperation.v128Bitselect.shape == nil)
    #expect(SIMDOperation.f64x2Nearest.rawValue == 0x94)
    for shape in SIMDShape.allCases {
        #expect(shape.laneCount * shape.laneByteWidth == 16)
    }
}

// MARK: - Decoding

@Test func decodesEveryOperationWithoutImmediates() throws {
    for operation in SIMDOperation.allCases {
        #expect(try decodeSIMD(leb(operation.rawValue)) == .simd(operation))
    }
}

@Test func decodesImmediates() throws {
    let bytes: [UInt8] = Array(0..<16)
    let vector = V128(low: 0x0706_0504_0302_0100, high: 0x0F0E_0D0C_0B0A_0908)
    #expect(try decodeSIMD([0x0C] + bytes) == .v128Const(vector))
    #expect(try decodeSIMD([0x0D] + bytes) == .i8x16Shuffle(vector))
    #expect(vector.byte(9) == 9)

    #expect(try decodeSIMD([0x00, 0x04, 0x10]) == .simdLoad(.v128Load, MemoryArgument(align: 4, offset: 16)))
    #expect(try decodeSIMD([0x5D, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        == .simdLoad(.v128Load64Zero, MemoryArgument(align: 3, offset: 0xFFFF_FFFF)))
    #expect(try decodeSIMD([0x0B, 0x02, 0x00]) == .v128Store(MemoryArgument(align: 2, offset: 0)))
    #expect(try decodeSIMD([0x55, 0x01, 0x08, 0x07])
        == .simdLoadLane(.lane16, MemoryArgument(align: 1, offset: 8), lane: 7))
    #expect(try decodeSIMD([0x5B, 0x03, 0x00, 0x01])
        == .simdStoreLane(.lane64, MemoryArgument(align: 3, offset: 0), lane: 1))
    #expect(try decodeSIMD([0x21, 0x01]) == .simdLane(.f64x2ExtractLane, lane: 1))
    // Lane indices are range-checked by validation, not decoding.
    #expect(try decodeSIMD([0x17, 0xFF]) == .simdLane(.i8x16ReplaceLane, lane: 255))
}

@Test func acceptsPaddedSubopcodes() throws {
    #expect(try decodeSIMD(leb(0x0E, width: 5)) == .simd(.i8x16Swizzle))
    #expect(try decodeSIMD(leb(0x00, width: 3) + [0x00, 0x00]) == .simdLoad(.v128Load, MemoryArgument(align: 0, offset: 0)))
    #expect(try decodeSIMD([0xFF, 0x81, 0x80, 0x00]) == .simd(.f64x2ConvertLowI32x4U))
}

@Test func rejectsUnknownSubopcodes() {
    // Gaps in the 2.0 table, past the relaxed-SIMD subopcodes (0x100–0x113), and huge values.
    for subopcode: UInt32 in [0x9A, 0xA2, 0xA5, 0xAF, 0xBB, 0xE2, 0xEE, 0x114, 0x1FF, 0xFFFF_FFFF] {
        let error = decodingError(leb(subopcode))
        #expect(error?.phase == .decoding, "\(subopcode)")
        #expect(error?.message == "illegal opcode", "\(subopcode)")
        #expect(error?.offset == 0)
    }
}

@Test func rejectsTruncatedOrOversizedEncodings() {
    #expect(decodingError([])?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x80])?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x0C] + Array(repeating: 0, count: 15))?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x0D, 1, 2, 3])?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x15])?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x54, 0x00, 0x00])?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x58, 0x00])?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x00, 0x00])?.message.hasPrefix("unexpected end") == true)
    #expect(decodingError([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])?.message == "integer representation too long")
    #expect(decodingError([0xFF, 0xFF, 0xFF, 0xFF, 0x1F])?.message == "integer too large")
    #expect(decodingError([0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10])?.message == "integer too large")
}

// MARK: - Typing

@Test func typesEverySignature() throws {
    let cases: [(Instruction, [ValueType], [ValueType])] = [
        (.simd(.i8x16Add), [.v128, .v128], [.v128]),
        (.simd(.f32x4Sqrt), [.v128], [.v128]),
        (.simd(.v128Bitselect), [.v128, .v128, .v128], [.v128]),
        (.simd(.i64x2ShrS), [.v128, .i32], [.v128]),
        (.simd(.i16x8Bitmask), [.v128], [.i32]),
        (.simd(.v128AnyTrue), [.v128], [.i32]),
        (.simd(.i64x2Splat), [.i64], [.v128]),
        (.simd(.f64x2Splat), [.f64], [.v128]),
        (.v128Const(V128(low: 1, high: 2)), [], [.v128]),
        (.i8x16Shuffle(V128(low: 0x1F1F_1F1F_1F1F_1F1F, high: 0)), [.v128, .v128], [.v128]),
        (.simdLoad(.v128Load32Splat, MemoryArgument(align: 2, offset: 0)), [.i32], [.v128]),
        (.v128Store(MemoryArgument(align: 4, offset: 0)), [.i32, .v128], []),
        (.simdLoadLane(.lane8, MemoryArgument(align: 0, offset: 0), lane: 15), [.i32, .v128], [.v128]),
        (.simdStoreLane(.lane64, MemoryArgument(align: 3, offset: 0), lane: 1), [.i32, .v128], []),
        (.simdLane(.i8x16ExtractLaneU, lane: 15), [.v128], [.i32]),
        (.simdLane(.i64x2ReplaceLane, lane: 1), [.v128, .i64], [.v128]),
        (.simdLane(.f32x4ReplaceLane, lane: 3), [.v128, .f32], [.v128]),
        (.simdLane(.f64x2ExtractLane, lane: 0), [.v128], [.f64]),
    ]
    for (instruction, operands, results) in cases {
        let typing = try simdTyping(of: instruction, offset: 0)
        #expect(typing.operands == operands, "\(instruction)")
        #expect(typing.results == results, "\(instruction)")
    }
}

@Test func rejectsLaneIndicesOutOfRange() {
    for operation in SIMDLaneOperation.allCases {
        #expect(typingError(.simdLane(operation, lane: UInt8(operation.laneCount - 1))) == nil)
        let error = typingError(.simdLane(operation, lane: UInt8(operation.laneCount)))
        #expect(error == .invalid("invalid lane index", at: 7))
    }
    for operation in SIMDLaneMemoryOperation.allCases {
        let argument = MemoryArgument(align: 0, offset: 0)
        #expect(typingError(.simdLoadLane(operation, argument, lane: UInt8(operation.laneCount - 1))) == nil)
        #expect(typingError(.simdLoadLane(operation, argument, lane: UInt8(operation.laneCount)))?.message
            == "invalid lane index")
        #expect(typingError(.simdStoreLane(operation, argument, lane: 255))?.message == "invalid lane index")
    }
    var lanes = V128(low: 0x1F00_0000_0000_0000, high: 0x0000_0000_0000_001F)
    #expect(typingError(.i8x16Shuffle(lanes)) == nil)
    lanes.high |= 0x20 << 56
    #expect(typingError(.i8x16Shuffle(lanes))?.message == "invalid lane index")
    #expect(typingError(.i8x16Shuffle(V128(low: 0xFF, high: 0)))?.message == "invalid lane index")
}

@Test func rejectsOverAlignedAccesses() {
    for operation in SIMDLoadOperation.allCases {
        let natural = operation.naturalAlignment
        #expect(typingError(.simdLoad(operation, MemoryArgument(align: natural, offset: 0))) == nil)
        let error = typingError(.simdLoad(operation, MemoryArgument(align: natural + 1, offset: 0)))
        #expect(error == .invalid("alignment must not be larger than natural", at: 7))
    }
    #expect(typingError(.v128Store(MemoryArgument(align: 4, offset: 0))) == nil)
    #expect(typingError(.v128Store(MemoryArgument(align: 5, offset: 0)))?.message
        == "alignment must not be larger than natural")
    #expect(typingError(.v128Store(MemoryArgument(align: .max, offset: 0)))?.message
        == "alignment must not be larger than natural")
    for operation in SIMDLaneMemoryOperation.allCases {
        let tooLarge = MemoryArgument(align: operation.naturalAlignment + 1, offset: 0)
        #expect(typingError(.simdLoadLane(operation, tooLarge, lane: 0))?.message
            == "alignment must not be larger than natural")
        #expect(typingError(.simdStoreLane(operation, tooLarge, lane: 0))?.message
            == "alignment must not be larger than natural")
    }
}

@Test func rejectsNonSIMDInstructions() {
    #expect(typingError(.nop)?.phase == .validation)
}

// MARK: - Spec test suite (simd_*.wast)

/// Outcome counts of running the front end over the SIMD scripts of the spec test suite.
private struct SIMDSuiteTally {
    var modules = 0
    var malformed = 0
    var invalid = 0
    /// `assert_malformed` of text (`module quote`): a text-format matter, not the front end's.
    var textMalformed = 0
    /// Directives WasmKit's text parser or encoder does not accept.
    var unparsable = 0
    var failures: [String] = []
}

private let specSuiteDirectory = URL(fileURLWithPath: "/work/shared/testsuites/wasm-spec-2.0")

private func specSIMDScripts() -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: specSuiteDirectory.path)) ?? []
    return names.filter { $0.hasPrefix("simd_") && $0.hasSuffix(".wast") }.sorted()
        .map { specSuiteDirectory.appendingPathComponent($0) }
}

/// Binary of a module directive; `nil` for text that is only meaningful to a text parser.
private func moduleBinary(_ source: ModuleSource) throws -> [UInt8] {
    switch source {
    case .text(let wat): return try wat.encode()
    case .binary(let bytes): return bytes
    case .quote(let text): return try wat2wasm(String(decoding: text, as: UTF8.self))
    }
}

private func frontEnd(_ bytes: [UInt8]) throws(WasmError) {
    let module = try decodeModule(bytes)
    try validateModule(module)
}

/// The top-level `(module …)`, `(assert_invalid …)` and `(assert_malformed …)` forms of a
/// script, found by matching parentheses outside strings and comments. Everything else
/// becomes blank lines, so line numbers still point into the original script.
private func moduleDirectives(in source: [UInt8]) -> String {
    let wanted = ["(module", "(assert_invalid", "(assert_malformed"].map { Array($0.utf8) }
    var keptRanges: [ClosedRange<Int>] = []
    var index = 0
    var depth = 0
    var start = 0
    func at(_ offset: Int) -> UInt8? { offset < source.count ? source[offset] : nil }
    while index < source.count {
        let byte = source[index]
        if byte == UInt8(ascii: ";"), at(index + 1) == UInt8(ascii: ";") {
            while index < source.count, source[index] != UInt8(ascii: "\n") { index += 1 }
        } else if byte == UInt8(ascii: "("), at(index + 1) == UInt8(ascii: ";") {
            var nesting = 1
            index += 2
            while index < source.count, nesting > 0 {
                if source[index] == UInt8(ascii: "("), at(index + 1) == UInt8(ascii: ";") {
                    nesting += 1
                    index += 2
                } else if source[index] == UInt8(ascii: ";"), at(index + 1) == UInt8(ascii: ")") {
                    nesting -= 1
                    index += 2
                } else {
                    index += 1
                }
            }
            continue
        } else if byte == UInt8(ascii: "\"") {
            index += 1
            while index < source.count, source[index] != UInt8(ascii: "\"") {
                index += source[index] == UInt8(ascii: "\\") ? 2 : 1
            }
        } else if byte == UInt8(ascii: "(") {
            if depth == 0 { start = index }
            depth += 1
        } else if byte == UInt8(ascii: ")") {
            depth -= 1
            if depth == 0 {
                let form = source[start...index]
                if wanted.contains(where: { form.starts(with: $0) }) { keptRanges.append(start...index) }
            }
        }
        index += 1
    }
    var kept = source.map { $0 == UInt8(ascii: "\n") ? $0 : UInt8(ascii: " ") }
    for range in keptRanges { kept.replaceSubrange(range, with: source[range]) }
    return String(decoding: kept, as: UTF8.self)
}

private func runSIMDScript(_ url: URL, into tally: inout SIMDSuiteTally) throws {
    let name = url.lastPathComponent
    // Only the module-carrying directives matter here; dropping the thousands of
    // assert_return lines first makes WasmKit's (debug-built) parser ~100x faster.
    let text = moduleDirectives(in: Array(try Data(contentsOf: url)))
    var script = try parseWAST(text)
    while let (result, location) = script.nextDirectiveResult() {
        let place = "\(name):\(location.computeLineAndColumn().line)"
        guard case .success(let directive) = result else {
            tally.unparsable += 1
            continue
        }
        switch directive {
        case .module(let module):
            let bytes: [UInt8]
            do { bytes = try moduleBinary(module.source) } catch {
                tally.unparsable += 1
                continue
            }
            tally.modules += 1
            do { try frontEnd(bytes) } catch {
                tally.failures.append("\(place): module rejected: \(error.description)")
            }
        case .assertMalformed(let module, let message):
            // Only binary modules are malformed at the binary level; `module quote` tests
            // the text format, which this front end never sees.
            guard case .binary(let bytes) = module.source else {
                tally.textMalformed += 1
                continue
            }
            tally.malformed += 1
            do {
                try frontEnd(bytes)
                tally.failures.append("\(place): malformed module accepted (\(message))")
            } catch {
                if error.phase != .decoding {
                    tally.failures.append("\(place): expected a decoding error (\(message)), got \(error.description)")
                }
            }
        case .assertInvalid(let module, let message):
            let bytes: [UInt8]
            do { bytes = try moduleBinary(module.source) } catch {
                tally.unparsable += 1
                continue
            }
            tally.invalid += 1
            do {
                try frontEnd(bytes)
                tally.failures.append("\(place): invalid module accepted (\(message))")
            } catch {
                if error.phase != .validation || !error.message.hasPrefix(message) {
                    tally.failures.append("\(place): expected \"\(message)\", got \(error.description)")
                }
            }
        default:
            continue
        }
    }
}

/// One test case per script, so Swift Testing runs them in parallel and reports each file.
@Test(arguments: specSIMDScripts())
func specSIMDScriptDecodesAndValidates(_ script: URL) throws {
    var tally = SIMDSuiteTally()
    let clock = ContinuousClock()
    let elapsed = try clock.measure { try runSIMDScript(script, into: &tally) }
    print("\(script.lastPathComponent): \(tally.modules) modules, \(tally.malformed) malformed, "
        + "\(tally.invalid) invalid, \(tally.textMalformed) text-only malformed, \(tally.unparsable) unparsable, \(tally.failures.count) failures, \(elapsed)")
    for failure in tally.failures.prefix(20) { print("  " + failure) }
    #expect(tally.failures.isEmpty, "\(script.lastPathComponent)")
}

/// Relaxed SIMD: the subopcodes follow the 2.0 set, and the mnemonics name what WasmKit's
/// text assembler encodes.
@Test func relaxedSIMDMnemonicsMatchTheTextAssembler() throws {
    #expect(RelaxedSIMDOperation.allCases.count == 20)
    #expect(RelaxedSIMDOperation.allCases.allSatisfy { (0x100...0x113).contains($0.rawValue) })
    for operation in RelaxedSIMDOperation.allCases {
        let count = operation.signature.operandTypes.count
        let parameters = Array(repeating: "v128", count: count).joined(separator: " ")
        let gets = (0..<count).map { "local.get \($0)" }.joined(separator: " ")
        let binary = try wat2wasm("(module (func (param \(parameters)) \(gets) \(operation.name) drop))")
        let expected: [UInt8] = [0xFD] + leb(operation.rawValue) + [0x1A, 0x0B]
        #expect(Array(binary.suffix(expected.count)) == expected, "\(operation.name)")
        // And the decoder and validator accept it.
        #expect(throws: Never.self) { try validateModule(decodeModule(binary)) }
    }
}
