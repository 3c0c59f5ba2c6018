import Foundation
import Testing
import WasmFrontEnd
@testable import WasmCompiler

/// Relaxed SIMD: every instruction, on random and edge-case lanes, must give one of the results
/// the specification allows, in every feature configuration the code generator distinguishes
/// (SSE2 fallbacks; SSSE3/SSE4.1 without AVX; AVX2 + FMA when this machine has them), on both
/// tiers.
@Suite struct RelaxedSIMDTests {
    static let sse41 = X64CPUFeatures(hasPOPCNT: true, hasSSE41: true, hasSSSE3: true, hasSSE42: true)
    static let avx2FMA = X64CPUFeatures(hasPOPCNT: true, hasSSE41: true, hasAVX: true, hasAVX2: true,
                                        hasSSSE3: true, hasSSE42: true, hasFMA: true)

    static var configurations: [CompilerConfiguration] {
        var features: [X64CPUFeatures] = [.baseline, sse41]
        if hostHasAVX2AndFMA { features.append(avx2FMA) }
        // Both tiers: the optimising one bridges to the same emitters and must agree.
        return features.flatMap { features in
            [CompilerTier.baseline, .optimizing].map {
                CompilerConfiguration(boundsChecks: .guardRegion, cpuFeatures: features, tier: $0, verifyIR: $0 == .optimizing)
            }
        }
    }

    /// Lanes that exercise the relaxed cases: NaNs, ±0, out-of-range floats, top bits set.
    static func vectors(seed: UInt64) -> [V128] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
        let f32Specials: [UInt32] = [0x7FC0_0000, 0xFFC0_0001, 0x8000_0000, 0, 0x4F80_0000, 0xCF00_0001, 0x3F80_0000,
                                     0x7F80_0000, 0xFF80_0000, 0x4EFF_FFFF, 0xBF7F_FFFF, 0x4040_0000]
        let f64Specials: [UInt64] = [0x7FF8_0000_0000_0000, 0x8000_0000_0000_0000, 0, 0x41F0_0000_0000_0000,
                                     0xC1E0_0000_0020_0000, 0x3FF8_0000_0000_0000, 0x7FF0_0000_0000_0000]
        var result: [V128] = []
        for round in 0..<40 {
            switch round % 4 {
            case 0: result.append(V128(low: next(), high: next()))
            case 1:
                func pick() -> UInt64 { UInt64(f32Specials[Int(next() % UInt64(f32Specials.count))]) }
                result.append(V128(low: pick() | pick() << 32, high: pick() | pick() << 32))
            case 2: result.append(V128(low: f64Specials[Int(next() % 7)], high: f64Specials[Int(next() % 7)]))
            default:
                // Bytes near the interesting boundaries (0x7F/0x80, 16).
                let bytes: [UInt64] = [0x00, 0x0F, 0x10, 0x7F, 0x80, 0x81, 0xFF, 0x01]
                var low: UInt64 = 0, high: UInt64 = 0
                for index in 0..<8 {
                    low |= bytes[Int(next() % 8)] << (8 * UInt64(index))
                    high |= bytes[Int(next() % 8)] << (8 * UInt64(index))
                }
                result.append(V128(low: low, high: high))
            }
        }
        return result
    }

    @Test(arguments: configurations)
    func everyInstructionGivesAnAllowedResult(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        var functions: [RelaxedSIMDOperation: UInt32] = [:]
        for operation in RelaxedSIMDOperation.allCases {
            let count = operation.signature.operandTypes.count
            var body: [UInt8] = []
            for index in 0..<count { body += [0x20, UInt8(index)] }
            body += [0xFD] + leb128(operation.rawValue)
            functions[operation] = builder.function(Array(repeating: .v128, count: count), [.v128], body)
        }
        let instance = try load(builder, configuration)
        let inputs = Self.vectors(seed: 7)
        for operation in RelaxedSIMDOperation.allCases {
            let count = operation.signature.operandTypes.count
            for round in 0..<inputs.count {
                let operands = (0..<count).map { inputs[(round + 13 * $0) % inputs.count] }
                let arguments = operands.flatMap { [$0.low, $0.high] }
                guard case .values(let values) = instance.call(functions[operation]!, arguments), values.count == 2 else {
                    Issue.record("\(operation.name) did not return a v128")
                    continue
                }
                let result = V128(low: values[0], high: values[1])
                #expect(RelaxedReference.allows(operation, operands, result),
                        "\(operation.name)\(operands.map(hex)) = \(hex(result)) with \(configuration.cpuFeatures)")
            }
        }
    }
}

private func hex(_ value: V128) -> String { String(value.high, radix: 16) + ":" + String(value.low, radix: 16) }

private func leb128(_ value: UInt32) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    repeat {
        var byte = UInt8(value & 0x7F)
        value >>= 7
        if value != 0 { byte |= 0x80 }
        bytes.append(byte)
    } while value != 0
    return bytes
}

