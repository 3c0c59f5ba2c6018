import Testing
import WasmFrontEnd
@testable import WasmCompiler

/// Float arithmetic, rounding, comparisons and conversions, with and without SSE4.1 and in
/// both bounds-check modes. Expected values come from Swift's own IEEE operations.
@Suite(.serialized) struct FloatLoweringTests {
    static let doubles: [Double] = [0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, 0.49999999999999994, -7.25, 1e300,
                                    -1e-300, 4503599627370495.5, -4503599627370497, .infinity, -.infinity,
                                    .greatestFiniteMagnitude, .leastNonzeroMagnitude]
    static let floats: [Float] = [0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -7.25, 8388607.5, -8388609,
                                  .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude]

    @Test(arguments: allConfigurations)
    func roundingMatchesIEEE(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        for op in [NumericOperation.f64Ceil, .f64Floor, .f64Trunc, .f64Nearest, .f64Sqrt, .f64Abs, .f64Neg] {
            builder.function([.f64], [.f64], W.get(0), W.op(op))
        }
        for op in [NumericOperation.f32Ceil, .f32Floor, .f32Trunc, .f32Nearest, .f32Sqrt, .f32Abs, .f32Neg] {
            builder.function([.f32], [.f32], W.get(0), W.op(op))
        }
        let instance = try load(builder, configuration)
        let doubleOps: [(Double) -> Double] = [{ $0.rounded(.up) }, { $0.rounded(.down) }, { $0.rounded(.towardZero) },
                                               { $0.rounded(.toNearestOrEven) }, { $0.squareRoot() }, { abs($0) }, { -$0 }]
        let floatOps: [(Float) -> Float] = [{ $0.rounded(.up) }, { $0.rounded(.down) }, { $0.rounded(.towardZero) },
                                            { $0.rounded(.toNearestOrEven) }, { $0.squareRoot() }, { abs($0) }, { -$0 }]
        for value in Self.doubles {
            for (index, op) in doubleOps.enumerated() {
                let expected = op(value)
                let outcome = instance.call(UInt32(index), [f64(value)])
                #expect(outcome == .values([expected.isNaN ? Double.nan.bitPattern : f64(expected)]) || (expected.isNaN && isNaNOutcome(outcome, bits: 64)),
                        "f64 op \(index) of \(value)")
            }
        }
        for value in Self.floats {
            for (index, op) in floatOps.enumerated() {
                let expected = op(value)
                let outcome = instance.call(UInt32(doubleOps.count + index), [f32(value)])
                #expect(outcome == .values([f32(expected)]) || (expected.isNaN && isNaNOutcome(outcome, bits: 32)),
                        "f32 op \(index) of \(value)")
            }
        }
        // NaN inputs give a quiet NaN (a signalling NaN is quieted).
        let signalling64: UInt64 = 0x7FF0_0000_0000_0001
        for index in 0..<4 {
            guard case .values(let values) = instance.call(UInt32(index), [signalling64]) else { Issue.record(); continue }
            #expect(Double(bitPattern: values[0]).isNaN && values[0] & (1 << 51) != 0)
        }
        let signalling32: UInt64 = 0x7FA0_0000
        for index in 0..<4 {
            guard case .values(let values) = instance.call(UInt32(doubleOps.count + index), [signalling32]) else { Issue.record(); continue }
            #expect(Float(bitPattern: UInt32(values[0])).isNaN && values[0] & (1 << 22) != 0)
        }
        // abs/neg only touch the sign bit, even of NaNs.
        #expect(instance.call(5, [signalling64 | 1 << 63]) == .values([signalling64]))
        #expect(instance.call(UInt32(doubleOps.count + 6), [signalling32]) == .values([signalling32 | 1 << 31]))
    }

    func isNaNOutcome(_ outcome: JITInstance.Outcome, bits: Int) -> Bool {
        guard case .values(let values) = outcome, let value = values.first else { return false }
        return bits == 64 ? Double(bitPattern: value).isNaN : Float(bitPattern: UInt32(value)).isNaN
    }

    @Test(arguments: allConfigurations)
    func arithmeticMinMaxAndCompare(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        let binary: [NumericOperation] = [.f64Add, .f64Sub, .f64Mul, .f64Div, .f64Min, .f64Max, .f64Copysign]
        for op in binary { builder.function([.f64, .f64], [.f64], W.get(0), W.get(1), W.op(op)) }
        let compares: [NumericOperation] = [.f64Eq, .f64Ne, .f64Lt, .f64Gt, .f64Le, .f64Ge]
        for op in compares { builder.function([.f64, .f64], [.i32], W.get(0), W.get(1), W.op(op)) }
        let binary32: [NumericOperation] = [.f32Add, .f32Sub, .f32Mul, .f32Div, .f32Min, .f32Max, .f32Copysign]
        for op in binary32 { builder.function([.f32, .f32], [.f32], W.get(0), W.get(1), W.op(op)) }
        let compares32: [NumericOperation] = [.f32Eq, .f32Ne, .f32Lt, .f32Gt, .f32Le, .f32Ge]
        for op in compares32 { builder.function([.f32, .f32], [.i32], W.get(0), W.get(1), W.op(op)) }
        // A constant operand.
        let addConstant = builder.function([.f64], [.f64], W.get(0), W.f64(0.25), W.op(.f64Add))
        let instance = try load(builder, configuration)

        func wasmMin<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T {
            if a.isNaN || b.isNaN { return .nan }
            if a == 0 && b == 0 { return a.sign == .minus ? a : b }
            return Swift.min(a, b)
        }
        func wasmMax<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T {
            if a.isNaN || b.isNaN { return .nan }
            if a == 0 && b == 0 { return a.sign == .plus ? a : b }
            return Swift.max(a, b)
        }
        let values: [Double] = [0, -0.0, 1, -1, 2.5, .infinity, -.infinity, .nan]
        for a in values {
            for b in values {
                let results: [Double] = [a + b, a - b, a * b, a / b, wasmMin(a, b), wasmMax(a, b), Double(sign: b.sign, exponentBitPattern: a.exponentBitPattern, significandBitPattern: a.significandBitPattern)]
                for (index, expected) in results.enumerated() {
                    let outcome = instance.call(UInt32(index), [f64(a), f64(b)])
                    #expect(outcome == .values([f64(expected)]) || (expected.isNaN && isNaNOutcome(outcome, bits: 64)),
                            "f64 \(binary[index]) \(a) \(b)")
                }
                let truths: [Bool] = [a == b, a != b, a < b, a > b, a <= b, a >= b]
                for (index, expected) in truths.enumerated() {
                    #expect(instance.callI32(UInt32(binary.count + index), [f64(a), f64(b)]) == (expected ? 1 : 0),
                            "f64 \(compares[index]) \(a) \(b)")
                }
                let x = Float(a), y = Float(b)
                let results32: [Float] = [x + y, x - y, x * y, x / y, wasmMin(x, y), wasmMax(x, y), Float(sign: y.sign, exponentBitPattern: x.exponentBitPattern, significandBitPattern: x.significandBitPattern)]
                let base = binary.count + compares.count
                for (index, expected) in results32.enumerated() {
                    let outcome = instance.call(UInt32(base + index), [f32(x), f32(y)])
                    #expect(outcome == .values([f32(expected)]) || (expected.isNaN && isNaNOutcome(outcome, bits: 32)),
                            "f32 \(binary32[index]) \(x) \(y)")
                }
                let truths32: [Bool] = [x == y, x != y, x < y, x > y, x <= y, x >= y]
                for (index, expected) in truths32.enumerated() {
                    #expect(instance.callI32(UInt32(base + binary32.count + index), [f32(x), f32(y)]) == (expected ? 1 : 0))
                }
            }
        }
        #expect(instance.call(addConstant, [f64(1)]) == .values([f64(1.25)]))
    }

    @Test(arguments: allConfigurations)
    func conversions(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        let toInteger: [(NumericOperation, ValueType, ValueType)] = [
            (.i32TruncF32S, .f32, .i32), (.i32TruncF32U, .f32, .i32), (.i32TruncF64S, .f64, .i32), (.i32TruncF64U, .f64, .i32),
            (.i64TruncF32S, .f32, .i64), (.i64TruncF32U, .f32, .i64), (.i64TruncF64S, .f64, .i64), (.i64TruncF64U, .f64, .i64),
            (.i32TruncSatF32S, .f32, .i32), (.i32TruncSatF32U, .f32, .i32), (.i32TruncSatF64S, .f64, .i32), (.i32TruncSatF64U, .f64, .i32),
            (.i64TruncSatF32S, .f32, .i64), (.i64TruncSatF32U, .f32, .i64), (.i64TruncSatF64S, .f64, .i64), (.i64TruncSatF64U, .f64, .i64),
        ]
        for (op, from, to) in toInteger { builder.function([from], [to], W.get(0), W.op(op)) }
        let toFloat: [(NumericOperation, ValueType, ValueType)] = [
            (.f32ConvertI32S, .i32, .f32), (.f32ConvertI32U, .i32, .f32), (.f32ConvertI64S, .i64, .f32), (.f32ConvertI64U, .i64, .f32),
            (.f64ConvertI32S, .i32, .f64), (.f64ConvertI32U, .i32, .f64), (.f64ConvertI64S, .i64, .f64), (.f64ConvertI64U, .i64, .f64),
            (.f32DemoteF64, .f64, .f32), (.f64PromoteF32, .f32, .f64),
            (.i32ReinterpretF32, .f32, .i32), (.i64ReinterpretF64, .f64, .i64), (.f32ReinterpretI32, .i32, .f32), (.f64ReinterpretI64, .i64, .f64),
        ]
        for (op, from, to) in toFloat { builder.function([from], [to], W.get(0), W.op(op)) }
        let instance = try load(builder, configuration)

        /// Reference: exact truncation with the wasm trap/saturation rules.
        func reference(_ value: Double, signed: Bool, bits: Int, saturating: Bool) -> JITInstance.Outcome {
            let power = Double(sign: .plus, exponent: signed ? bits - 1 : bits, significand: 1)
            let low: Double = signed ? -power : 0
            let high: Double = power
            if value.isNaN { return saturating ? .values([0]) : .trap(.invalidConversionToInteger) }
            let truncated = value.rounded(.towardZero)
            let mask: UInt64 = bits == 32 ? 0xFFFF_FFFF : UInt64.max
            if truncated < low {
                return saturating ? .values([signed ? UInt64(bitPattern: Int64(low)) & mask : 0]) : .trap(.integerOverflow)
            }
            if truncated >= high {
                let maximum: UInt64 = signed ? mask >> 1 : mask
                return saturating ? .values([maximum]) : .trap(.integerOverflow)
            }
            if signed { return .values([UInt64(bitPattern: Int64(truncated)) & mask]) }
            return .values([UInt64(truncated)])
        }
        let samples: [Double] = [0, -0.0, 0.9, -0.9, -1, 1.5, -1.5, 2147483647, 2147483647.9, 2147483648, -2147483648,
                                 -2147483648.9, -2147483649, 4294967295, 4294967296, 9.2233720368547748e18,
                                 9223372036854775807, 9223372036854775808, -9223372036854775808, -9.2233720368547779e18,
                                 18446744073709549568, 18446744073709551616, .infinity, -.infinity, .nan, 1e30, -1e30]
        for value in samples {
            for (index, (_, from, to)) in toInteger.enumerated() {
                let saturating = index >= 8
                let signed = index % 2 == 0
                let input = from == .f32 ? Double(Float(value)) : value
                let argument = from == .f32 ? f32(Float(value)) : f64(value)
                let expected = reference(input, signed: signed, bits: to == .i32 ? 32 : 64, saturating: saturating)
                #expect(instance.call(UInt32(index), [argument]) == expected, "\(toInteger[index].0) \(input)")
            }
        }
        let base = UInt32(toInteger.count)
        let integers: [Int64] = [0, 1, -1, 123_456_789, Int64(Int32.min), Int64(Int32.max), Int64.min, Int64.max,
                                 0x0020_0000_0000_0001, -0x0020_0000_0000_0001, Int64(bitPattern: 0x8000_0000_0000_0401),
                                 Int64(bitPattern: 0xFFFF_FFFF_FFFF_F7FF)]
        for value in integers {
            let low = Int32(truncatingIfNeeded: value)
            #expect(instance.call(base + 0, [u32(low)]) == .values([f32(Float(low))]))
            #expect(instance.call(base + 1, [u32(low)]) == .values([f32(Float(UInt32(bitPattern: low)))]))
            #expect(instance.call(base + 2, [u64(value)]) == .values([f32(Float(value))]))
            #expect(instance.call(base + 3, [u64(value)]) == .values([f32(Float(UInt64(bitPattern: value)))]), "\(value)")
            #expect(instance.call(base + 4, [u32(low)]) == .values([f64(Double(low))]))
            #expect(instance.call(base + 5, [u32(low)]) == .values([f64(Double(UInt32(bitPattern: low)))]))
            #expect(instance.call(base + 6, [u64(value)]) == .values([f64(Double(value))]))
            #expect(instance.call(base + 7, [u64(value)]) == .values([f64(Double(UInt64(bitPattern: value)))]), "\(value)")
        }
        #expect(instance.call(base + 8, [f64(1.0 / 3)]) == .values([f32(Float(1.0 / 3))]))
        #expect(instance.call(base + 9, [f32(0.1)]) == .values([f64(Double(Float(0.1)))]))
        #expect(instance.call(base + 10, [f32(-1.5)]) == .values([UInt64(Float(-1.5).bitPattern)]))
        #expect(instance.call(base + 11, [f64(-1.5)]) == .values([Double(-1.5).bitPattern]))
        #expect(instance.call(base + 12, [0x7FA0_0001]) == .values([0x7FA0_0001]))
        #expect(instance.call(base + 13, [0x7FF0_0000_0000_0001]) == .values([0x7FF0_0000_0000_0001]))
    }
}
