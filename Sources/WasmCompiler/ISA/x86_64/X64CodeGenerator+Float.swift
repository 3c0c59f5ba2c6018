import WasmFrontEnd

extension X64CodeGenerator {
    mutating func emitFloatNumeric(_ operation: NumericOperation) {
        switch operation {
        case .f32Add: emitFloatBinary(.add, .f32)
        case .f32Sub: emitFloatBinary(.sub, .f32)
        case .f32Mul: emitFloatBinary(.mul, .f32)
        case .f32Div: emitFloatBinary(.div, .f32)
        case .f64Add: emitFloatBinary(.add, .f64)
        case .f64Sub: emitFloatBinary(.sub, .f64)
        case .f64Mul: emitFloatBinary(.mul, .f64)
        case .f64Div: emitFloatBinary(.div, .f64)
        case .f32Min: emitMinMax(.f32, isMin: true)
        case .f32Max: emitMinMax(.f32, isMin: false)
        case .f64Min: emitMinMax(.f64, isMin: true)
        case .f64Max: emitMinMax(.f64, isMin: false)
        case .f32Sqrt, .f64Sqrt:
            let type: ValueType = operation == .f32Sqrt ? .f32 : .f64
            let value = popXMM()
            assembler.floatArithmetic(.sqrt, Self.precision(type), value, value)
            pushXMM(type, value)
        case .f32Abs: emitSignBit(.f32, .btr)
        case .f32Neg: emitSignBit(.f32, .btc)
        case .f64Abs: emitSignBit(.f64, .btr)
        case .f64Neg: emitSignBit(.f64, .btc)
        case .f32Copysign: emitCopysign(.f32)
        case .f64Copysign: emitCopysign(.f64)
        case .f32Ceil: emitRound(.f32, .ceil)
        case .f32Floor: emitRound(.f32, .floor)
        case .f32Trunc: emitRound(.f32, .trunc)
        case .f32Nearest: emitRound(.f32, .nearest)
        case .f64Ceil: emitRound(.f64, .ceil)
        case .f64Floor: emitRound(.f64, .floor)
        case .f64Trunc: emitRound(.f64, .trunc)
        case .f64Nearest: emitRound(.f64, .nearest)

        case .f32Eq: emitFloatCompare(.f32, .eq)
        case .f32Ne: emitFloatCompare(.f32, .ne)
        case .f32Lt: emitFloatCompare(.f32, .lt)
        case .f32Gt: emitFloatCompare(.f32, .gt)
        case .f32Le: emitFloatCompare(.f32, .le)
        case .f32Ge: emitFloatCompare(.f32, .ge)
        case .f64Eq: emitFloatCompare(.f64, .eq)
        case .f64Ne: emitFloatCompare(.f64, .ne)
        case .f64Lt: emitFloatCompare(.f64, .lt)
        case .f64Gt: emitFloatCompare(.f64, .gt)
        case .f64Le: emitFloatCompare(.f64, .le)
        case .f64Ge: emitFloatCompare(.f64, .ge)

        case .i32TruncF32S: emitTruncate(from: .f32, to: .i32, signed: true, saturating: false)
        case .i32TruncF32U: emitTruncate(from: .f32, to: .i32, signed: false, saturating: false)
        case .i32TruncF64S: emitTruncate(from: .f64, to: .i32, signed: true, saturating: false)
        case .i32TruncF64U: emitTruncate(from: .f64, to: .i32, signed: false, saturating: false)
        case .i64TruncF32S: emitTruncate(from: .f32, to: .i64, signed: true, saturating: false)
        case .i64TruncF32U: emitTruncate(from: .f32, to: .i64, signed: false, saturating: false)
        case .i64TruncF64S: emitTruncate(from: .f64, to: .i64, signed: true, saturating: false)
        case .i64TruncF64U: emitTruncate(from: .f64, to: .i64, signed: false, saturating: false)
        case .i32TruncSatF32S: emitTruncate(from: .f32, to: .i32, signed: true, saturating: true)
        case .i32TruncSatF32U: emitTruncate(from: .f32, to: .i32, signed: false, saturating: true)
        case .i32TruncSatF64S: emitTruncate(from: .f64, to: .i32, signed: true, saturating: true)
        case .i32TruncSatF64U: emitTruncate(from: .f64, to: .i32, signed: false, saturating: true)
        case .i64TruncSatF32S: emitTruncate(from: .f32, to: .i64, signed: true, saturating: true)
        case .i64TruncSatF32U: emitTruncate(from: .f32, to: .i64, signed: false, saturating: true)
        case .i64TruncSatF64S: emitTruncate(from: .f64, to: .i64, signed: true, saturating: true)
        case .i64TruncSatF64U: emitTruncate(from: .f64, to: .i64, signed: false, saturating: true)

        case .f32ConvertI32S: emitConvert(from: .i32, to: .f32, signed: true)
        case .f32ConvertI32U: emitConvert(from: .i32, to: .f32, signed: false)
        case .f32ConvertI64S: emitConvert(from: .i64, to: .f32, signed: true)
        case .f32ConvertI64U: emitConvert(from: .i64, to: .f32, signed: false)
        case .f64ConvertI32S: emitConvert(from: .i32, to: .f64, signed: true)
        case .f64ConvertI32U: emitConvert(from: .i32, to: .f64, signed: false)
        case .f64ConvertI64S: emitConvert(from: .i64, to: .f64, signed: true)
        case .f64ConvertI64U: emitConvert(from: .i64, to: .f64, signed: false)
        case .f32DemoteF64:
            let value = popXMM()
            assembler.cvtFloatToFloat(from: .double, value, value)
            pushXMM(.f32, value)
        case .f64PromoteF32:
            let value = popXMM()
            assembler.cvtFloatToFloat(from: .single, value, value)
            pushXMM(.f64, value)

        case .i32ReinterpretF32, .i64ReinterpretF64:
            let type: ValueType = operation == .i32ReinterpretF32 ? .i32 : .i64
            let value = popXMM()
            let register = allocateGPR()
            assembler.movFromXMM(Self.size(of: type), register, value)
            release(value)
            pushGPR(type, register)
        case .f32ReinterpretI32, .f64ReinterpretI64:
            let type: ValueType = operation == .f32ReinterpretI32 ? .f32 : .f64
            let value = popGPR()
            let register = allocateXMM()
            assembler.movToXMM(type == .f32 ? .bits32 : .bits64, register, value)
            release(value)
            pushXMM(type, register)
        default:
            preconditionFailure("integer operation routed to the float lowering")
        }
    }