/// The sets of results the relaxed SIMD specification allows, lane by lane.
enum RelaxedReference {
    static func bytes(_ v: V128) -> [UInt8] { (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? v.low : v.high) >> (8 * UInt64($0 % 8))) } }
    static func words(_ v: V128) -> [UInt16] { (0..<8).map { UInt16(truncatingIfNeeded: ($0 < 4 ? v.low : v.high) >> (16 * UInt64($0 % 4))) } }
    static func dwords(_ v: V128) -> [UInt32] { (0..<4).map { UInt32(truncatingIfNeeded: ($0 < 2 ? v.low : v.high) >> (32 * UInt64($0 % 2))) } }
    static func qwords(_ v: V128) -> [UInt64] { [v.low, v.high] }

    static func allows(_ operation: RelaxedSIMDOperation, _ x: [V128], _ result: V128) -> Bool {
        switch operation {
        case .i8x16RelaxedSwizzle:
            let (a, s, r) = (bytes(x[0]), bytes(x[1]), bytes(result))
            return (0..<16).allSatisfy { i in
                let index = Int(s[i])
                if index < 16 { return r[i] == a[index] }
                if index >= 128 { return r[i] == 0 }
                return r[i] == 0 || r[i] == a[index % 16]
            }
        case .i32x4RelaxedTruncF32x4S, .i32x4RelaxedTruncF32x4U:
            let signed = operation == .i32x4RelaxedTruncF32x4S
            let (a, r) = (dwords(x[0]), dwords(result))
            return (0..<4).allSatisfy { truncationAllows(Double(Float(bitPattern: a[$0])), r[$0], signed: signed) }
        case .i32x4RelaxedTruncF64x2SZero, .i32x4RelaxedTruncF64x2UZero:
            let signed = operation == .i32x4RelaxedTruncF64x2SZero
            let (a, r) = (qwords(x[0]), dwords(result))
            return r[2] == 0 && r[3] == 0
                && (0..<2).allSatisfy { truncationAllows(Double(bitPattern: a[$0]), r[$0], signed: signed) }
        case .f32x4RelaxedMadd, .f32x4RelaxedNmadd:
            let negate = operation == .f32x4RelaxedNmadd
            let (a, b, c, r) = (dwords(x[0]), dwords(x[1]), dwords(x[2]), dwords(result))
            return (0..<4).allSatisfy { i in
                let fa = Float(bitPattern: a[i]) * (negate ? -1 : 1), fb = Float(bitPattern: b[i]), fc = Float(bitPattern: c[i])
                return floatMatches(r[i], [fc.addingProduct(fa, fb), fa * fb + fc])
            }
        case .f64x2RelaxedMadd, .f64x2RelaxedNmadd:
            let negate = operation == .f64x2RelaxedNmadd
            let (a, b, c, r) = (qwords(x[0]), qwords(x[1]), qwords(x[2]), qwords(result))
            return (0..<2).allSatisfy { i in
                let fa = Double(bitPattern: a[i]) * (negate ? -1 : 1), fb = Double(bitPattern: b[i]), fc = Double(bitPattern: c[i])
                return doubleMatches(r[i], [fc.addingProduct(fa, fb), fa * fb + fc])
            }
        case .i8x16RelaxedLaneselect:
            return laneSelectAllows(bytes(x[0]).map(UInt64.init), bytes(x[1]).map(UInt64.init), bytes(x[2]).map(UInt64.init),
                                    bytes(result).map(UInt64.init), width: 8)
        case .i16x8RelaxedLaneselect:
            return laneSelectAllows(words(x[0]).map(UInt64.init), words(x[1]).map(UInt64.init), words(x[2]).map(UInt64.init),
                                    words(result).map(UInt64.init), width: 16)
        case .i32x4RelaxedLaneselect:
            return laneSelectAllows(dwords(x[0]).map(UInt64.init), dwords(x[1]).map(UInt64.init), dwords(x[2]).map(UInt64.init),
                                    dwords(result).map(UInt64.init), width: 32)
        case .i64x2RelaxedLaneselect:
            return laneSelectAllows(qwords(x[0]), qwords(x[1]), qwords(x[2]), qwords(result), width: 64)
        case .f32x4RelaxedMin, .f32x4RelaxedMax:
            let minimum = operation == .f32x4RelaxedMin
            let (a, b, r) = (dwords(x[0]), dwords(x[1]), dwords(result))
            return (0..<4).allSatisfy { i in
                minMaxAllows(Double(Float(bitPattern: a[i])), Double(Float(bitPattern: b[i])),
                             Double(Float(bitPattern: r[i])), minimum: minimum)
            }
        case .f64x2RelaxedMin, .f64x2RelaxedMax:
            let minimum = operation == .f64x2RelaxedMin
            let (a, b, r) = (qwords(x[0]), qwords(x[1]), qwords(result))
            return (0..<2).allSatisfy { i in
                minMaxAllows(Double(bitPattern: a[i]), Double(bitPattern: b[i]), Double(bitPattern: r[i]), minimum: minimum)
            }
        case .i16x8RelaxedQ15mulrS:
            let (a, b, r) = (words(x[0]), words(x[1]), words(result))
            return (0..<8).allSatisfy { i in
                let product = (Int32(Int16(bitPattern: a[i])) * Int32(Int16(bitPattern: b[i])) + 0x4000) >> 15
                if product == 0x8000 { return r[i] == 0x7FFF || r[i] == 0x8000 }
                return r[i] == UInt16(truncatingIfNeeded: product)
            }
        case .i16x8RelaxedDotI8x16I7x16S:
            let r = words(result)
            // One interpretation for the whole instruction (a machine is consistent).
            return dotChoices(x[0], x[1]).contains { choice in (0..<8).allSatisfy { r[$0] == choice[$0] } }
        case .i32x4RelaxedDotI8x16I7x16AddS:
            let (c, r) = (dwords(x[2]), dwords(result))
            return dotChoices(x[0], x[1]).contains { choice in
                (0..<4).allSatisfy { i in
                    let sum = Int32(Int16(bitPattern: choice[2 * i])) &+ Int32(Int16(bitPattern: choice[2 * i + 1]))
                    return r[i] == UInt32(bitPattern: sum &+ Int32(bitPattern: c[i]))
                }
            }
        }
    }

    /// NaN or out of range: the saturated result, or INT32_MIN (signed) / UINT32_MAX (unsigned).
    static func truncationAllows(_ value: Double, _ lane: UInt32, signed: Bool) -> Bool {
        let saturated: UInt32
        if value.isNaN { saturated = 0 }
        else if signed { saturated = UInt32(bitPattern: Int32(max(-2147483648, min(2147483647, value.rounded(.towardZero))))) }
        else { saturated = UInt32(max(0, min(4294967295, value.rounded(.towardZero)))) }
        let inRange = signed ? (value > -2147483649 && value < 2147483648) : (value > -1 && value < 4294967296)
        if inRange && !value.isNaN { return lane == saturated }
        return lane == saturated || lane == (signed ? 0x8000_0000 : 0xFFFF_FFFF)
    }

    static func floatMatches(_ lane: UInt32, _ candidates: [Float]) -> Bool {
        let value = Float(bitPattern: lane)
        return candidates.contains { $0.isNaN ? value.isNaN : $0.bitPattern == lane }
    }

    static func doubleMatches(_ lane: UInt64, _ candidates: [Double]) -> Bool {
        let value = Double(bitPattern: lane)
        return candidates.contains { $0.isNaN ? value.isNaN : $0.bitPattern == lane }
    }

    static func laneSelectAllows(_ a: [UInt64], _ b: [UInt64], _ mask: [UInt64], _ result: [UInt64], width: Int) -> Bool {
        let ones: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        return (0..<a.count).allSatisfy { i in
            let bitwise = (a[i] & mask[i]) | (b[i] & ~mask[i] & ones)
            if mask[i] == ones || mask[i] == 0 { return result[i] == bitwise }
            let topBit = mask[i] >> UInt64(width - 1) & 1 != 0 ? a[i] : b[i]
            return result[i] == bitwise || result[i] == topBit
        }
    }

    /// Either the wasm min/max, or (for NaN operands and zeros of both signs) either operand or a NaN.
    static func minMaxAllows(_ a: Double, _ b: Double, _ result: Double, minimum: Bool) -> Bool {
        if a.isNaN || b.isNaN { return result.isNaN || result.bitPattern == a.bitPattern || result.bitPattern == b.bitPattern }
        if a == 0 && b == 0 { return result == 0 }
        return result == (minimum ? Swift.min(a, b) : Swift.max(a, b))
    }

    /// The i16 lanes of the dot product for each allowed reading of b's bytes (signed or
    /// unsigned when the top bit is set) and each treatment of overflow (wrap or saturate).
    static func dotChoices(_ a: V128, _ b: V128) -> [[UInt16]] {
        let (ab, bb) = (bytes(a), bytes(b))
        var choices: [[UInt16]] = []
        for unsignedB in [false, true] {
            for saturate in [false, true] {
                choices.append((0..<8).map { i in
                    func term(_ k: Int) -> Int32 {
                        Int32(Int8(bitPattern: ab[k])) * (unsignedB ? Int32(bb[k]) : Int32(Int8(bitPattern: bb[k])))
                    }
                    let sum = term(2 * i) + term(2 * i + 1)
                    return UInt16(truncatingIfNeeded: saturate ? max(-32768, min(32767, sum)) : sum)
                })
            }
        }
        return choices
    }
}