    static func precision(_ type: ValueType) -> X64Assembler.FloatPrecision { type == .f32 ? .single : .double }

    /// The right operand as a register or slot operand of an SSE instruction; constants go
    /// through xmm15.
    mutating func floatOperand(_ entry: StackEntry, position: Int) -> (register: X64XMM?, memory: X64Memory?) {
        switch entry.location {
        case .xmm(let register): return (register, nil)
        case .spilled: return (nil, slotAddress(position))
        case .constant(let bits):
            loadFloatConstant(Self.scratchXMM, bits, entry.type)
            return (Self.scratchXMM, nil)
        case .gpr: preconditionFailure("float operand in a general-purpose register")
        }
    }

    mutating func emitFloatBinary(_ operation: X64Assembler.FloatArithmetic, _ type: ValueType) {
        let position = stack.count - 1
        let rhs = pop()
        let lhs = popXMM()
        let operand = floatOperand(rhs, position: position)
        if let register = operand.register {
            assembler.floatArithmetic(operation, Self.precision(type), lhs, register)
        } else if let memory = operand.memory {
            assembler.floatArithmetic(operation, Self.precision(type), lhs, memory)
        }
        release(rhs)
        pushXMM(type, lhs)
    }

    /// WebAssembly min/max: NaN if either operand is NaN, and min(-0, +0) = -0, max = +0,
    /// which `minss`/`maxss` alone do not give.
    mutating func emitMinMax(_ type: ValueType, isMin: Bool) {
        let precision = Self.precision(type)
        let position = stack.count - 1
        let rhsEntry = pop()
        let rhs = materializeXMM(rhsEntry, position: position)
        let lhs = popXMM()
        let nan = assembler.newLabel()
        let ordered = assembler.newLabel()
        let done = assembler.newLabel()
        assembler.ucomis(precision, lhs, rhs)
        assembler.jcc(.parity, nan, short: true)
        assembler.jcc(.notEqual, ordered, short: true)
        // Equal: only ±0 differ; the sign bits combine (or for min, and for max).
        assembler.floatBitwise(isMin ? .or : .and, precision, lhs, rhs)
        assembler.jmp(done, short: true)
        assembler.bind(nan)
        assembler.floatArithmetic(.add, precision, lhs, rhs)  // propagates a (quiet) NaN
        assembler.jmp(done, short: true)
        assembler.bind(ordered)
        assembler.floatArithmetic(isMin ? .min : .max, precision, lhs, rhs)
        assembler.bind(done)
        release(rhs)
        pushXMM(type, lhs)
    }

    /// abs/neg: clear or flip the sign bit through r11.
    mutating func emitSignBit(_ type: ValueType, _ operation: X64Assembler.BitTestOperation) {
        let value = popXMM()
        let size: X64OperandSize = type == .f32 ? .bits32 : .bits64
        assembler.movFromXMM(size, Self.scratch, value)
        assembler.bitTest(operation, size, Self.scratch, bit: type == .f32 ? 31 : 63)
        assembler.movToXMM(size, value, Self.scratch)
        pushXMM(type, value)
    }

    mutating func emitCopysign(_ type: ValueType) {
        let size: X64OperandSize = type == .f32 ? .bits32 : .bits64
        let signBit: UInt8 = type == .f32 ? 31 : 63
        let sign = popXMM()
        let magnitude = popXMM()
        let temporary = allocateGPR()
        assembler.movFromXMM(size, Self.scratch, magnitude)
        assembler.bitTest(.btr, size, Self.scratch, bit: signBit)
        assembler.movFromXMM(size, temporary, sign)
        assembler.shift(.shr, size, temporary, immediate: signBit)
        assembler.shift(.shl, size, temporary, immediate: signBit)
        assembler.alu(.or, size, Self.scratch, temporary)
        assembler.movToXMM(size, magnitude, Self.scratch)
        release(temporary)
        release(sign)
        pushXMM(type, magnitude)
    }

    mutating func emitRound(_ type: ValueType, _ mode: X64Assembler.RoundingMode) {
        let value = popXMM()
        if features.hasSSE41 {
            assembler.round(Self.precision(type), value, value, mode)
        } else {
            emitRoundFallback(type, mode, value)
        }
        pushXMM(type, value)
    }

    /// SSE2-only rounding. With a = |x| < 2^52 (2^23 for f32), n = (a + 2^52) - 2^52 is a
    /// rounded to nearest-even (MXCSR's default mode, which wasm code cannot change); trunc and
    /// ceil of the magnitude adjust n by one, floor/ceil of a negative x are -ceil(a) / -trunc(a),
    /// and the result takes x's sign (so -0.5 rounds to -0). Larger or infinite magnitudes are
    /// already integral; NaN is quieted by adding it to itself.
    mutating func emitRoundFallback(_ type: ValueType, _ mode: X64Assembler.RoundingMode, _ value: X64XMM) {
        let precision = Self.precision(type)
        let size: X64OperandSize = type == .f32 ? .bits32 : .bits64
        let signBit: UInt8 = type == .f32 ? 31 : 63
        let bigBits: UInt64 = type == .f32 ? 0x4B00_0000 : 0x4330_0000_0000_0000  // 2^23, 2^52
        let oneBits: UInt64 = type == .f32 ? 0x3F80_0000 : 0x3FF0_0000_0000_0000
        let magnitude = allocateXMM()
        let rounded = allocateXMM()
        let nan = assembler.newLabel()
        let done = assembler.newLabel()
        let finish = assembler.newLabel()

        assembler.movFromXMM(size, Self.scratch, value)
        assembler.bitTest(.btr, size, Self.scratch, bit: signBit)
        assembler.movToXMM(size, magnitude, Self.scratch)
        loadFloatConstant(Self.scratchXMM, bigBits, type)
        assembler.ucomis(precision, magnitude, Self.scratchXMM)
        assembler.jcc(.parity, nan)
        assembler.jcc(.aboveOrEqual, done)
        assembler.movaps(rounded, magnitude)
        assembler.floatArithmetic(.add, precision, rounded, Self.scratchXMM)
        assembler.floatArithmetic(.sub, precision, rounded, Self.scratchXMM)

        func truncateMagnitude(_ generator: inout X64CodeGenerator) {
            let skip = generator.assembler.newLabel()
            generator.assembler.ucomis(precision, rounded, magnitude)
            generator.assembler.jcc(.belowOrEqual, skip)
            generator.loadFloatConstant(Self.scratchXMM, oneBits, type)
            generator.assembler.floatArithmetic(.sub, precision, rounded, Self.scratchXMM)
            generator.assembler.bind(skip)
        }
        func ceilMagnitude(_ generator: inout X64CodeGenerator) {
            let skip = generator.assembler.newLabel()
            generator.assembler.ucomis(precision, rounded, magnitude)
            generator.assembler.jcc(.aboveOrEqual, skip)
            generator.loadFloatConstant(Self.scratchXMM, oneBits, type)
            generator.assembler.floatArithmetic(.add, precision, rounded, Self.scratchXMM)
            generator.assembler.bind(skip)
        }
        switch mode {
        case .nearest:
            break
        case .trunc:
            truncateMagnitude(&self)
        case .ceil, .floor:
            // ceil(x) = x >= 0 ? ceil(a) : -trunc(a); floor(x) = x >= 0 ? trunc(a) : -ceil(a).
            let negative = assembler.newLabel()
            let joined = assembler.newLabel()
            assembler.movFromXMM(size, Self.scratch, value)
            assembler.test(size, Self.scratch, Self.scratch)
            assembler.jcc(.sign, negative)
            if mode == .ceil { ceilMagnitude(&self) } else { truncateMagnitude(&self) }
            assembler.jmp(joined)
            assembler.bind(negative)
            if mode == .ceil { truncateMagnitude(&self) } else { ceilMagnitude(&self) }
            assembler.bind(joined)
        }
        // Result = rounded magnitude with x's sign bit.
        assembler.movFromXMM(size, Self.scratch, value)
        assembler.shift(.shr, size, Self.scratch, immediate: signBit)
        assembler.shift(.shl, size, Self.scratch, immediate: signBit)
        assembler.movToXMM(size, Self.scratchXMM, Self.scratch)
        assembler.floatBitwise(.or, precision, rounded, Self.scratchXMM)
        assembler.movaps(value, rounded)
        assembler.jmp(finish)
        assembler.bind(nan)
        assembler.floatArithmetic(.add, precision, value, value)
        assembler.bind(done)
        assembler.bind(finish)
        release(magnitude)
        release(rounded)
    }

    enum FloatComparison { case eq, ne, lt, gt, le, ge }

    /// Comparisons are false on NaN except `ne`: ucomis sets ZF, PF and CF when unordered.
    mutating func emitFloatCompare(_ type: ValueType, _ comparison: FloatComparison) {
        let precision = Self.precision(type)
        let position = stack.count - 1
        let rhsEntry = pop()
        let rhs = materializeXMM(rhsEntry, position: position)
        let lhs = popXMM()
        let result = allocateGPR()
        switch comparison {
        case .gt:
            assembler.ucomis(precision, lhs, rhs)
            assembler.setcc(.above, result)
        case .ge:
            assembler.ucomis(precision, lhs, rhs)
            assembler.setcc(.aboveOrEqual, result)
        case .lt:
            assembler.ucomis(precision, rhs, lhs)
            assembler.setcc(.above, result)
        case .le:
            assembler.ucomis(precision, rhs, lhs)
            assembler.setcc(.aboveOrEqual, result)
        case .eq:
            assembler.ucomis(precision, lhs, rhs)
            assembler.setcc(.equal, result)
            assembler.setcc(.noParity, Self.scratch)
            assembler.alu(.and, .bits8, result, Self.scratch)
        case .ne:
            assembler.ucomis(precision, lhs, rhs)
            assembler.setcc(.notEqual, result)
            assembler.setcc(.parity, Self.scratch)
            assembler.alu(.or, .bits8, result, Self.scratch)
        }
        assembler.movzx(.bits32, result, result, from: .bits8)
        release(lhs)
        release(rhs)
        pushGPR(.i32, result)
    }

    /// Float → integer truncation. Trapping forms check NaN ("invalid conversion to integer")
    /// and the range ("integer overflow") before converting; saturating forms clamp instead.
    mutating func emitTruncate(from floatType: ValueType, to integerType: ValueType, signed: Bool, saturating: Bool) {
        let precision = Self.precision(floatType)
        let value = popXMM()
        let result = allocateGPR()
        let is32 = integerType == .i32
        let single = floatType == .f32
        func bits(_ number: Double) -> UInt64 {
            single ? UInt64(Float(number).bitPattern) : number.bitPattern
        }
        // Valid inputs satisfy lower < x (exclusive) or lower <= x (inclusive), and x < upper.
        let lower: Double
        let lowerInclusive: Bool
        let upper: Double
        if signed {
            if is32 && !single {
                lower = -2147483649.0
                lowerInclusive = false
            } else {
                lower = is32 ? -2147483648.0 : -9223372036854775808.0
                lowerInclusive = true
            }
            upper = is32 ? 2147483648.0 : 9223372036854775808.0
        } else {
            lower = -1.0
            lowerInclusive = false
            upper = is32 ? 4294967296.0 : 18446744073709551616.0
        }
        let done = assembler.newLabel()
        let tooSmall = saturating ? assembler.newLabel() : trapLabel(.integerOverflow)
        let tooLarge = saturating ? assembler.newLabel() : trapLabel(.integerOverflow)
        if saturating {
            assembler.movImmediate(.bits32, result, 0)
        }
        assembler.ucomis(precision, value, value)
        assembler.jcc(.parity, saturating ? done : trapLabel(.invalidConversionToInteger))
        loadFloatConstant(Self.scratchXMM, bits(lower), floatType)
        assembler.ucomis(precision, value, Self.scratchXMM)
        assembler.jcc(lowerInclusive ? .below : .belowOrEqual, tooSmall)
        loadFloatConstant(Self.scratchXMM, bits(upper), floatType)
        assembler.ucomis(precision, value, Self.scratchXMM)
        assembler.jcc(.aboveOrEqual, tooLarge)
        if signed {
            assembler.cvtFloatToInt(precision, result, is32 ? .bits32 : .bits64, value)
        } else if is32 {
            assembler.cvtFloatToInt(precision, result, .bits64, value)  // x < 2^32 fits
        } else {
            // x >= 2^63: convert x - 2^63 and set the top bit.
            let small = assembler.newLabel()
            loadFloatConstant(Self.scratchXMM, bits(9223372036854775808.0), floatType)
            assembler.ucomis(precision, value, Self.scratchXMM)
            assembler.jcc(.below, small, short: true)
            assembler.floatArithmetic(.sub, precision, value, Self.scratchXMM)
            assembler.cvtFloatToInt(precision, result, .bits64, value)
            assembler.bitTest(.btc, .bits64, result, bit: 63)
            assembler.jmp(done)
            assembler.bind(small)
            assembler.cvtFloatToInt(precision, result, .bits64, value)
        }
        if saturating {
            assembler.jmp(done)
            assembler.bind(tooSmall)
            let minimum: UInt64 = signed ? (is32 ? 0x8000_0000 : 0x8000_0000_0000_0000) : 0
            assembler.movImmediate(is32 ? .bits32 : .bits64, result, minimum)
            assembler.jmp(done)
            assembler.bind(tooLarge)
            let maximum: UInt64 = signed ? (is32 ? 0x7FFF_FFFF : 0x7FFF_FFFF_FFFF_FFFF) : (is32 ? 0xFFFF_FFFF : UInt64.max)
            assembler.movImmediate(is32 ? .bits32 : .bits64, result, maximum)
        }
        assembler.bind(done)
        release(value)
        pushGPR(integerType, result)
    }

    mutating func emitConvert(from integerType: ValueType, to floatType: ValueType, signed: Bool) {
        let precision = Self.precision(floatType)
        let value = popGPR()
        let result = allocateXMM()
        assembler.floatBitwise(.xor, .single, result, result)  // no false dependency on the old value
        if integerType == .i32 {
            if signed {
                assembler.cvtIntToFloat(precision, result, value, .bits32)
            } else {
                assembler.mov(.bits32, value, value)
                assembler.cvtIntToFloat(precision, result, value, .bits64)
            }
        } else if signed {
            assembler.cvtIntToFloat(precision, result, value, .bits64)
        } else {
            // Values with the top bit set: halve (keeping the low bit as a sticky bit for
            // correct rounding), convert, double.
            let large = assembler.newLabel()
            let done = assembler.newLabel()
            assembler.test(.bits64, value, value)
            assembler.jcc(.sign, large, short: true)
            assembler.cvtIntToFloat(precision, result, value, .bits64)
            assembler.jmp(done, short: true)
            assembler.bind(large)
            assembler.mov(.bits64, Self.scratch, value)
            assembler.shift(.shr, .bits64, Self.scratch, immediate: 1)
            assembler.alu(.and, .bits32, value, immediate: 1)
            assembler.alu(.or, .bits64, Self.scratch, value)
            assembler.cvtIntToFloat(precision, result, Self.scratch, .bits64)
            assembler.floatArithmetic(.add, precision, result, result)
            assembler.bind(done)
        }
        release(value)
        pushXMM(floatType, result)
    }
}
