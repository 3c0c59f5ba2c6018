import WasmFrontEnd

/// WebAssembly 2.0 SIMD in the baseline tier. A v128 operand lives in an XMM register or in
/// its 16-byte frame slot. Every instruction has an SSE2 sequence (the baseline-ISA
/// configuration); SSSE3, SSE4.1 and SSE4.2 forms replace them where the CPU has them.
/// xmm15 and r11 are scratch. Float results follow the spec's NaN rules: min/max produce a
/// canonical NaN, everything else an arithmetic NaN (SSE quiets NaN operands and keeps the
/// payload; the default NaN it generates is the canonical one with the sign set).
extension X64CodeGenerator {
    typealias V = X64Assembler.VectorOperation

    // MARK: Constants and copies

    /// Materialises a 128-bit constant. Constants whose halves are equal leave xmm15 alone
    /// (sequences rely on this to build masks while xmm15 holds a value).
    mutating func loadVectorConstant(_ register: X64XMM, _ value: V128) {
        if value.low == 0 && value.high == 0 {
            assembler.vector(.pxor, register, register)
            return
        }
        if value.low == UInt64.max && value.high == UInt64.max {
            assembler.vector(.pcmpeqd, register, register)
            return
        }
        assembler.movImmediate(.bits64, Self.scratch, value.low)
        assembler.movToXMM(.bits64, register, Self.scratch)
        if value.high == value.low {
            assembler.vector(.punpcklqdq, register, register)
        } else if value.high != 0 {
            precondition(register != Self.scratchXMM, "xmm15 cannot hold a constant with distinct halves")
            assembler.movImmediate(.bits64, Self.scratch, value.high)
            assembler.movToXMM(.bits64, Self.scratchXMM, Self.scratch)
            assembler.vector(.punpcklqdq, register, Self.scratchXMM)
        }
    }

    mutating func splat8(_ register: X64XMM, _ byte: UInt8) {
        let bits = UInt64(byte) &* 0x0101_0101_0101_0101
        loadVectorConstant(register, V128(low: bits, high: bits))
    }

    mutating func splat16(_ register: X64XMM, _ value: UInt16) {
        let bits = UInt64(value) &* 0x0001_0001_0001_0001
        loadVectorConstant(register, V128(low: bits, high: bits))
    }

    mutating func splat32(_ register: X64XMM, _ value: UInt32) {
        let bits = UInt64(value) | UInt64(value) << 32
        loadVectorConstant(register, V128(low: bits, high: bits))
    }

    mutating func splat64(_ register: X64XMM, _ value: UInt64) {
        loadVectorConstant(register, V128(low: value, high: value))
    }

    /// `destination = first op second`: one VEX instruction with AVX, else a copy and the
    /// two-operand form (`destination` must not be `second` then).
    mutating func vectorInto(_ destination: X64XMM, _ first: X64XMM, _ operation: V, _ second: X64XMM) {
        if features.hasAVX {
            assembler.vex(operation, destination, first, second)
        } else {
            precondition(destination == first || destination != second, "the copy would overwrite the second source")
            if destination != first { assembler.movaps(destination, first) }
            assembler.vector(operation, destination, second)
        }
    }

    /// A new register holding a copy of `source`.
    mutating func copyVector(_ source: X64XMM) -> X64XMM {
        let register = allocateXMM()
        assembler.movaps(register, source)
        return register
    }

    mutating func allOnes(_ register: X64XMM) { assembler.vector(.pcmpeqd, register, register) }

    mutating func invert(_ register: X64XMM) {
        allOnes(Self.scratchXMM)
        assembler.vector(.pxor, register, Self.scratchXMM)
    }

    // MARK: Operand helpers

    /// `a op b` with the result in a's register, all bits inverted when `inverted` (ne).
    mutating func vectorBinary(_ operation: V, inverted: Bool = false) {
        let b = popXMM()
        let a = popXMM()
        assembler.vector(operation, a, b)
        if inverted { invert(a) }
        release(b)
        pushXMM(.v128, a)
    }

    /// `b op a` with the result in b's register (for instructions whose operand order is the
    /// reverse of wasm's, e.g. `andnot` and `lt` as `pcmpgt`).
    mutating func vectorBinaryReversed(_ operation: V) {
        let b = popXMM()
        let a = popXMM()
        assembler.vector(operation, b, a)
        release(a)
        pushXMM(.v128, b)
    }

    /// `b op a, imm8` with the result in b's register (`palignr`: b is the high half).
    mutating func vectorBinaryReversed(_ operation: X64Assembler.VectorImmediateOperation, immediate: UInt8) {
        let b = popXMM()
        let a = popXMM()
        assembler.vector(operation, b, a, immediate: immediate)
        release(a)
        pushXMM(.v128, b)
    }

    mutating func vectorUnary(_ operation: V) {
        let a = popXMM()
        assembler.vector(operation, a, a)
        pushXMM(.v128, a)
    }

    /// Pushes an i32 0/1 result computed by `condition` from the flags.
    mutating func pushCondition(_ condition: X64Condition, _ register: X64GPR) {
        assembler.setcc(condition, register)
        assembler.movzx(.bits32, register, register, from: .bits8)
        pushGPR(.i32, register)
    }

    // MARK: Dispatch

    mutating func emitSIMD(_ operation: SIMDOperation, at offset: Int) throws(WasmError) {
        switch operation {
        case .i8x16Swizzle: emitSwizzle()
        case .i8x16Splat, .i16x8Splat, .i32x4Splat, .i64x2Splat:
            let scalar = popGPR()
            let register = allocateXMM()
            emitSplat(from: scalar, into: register, operation)
            release(scalar)
            pushXMM(.v128, register)
        case .f32x4Splat:
            let register = popXMM()
            assembler.vector(.shufps, register, register, immediate: 0)
            pushXMM(.v128, register)
        case .f64x2Splat:
            let register = popXMM()
            assembler.vector(.movlhps, register, register)
            pushXMM(.v128, register)

        // Integer comparisons
        case .i8x16Eq: vectorBinary(.pcmpeqb)
        case .i16x8Eq: vectorBinary(.pcmpeqw)
        case .i32x4Eq: vectorBinary(.pcmpeqd)
        case .i64x2Eq: emitI64x2Equal(invert: false)
        case .i8x16Ne: vectorBinary(.pcmpeqb, inverted: true)
        case .i16x8Ne: vectorBinary(.pcmpeqw, inverted: true)
        case .i32x4Ne: vectorBinary(.pcmpeqd, inverted: true)
        case .i64x2Ne: emitI64x2Equal(invert: true)
        case .i8x16LtS: emitSignedCompare(.i8x16, .less)
        case .i8x16GtS: emitSignedCompare(.i8x16, .greater)
        case .i8x16LeS: emitSignedCompare(.i8x16, .lessOrEqual)
        case .i8x16GeS: emitSignedCompare(.i8x16, .greaterOrEqual)
        case .i16x8LtS: emitSignedCompare(.i16x8, .less)
        case .i16x8GtS: emitSignedCompare(.i16x8, .greater)
        case .i16x8LeS: emitSignedCompare(.i16x8, .lessOrEqual)
        case .i16x8GeS: emitSignedCompare(.i16x8, .greaterOrEqual)
        case .i32x4LtS: emitSignedCompare(.i32x4, .less)
        case .i32x4GtS: emitSignedCompare(.i32x4, .greater)
        case .i32x4LeS: emitSignedCompare(.i32x4, .lessOrEqual)
        case .i32x4GeS: emitSignedCompare(.i32x4, .greaterOrEqual)
        case .i64x2LtS: emitSignedCompare(.i64x2, .less)
        case .i64x2GtS: emitSignedCompare(.i64x2, .greater)
        case .i64x2LeS: emitSignedCompare(.i64x2, .lessOrEqual)
        case .i64x2GeS: emitSignedCompare(.i64x2, .greaterOrEqual)
        case .i8x16LtU: emitUnsignedCompare(.i8x16, .less)
        case .i8x16GtU: emitUnsignedCompare(.i8x16, .greater)
        case .i8x16LeU: emitUnsignedCompare(.i8x16, .lessOrEqual)
        case .i8x16GeU: emitUnsignedCompare(.i8x16, .greaterOrEqual)
        case .i16x8LtU: emitUnsignedCompare(.i16x8, .less)
        case .i16x8GtU: emitUnsignedCompare(.i16x8, .greater)
        case .i16x8LeU: emitUnsignedCompare(.i16x8, .lessOrEqual)
        case .i16x8GeU: emitUnsignedCompare(.i16x8, .greaterOrEqual)
        case .i32x4LtU: emitUnsignedCompare(.i32x4, .less)
        case .i32x4GtU: emitUnsignedCompare(.i32x4, .greater)
        case .i32x4LeU: emitUnsignedCompare(.i32x4, .lessOrEqual)
        case .i32x4GeU: emitUnsignedCompare(.i32x4, .greaterOrEqual)

        // Float comparisons (gt/ge swap the operands of lt/le)
        case .f32x4Eq: emitFloatCompare(.cmpps, .equal, swapped: false)
        case .f32x4Ne: emitFloatCompare(.cmpps, .notEqual, swapped: false)
        case .f32x4Lt: emitFloatCompare(.cmpps, .less, swapped: false)
        case .f32x4Gt: emitFloatCompare(.cmpps, .less, swapped: true)
        case .f32x4Le: emitFloatCompare(.cmpps, .lessOrEqual, swapped: false)
        case .f32x4Ge: emitFloatCompare(.cmpps, .lessOrEqual, swapped: true)
        case .f64x2Eq: emitFloatCompare(.cmppd, .equal, swapped: false)
        case .f64x2Ne: emitFloatCompare(.cmppd, .notEqual, swapped: false)
        case .f64x2Lt: emitFloatCompare(.cmppd, .less, swapped: false)
        case .f64x2Gt: emitFloatCompare(.cmppd, .less, swapped: true)
        case .f64x2Le: emitFloatCompare(.cmppd, .lessOrEqual, swapped: false)
        case .f64x2Ge: emitFloatCompare(.cmppd, .lessOrEqual, swapped: true)

        // Bitwise
        case .v128Not:
            let a = popXMM()
            invert(a)
            pushXMM(.v128, a)
        case .v128And: vectorBinary(.pand)
        case .v128Or: vectorBinary(.por)
        case .v128Xor: vectorBinary(.pxor)
        case .v128Andnot: vectorBinaryReversed(.pandn)
        case .v128Bitselect:
            // (v1 & c) | (v2 & ~c) = ((v1 ^ v2) & c) ^ v2
            let mask = popXMM()
            let second = popXMM()
            let first = popXMM()
            assembler.vector(.pxor, first, second)
            assembler.vector(.pand, first, mask)
            assembler.vector(.pxor, first, second)
            release(mask)
            release(second)
            pushXMM(.v128, first)
        case .v128AnyTrue:
            let a = popXMM()
            let result = allocateGPR()
            if features.hasSSE41 {
                assembler.vector(.ptest, a, a)
                release(a)
                pushCondition(.notEqual, result)
            } else {
                assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
                assembler.vector(.pcmpeqb, Self.scratchXMM, a)
                assembler.pmovmskb(result, Self.scratchXMM)
                release(a)
                assembler.alu(.cmp, .bits32, result, immediate: 0xFFFF)
                pushCondition(.notEqual, result)
            }
        case .i8x16AllTrue: emitAllTrue(.i8x16)
        case .i16x8AllTrue: emitAllTrue(.i16x8)
        case .i32x4AllTrue: emitAllTrue(.i32x4)
        case .i64x2AllTrue: emitAllTrue(.i64x2)
        case .i8x16Bitmask:
            let a = popXMM()
            let result = allocateGPR()
            assembler.pmovmskb(result, a)
            release(a)
            pushGPR(.i32, result)
        case .i16x8Bitmask:
            let a = popXMM()
            let result = allocateGPR()
            assembler.vector(.packsswb, a, a)
            assembler.pmovmskb(result, a)
            assembler.movzx(.bits32, result, result, from: .bits8)
            release(a)
            pushGPR(.i32, result)
        case .i32x4Bitmask, .i64x2Bitmask:
            let a = popXMM()
            let result = allocateGPR()
            assembler.movmsk(operation == .i32x4Bitmask ? .single : .double, result, a)
            release(a)
            pushGPR(.i32, result)

        // Conversions between float shapes
        case .f32x4DemoteF64x2Zero: vectorUnary(.cvtpd2ps)
        case .f64x2PromoteLowF32x4: vectorUnary(.cvtps2pd)

        // Integer arithmetic
        case .i8x16Abs: emitIntegerAbs(.i8x16)
        case .i16x8Abs: emitIntegerAbs(.i16x8)
        case .i32x4Abs: emitIntegerAbs(.i32x4)
        case .i64x2Abs: emitIntegerAbs(.i64x2)
        case .i8x16Neg: emitNegate(.psubb)
        case .i16x8Neg: emitNegate(.psubw)
        case .i32x4Neg: emitNegate(.psubd)
        case .i64x2Neg: emitNegate(.psubq)
        case .i8x16Popcnt: emitPopcount()
        case .i8x16NarrowI16x8S: vectorBinary(.packsswb)
        case .i8x16NarrowI16x8U: vectorBinary(.packuswb)
        case .i16x8NarrowI32x4S: vectorBinary(.packssdw)
        case .i16x8NarrowI32x4U: emitNarrowI32ToU16()
        case .i8x16Shl: emitShift(.i8x16, .shl)
        case .i8x16ShrS: emitShift(.i8x16, .shrS)
        case .i8x16ShrU: emitShift(.i8x16, .shrU)
        case .i16x8Shl: emitShift(.i16x8, .shl)
        case .i16x8ShrS: emitShift(.i16x8, .shrS)
        case .i16x8ShrU: emitShift(.i16x8, .shrU)
        case .i32x4Shl: emitShift(.i32x4, .shl)
        case .i32x4ShrS: emitShift(.i32x4, .shrS)
        case .i32x4ShrU: emitShift(.i32x4, .shrU)
        case .i64x2Shl: emitShift(.i64x2, .shl)
        case .i64x2ShrS: emitShift(.i64x2, .shrS)
        case .i64x2ShrU: emitShift(.i64x2, .shrU)
        case .i8x16Add: vectorBinary(.paddb)
        case .i8x16AddSatS: vectorBinary(.paddsb)
        case .i8x16AddSatU: vectorBinary(.paddusb)
        case .i8x16Sub: vectorBinary(.psubb)
        case .i8x16SubSatS: vectorBinary(.psubsb)
        case .i8x16SubSatU: vectorBinary(.psubusb)
        case .i16x8Add: vectorBinary(.paddw)
        case .i16x8AddSatS: vectorBinary(.paddsw)
        case .i16x8AddSatU: vectorBinary(.paddusw)
        case .i16x8Sub: vectorBinary(.psubw)
        case .i16x8SubSatS: vectorBinary(.psubsw)
        case .i16x8SubSatU: vectorBinary(.psubusw)
        case .i32x4Add: vectorBinary(.paddd)
        case .i32x4Sub: vectorBinary(.psubd)
        case .i64x2Add: vectorBinary(.paddq)
        case .i64x2Sub: vectorBinary(.psubq)
        case .i16x8Mul: vectorBinary(.pmullw)
        case .i32x4Mul: emitI32x4Multiply()
        case .i64x2Mul: emitI64x2Multiply()
        case .i8x16MinU: vectorBinary(.pminub)
        case .i8x16MaxU: vectorBinary(.pmaxub)
        case .i16x8MinS: vectorBinary(.pminsw)
        case .i16x8MaxS: vectorBinary(.pmaxsw)
        case .i8x16MinS: emitBiasedMinMax(sse41: .pminsb, biased: .pminub, bias: { $0.splat8($1, 0x80) })
        case .i8x16MaxS: emitBiasedMinMax(sse41: .pmaxsb, biased: .pmaxub, bias: { $0.splat8($1, 0x80) })
        case .i16x8MinU: emitBiasedMinMax(sse41: .pminuw, biased: .pminsw, bias: { $0.splat16($1, 0x8000) })
        case .i16x8MaxU: emitBiasedMinMax(sse41: .pmaxuw, biased: .pmaxsw, bias: { $0.splat16($1, 0x8000) })
        case .i32x4MinS: emitI32x4MinMax(sse41: .pminsd, signed: true, minimum: true)
        case .i32x4MinU: emitI32x4MinMax(sse41: .pminud, signed: false, minimum: true)
        case .i32x4MaxS: emitI32x4MinMax(sse41: .pmaxsd, signed: true, minimum: false)
        case .i32x4MaxU: emitI32x4MinMax(sse41: .pmaxud, signed: false, minimum: false)
        case .i8x16AvgrU: vectorBinary(.pavgb)
        case .i16x8AvgrU: vectorBinary(.pavgw)
        case .i16x8ExtaddPairwiseI8x16S, .i16x8ExtaddPairwiseI8x16U, .i32x4ExtaddPairwiseI16x8S, .i32x4ExtaddPairwiseI16x8U:
            emitExtendingPairwiseAdd(operation)
        case .i16x8Q15mulrSatS: emitQ15MultiplyRoundSaturate()
        case .i32x4DotI16x8S: vectorBinary(.pmaddwd)
        case .i16x8ExtendLowI8x16S: emitExtend(.i8x16, signed: true, high: false)
        case .i16x8ExtendHighI8x16S: emitExtend(.i8x16, signed: true, high: true)
        case .i16x8ExtendLowI8x16U: emitExtend(.i8x16, signed: false, high: false)
        case .i16x8ExtendHighI8x16U: emitExtend(.i8x16, signed: false, high: true)
        case .i32x4ExtendLowI16x8S: emitExtend(.i16x8, signed: true, high: false)
        case .i32x4ExtendHighI16x8S: emitExtend(.i16x8, signed: true, high: true)
        case .i32x4ExtendLowI16x8U: emitExtend(.i16x8, signed: false, high: false)
        case .i32x4ExtendHighI16x8U: emitExtend(.i16x8, signed: false, high: true)
        case .i64x2ExtendLowI32x4S: emitExtend(.i32x4, signed: true, high: false)
        case .i64x2ExtendHighI32x4S: emitExtend(.i32x4, signed: true, high: true)
        case .i64x2ExtendLowI32x4U: emitExtend(.i32x4, signed: false, high: false)
        case .i64x2ExtendHighI32x4U: emitExtend(.i32x4, signed: false, high: true)
        case .i16x8ExtmulLowI8x16S: emitExtendingMultiply8(signed: true, high: false)
        case .i16x8ExtmulHighI8x16S: emitExtendingMultiply8(signed: true, high: true)
        case .i16x8ExtmulLowI8x16U: emitExtendingMultiply8(signed: false, high: false)
        case .i16x8ExtmulHighI8x16U: emitExtendingMultiply8(signed: false, high: true)
        case .i32x4ExtmulLowI16x8S: emitExtendingMultiply16(signed: true, high: false)
        case .i32x4ExtmulHighI16x8S: emitExtendingMultiply16(signed: true, high: true)
        case .i32x4ExtmulLowI16x8U: emitExtendingMultiply16(signed: false, high: false)
        case .i32x4ExtmulHighI16x8U: emitExtendingMultiply16(signed: false, high: true)
        case .i64x2ExtmulLowI32x4S: emitExtendingMultiply32(signed: true, high: false)
        case .i64x2ExtmulHighI32x4S: emitExtendingMultiply32(signed: true, high: true)
        case .i64x2ExtmulLowI32x4U: emitExtendingMultiply32(signed: false, high: false)
        case .i64x2ExtmulHighI32x4U: emitExtendingMultiply32(signed: false, high: true)

        // Float arithmetic
        case .f32x4Abs, .f64x2Abs:
            let a = popXMM()
            allOnes(Self.scratchXMM)
            if operation == .f32x4Abs {
                assembler.vectorShift(.psrld, Self.scratchXMM, by: 1)
            } else {
                assembler.vectorShift(.psrlq, Self.scratchXMM, by: 1)
            }
            assembler.vector(.andps, a, Self.scratchXMM)
            pushXMM(.v128, a)
        case .f32x4Neg, .f64x2Neg:
            let a = popXMM()
            allOnes(Self.scratchXMM)
            if operation == .f32x4Neg {
                assembler.vectorShift(.pslld, Self.scratchXMM, by: 31)
            } else {
                assembler.vectorShift(.psllq, Self.scratchXMM, by: 63)
            }
            assembler.vector(.xorps, a, Self.scratchXMM)
            pushXMM(.v128, a)
        case .f32x4Sqrt: vectorUnary(.sqrtps)
        case .f64x2Sqrt: vectorUnary(.sqrtpd)
        case .f32x4Add: vectorBinary(.addps)
        case .f32x4Sub: vectorBinary(.subps)
        case .f32x4Mul: vectorBinary(.mulps)
        case .f32x4Div: vectorBinary(.divps)
        case .f64x2Add: vectorBinary(.addpd)
        case .f64x2Sub: vectorBinary(.subpd)
        case .f64x2Mul: vectorBinary(.mulpd)
        case .f64x2Div: vectorBinary(.divpd)
        case .f32x4Min: emitFloatMinimum(double: false)
        case .f64x2Min: emitFloatMinimum(double: true)
        case .f32x4Max: emitFloatMaximum(double: false)
        case .f64x2Max: emitFloatMaximum(double: true)
        // pmin(a, b) = b < a ? b : a is exactly `minps b, a` (maxps likewise).
        case .f32x4Pmin: vectorBinaryReversed(.minps)
        case .f32x4Pmax: vectorBinaryReversed(.maxps)
        case .f64x2Pmin: vectorBinaryReversed(.minpd)
        case .f64x2Pmax: vectorBinaryReversed(.maxpd)
        case .f32x4Ceil: emitVectorRound(double: false, .ceil)
        case .f32x4Floor: emitVectorRound(double: false, .floor)
        case .f32x4Trunc: emitVectorRound(double: false, .trunc)
        case .f32x4Nearest: emitVectorRound(double: false, .nearest)
        case .f64x2Ceil: emitVectorRound(double: true, .ceil)
        case .f64x2Floor: emitVectorRound(double: true, .floor)
        case .f64x2Trunc: emitVectorRound(double: true, .trunc)
        case .f64x2Nearest: emitVectorRound(double: true, .nearest)

        // Conversions between integer and float lanes
        case .f32x4ConvertI32x4S: vectorUnary(.cvtdq2ps)
        case .f32x4ConvertI32x4U: emitConvertU32ToF32()
        case .f64x2ConvertLowI32x4S: vectorUnary(.cvtdq2pd)
        case .f64x2ConvertLowI32x4U:
            // Each double 2^52 + x, built from its bit pattern, minus 2^52.
            let a = popXMM()
            splat32(Self.scratchXMM, 0x4330_0000)
            assembler.vector(.unpcklps, a, Self.scratchXMM)
            splat64(Self.scratchXMM, 0x4330_0000_0000_0000)
            assembler.vector(.subpd, a, Self.scratchXMM)
            pushXMM(.v128, a)
        case .i32x4TruncSatF32x4S: emitTruncateSaturateF32ToS32()
        case .i32x4TruncSatF32x4U: emitTruncateSaturateF32ToU32()
        case .i32x4TruncSatF64x2SZero: emitTruncateSaturateF64ToS32()
        case .i32x4TruncSatF64x2UZero: emitTruncateSaturateF64ToU32()
        }
    }

    // MARK: Splats

    mutating func emitSplat(from scalar: X64GPR, into register: X64XMM, _ operation: SIMDOperation) {
        if features.hasAVX2 {
            // One broadcast after the move instead of a shuffle sequence.
            let broadcast: X64Assembler.Broadcast
            switch operation {
            case .i8x16Splat: broadcast = .vpbroadcastb
            case .i16x8Splat: broadcast = .vpbroadcastw
            case .i32x4Splat: broadcast = .vpbroadcastd
            default: broadcast = .vpbroadcastq
            }
            assembler.movToXMM(broadcast == .vpbroadcastq ? .bits64 : .bits32, register, scalar)
            assembler.vex(broadcast, register, register)
            return
        }
        switch operation {
        case .i8x16Splat:
            assembler.movToXMM(.bits32, register, scalar)
            if features.hasSSSE3 {
                assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
                assembler.vector(.pshufb, register, Self.scratchXMM)
            } else {
                assembler.vector(.punpcklbw, register, register)
                assembler.vector(.pshuflw, register, register, immediate: 0)
                assembler.vector(.pshufd, register, register, immediate: 0)
            }
        case .i16x8Splat:
            assembler.movToXMM(.bits32, register, scalar)
            assembler.vector(.pshuflw, register, register, immediate: 0)
            assembler.vector(.pshufd, register, register, immediate: 0)
        case .i32x4Splat:
            assembler.movToXMM(.bits32, register, scalar)
            assembler.vector(.pshufd, register, register, immediate: 0)
        default:
            assembler.movToXMM(.bits64, register, scalar)
            assembler.vector(.punpcklqdq, register, register)
        }
    }

    // MARK: Comparisons

    mutating func emitI64x2Equal(invert inverted: Bool) {
        let b = popXMM()
        let a = popXMM()
        if features.hasSSE41 {
            assembler.vector(.pcmpeqq, a, b)
        } else {
            // Both dword halves equal: AND each dword mask with its neighbour's.
            assembler.vector(.pcmpeqd, a, b)
            assembler.vector(.pshufd, Self.scratchXMM, a, immediate: 0xB1)
            assembler.vector(.pand, a, Self.scratchXMM)
        }
        if inverted { invert(a) }
        release(b)
        pushXMM(.v128, a)
    }

    enum LaneComparison { case less, greater, lessOrEqual, greaterOrEqual }

    /// `a > b` into a's register (signed lanes of `shape`).
    mutating func emitGreaterThan(_ shape: SIMDShape, _ a: X64XMM, _ b: X64XMM) {
        switch shape {
        case .i8x16: assembler.vector(.pcmpgtb, a, b)
        case .i16x8: assembler.vector(.pcmpgtw, a, b)
        case .i32x4: assembler.vector(.pcmpgtd, a, b)
        default:
            if features.hasSSE42 {
                assembler.vector(.pcmpgtq, a, b)
                return
            }
            // a > b iff hi(a) > hi(b), or the highs are equal and (b - a) is negative.
            let equalHigh = copyVector(a)
            assembler.movaps(Self.scratchXMM, b)
            assembler.vector(.psubq, Self.scratchXMM, a)
            assembler.vector(.pcmpeqd, equalHigh, b)
            assembler.vector(.pand, Self.scratchXMM, equalHigh)
            assembler.vector(.pcmpgtd, a, b)
            assembler.vector(.por, a, Self.scratchXMM)
            assembler.vector(.pshufd, a, a, immediate: 0xF5)
            release(equalHigh)
        }
    }

    /// lt(a, b) = gt(b, a); le = not gt; ge(a, b) = not gt(b, a).
    mutating func emitSignedCompare(_ shape: SIMDShape, _ comparison: LaneComparison) {
        let b = popXMM()
        let a = popXMM()
        finishCompare(shape, comparison, a, b)
    }

    mutating func finishCompare(_ shape: SIMDShape, _ comparison: LaneComparison, _ a: X64XMM, _ b: X64XMM) {
        switch comparison {
        case .greater, .lessOrEqual:
            emitGreaterThan(shape, a, b)
            if comparison == .lessOrEqual { invert(a) }
            release(b)
            pushXMM(.v128, a)
        case .less, .greaterOrEqual:
            emitGreaterThan(shape, b, a)
            if comparison == .greaterOrEqual { invert(b) }
            release(a)
            pushXMM(.v128, b)
        }
    }

    /// Unsigned comparisons as signed ones of both operands with the sign bit flipped.
    mutating func emitUnsignedCompare(_ shape: SIMDShape, _ comparison: LaneComparison) {
        let b = popXMM()
        let a = popXMM()
        switch shape {
        case .i8x16: splat8(Self.scratchXMM, 0x80)
        case .i16x8: splat16(Self.scratchXMM, 0x8000)
        default: splat32(Self.scratchXMM, 0x8000_0000)
        }
        assembler.vector(.pxor, a, Self.scratchXMM)
        assembler.vector(.pxor, b, Self.scratchXMM)
        finishCompare(shape, comparison, a, b)
    }

    mutating func emitFloatCompare(_ operation: X64Assembler.VectorImmediateOperation,
                                   _ predicate: X64Assembler.FloatComparison, swapped: Bool) {
        let b = popXMM()
        let a = popXMM()
        if swapped {
            assembler.vector(operation, b, a, immediate: predicate.rawValue)
            release(a)
            pushXMM(.v128, b)
        } else {
            assembler.vector(operation, a, b, immediate: predicate.rawValue)
            release(b)
            pushXMM(.v128, a)
        }
    }

    mutating func emitAllTrue(_ shape: SIMDShape) {
        let a = popXMM()
        let result = allocateGPR()
        // Lanes equal to zero become all ones; all true iff none did.
        assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
        switch shape {
        case .i8x16: assembler.vector(.pcmpeqb, Self.scratchXMM, a)
        case .i16x8: assembler.vector(.pcmpeqw, Self.scratchXMM, a)
        case .i32x4: assembler.vector(.pcmpeqd, Self.scratchXMM, a)
        default:
            if features.hasSSE41 {
                assembler.vector(.pcmpeqq, Self.scratchXMM, a)
            } else {
                assembler.vector(.pcmpeqd, Self.scratchXMM, a)
                assembler.vector(.pshufd, a, Self.scratchXMM, immediate: 0xB1)
                assembler.vector(.pand, Self.scratchXMM, a)
            }
        }
        assembler.pmovmskb(result, Self.scratchXMM)
        release(a)
        assembler.test(.bits32, result, result)
        pushCondition(.equal, result)
    }

    // MARK: Integer arithmetic

    mutating func emitNegate(_ subtract: V) {
        let a = popXMM()
        assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
        assembler.vector(subtract, Self.scratchXMM, a)
        assembler.movaps(a, Self.scratchXMM)
        pushXMM(.v128, a)
    }

    mutating func emitIntegerAbs(_ shape: SIMDShape) {
        let a = popXMM()
        switch shape {
        case .i8x16 where features.hasSSSE3: assembler.vector(.pabsb, a, a)
        case .i16x8 where features.hasSSSE3: assembler.vector(.pabsw, a, a)
        case .i32x4 where features.hasSSSE3: assembler.vector(.pabsd, a, a)
        case .i8x16:
            // min_u(a, -a) is |a| for bytes (and 0x80 for -128, as wasm wraps).
            assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
            assembler.vector(.psubb, Self.scratchXMM, a)
            assembler.vector(.pminub, a, Self.scratchXMM)
        case .i16x8:
            assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
            assembler.vector(.psubw, Self.scratchXMM, a)
            assembler.vector(.pmaxsw, a, Self.scratchXMM)
        default:
            // (a ^ s) - s with s = the sign of each lane.
            assembler.movaps(Self.scratchXMM, a)
            assembler.vectorShift(.psrad, Self.scratchXMM, by: 31)
            if shape == .i64x2 { assembler.vector(.pshufd, Self.scratchXMM, Self.scratchXMM, immediate: 0xF5) }
            assembler.vector(.pxor, a, Self.scratchXMM)
            assembler.vector(shape == .i64x2 ? .psubq : .psubd, a, Self.scratchXMM)
        }
        pushXMM(.v128, a)
    }

    /// Population count per byte (SWAR: pairs, nibbles, bytes).
    mutating func emitPopcount() {
        let a = popXMM()
        let t = allocateXMM()
        assembler.movaps(t, a)
        assembler.vectorShift(.psrlw, t, by: 1)
        splat8(Self.scratchXMM, 0x55)
        assembler.vector(.pand, t, Self.scratchXMM)
        assembler.vector(.psubb, a, t)
        assembler.movaps(t, a)
        assembler.vectorShift(.psrlw, t, by: 2)
        splat8(Self.scratchXMM, 0x33)
        assembler.vector(.pand, t, Self.scratchXMM)
        assembler.vector(.pand, a, Self.scratchXMM)
        assembler.vector(.paddb, a, t)
        assembler.movaps(t, a)
        assembler.vectorShift(.psrlw, t, by: 4)
        assembler.vector(.paddb, a, t)
        splat8(Self.scratchXMM, 0x0F)
        assembler.vector(.pand, a, Self.scratchXMM)
        release(t)
        pushXMM(.v128, a)
    }

    /// i16x8.narrow_i32x4_u: signed i32 lanes saturated to u16.
    mutating func emitNarrowI32ToU16() {
        if features.hasSSE41 {
            vectorBinary(.packusdw)
            return
        }
        let b = popXMM()
        let a = popXMM()
        let limit = allocateXMM()
        let over = allocateXMM()
        splat32(limit, 0xFFFF)
        for value in [a, b] {
            // max(v, 0), then all ones where above 65535, then sign-extend the low 16 bits so
            // that packssdw copies them without saturating.
            assembler.movaps(Self.scratchXMM, value)
            assembler.vectorShift(.psrad, Self.scratchXMM, by: 31)
            assembler.vector(.pandn, Self.scratchXMM, value)
            assembler.movaps(over, Self.scratchXMM)
            assembler.vector(.pcmpgtd, over, limit)
            assembler.vector(.por, Self.scratchXMM, over)
            assembler.vectorShift(.pslld, Self.scratchXMM, by: 16)
            assembler.vectorShift(.psrad, Self.scratchXMM, by: 16)
            assembler.movaps(value, Self.scratchXMM)
        }
        assembler.vector(.packssdw, a, b)
        release(limit)
        release(over)
        release(b)
        pushXMM(.v128, a)
    }

    enum ShiftKind { case shl, shrS, shrU }

    mutating func emitShift(_ shape: SIMDShape, _ kind: ShiftKind) {
        let count = popGPR()
        let a = popXMM()
        let laneBits = Int32(shape.laneByteWidth * 8)
        assembler.alu(.and, .bits32, count, immediate: laneBits - 1)
        switch shape {
        case .i8x16:
            emitByteShift(kind, a, count)
        case .i64x2 where kind == .shrS:
            // No psraq: ((a >>u n) ^ m) - m with m = 2^63 >>u n.
            let m = allocateXMM()
            splat64(m, 1 << 63)
            assembler.movToXMM(.bits32, Self.scratchXMM, count)
            assembler.vector(.psrlq, m, Self.scratchXMM)
            assembler.vector(.psrlq, a, Self.scratchXMM)
            assembler.vector(.pxor, a, m)
            assembler.vector(.psubq, a, m)
            release(m)
        default:
            assembler.movToXMM(.bits32, Self.scratchXMM, count)
            let operation: V
            switch (shape, kind) {
            case (.i16x8, .shl): operation = .psllw
            case (.i16x8, .shrS): operation = .psraw
            case (.i16x8, .shrU): operation = .psrlw
            case (.i32x4, .shl): operation = .pslld
            case (.i32x4, .shrS): operation = .psrad
            case (.i32x4, .shrU): operation = .psrld
            case (_, .shl): operation = .psllq
            default: operation = .psrlq
            }
            assembler.vector(operation, a, Self.scratchXMM)
        }
        release(count)
        pushXMM(.v128, a)
    }

    /// Byte shifts through word shifts: shl masks the bits that crossed into the next byte;
    /// right shifts widen each half to words (byte in the high half), shift by n + 8, and pack.
    mutating func emitByteShift(_ kind: ShiftKind, _ a: X64XMM, _ count: X64GPR) {
        if kind == .shl {
            let mask = allocateXMM()
            assembler.movToXMM(.bits32, Self.scratchXMM, count)
            assembler.vector(.psllw, a, Self.scratchXMM)
            // mask word = (0xFF << n) in both bytes.
            allOnes(mask)
            assembler.vector(.psllw, mask, Self.scratchXMM)
            assembler.vectorShift(.psllw, mask, by: 8)
            assembler.movaps(Self.scratchXMM, mask)
            assembler.vectorShift(.psrlw, Self.scratchXMM, by: 8)
            assembler.vector(.por, mask, Self.scratchXMM)
            assembler.vector(.pand, a, mask)
            release(mask)
            return
        }
        let high = allocateXMM()
        assembler.movaps(high, a)
        assembler.vector(.punpcklbw, a, a)
        assembler.vector(.punpckhbw, high, high)
        assembler.alu(.add, .bits32, count, immediate: 8)
        assembler.movToXMM(.bits32, Self.scratchXMM, count)
        if kind == .shrS {
            assembler.vector(.psraw, a, Self.scratchXMM)
            assembler.vector(.psraw, high, Self.scratchXMM)
            assembler.vector(.packsswb, a, high)
        } else {
            assembler.vector(.psrlw, a, Self.scratchXMM)
            assembler.vector(.psrlw, high, Self.scratchXMM)
            assembler.vector(.packuswb, a, high)
        }
        release(high)
    }

    mutating func emitI32x4Multiply() {
        if features.hasSSE41 {
            vectorBinary(.pmulld)
            return
        }
        // Even lanes and odd lanes through pmuludq, then interleave the low halves.
        let b = popXMM()
        let a = popXMM()
        let odd = copyVector(a)
        assembler.vector(.pmuludq, a, b)
        assembler.vectorShift(.psrlq, odd, by: 32)
        assembler.movaps(Self.scratchXMM, b)
        assembler.vectorShift(.psrlq, Self.scratchXMM, by: 32)
        assembler.vector(.pmuludq, odd, Self.scratchXMM)
        assembler.vector(.pshufd, a, a, immediate: 0x08)
        assembler.vector(.pshufd, odd, odd, immediate: 0x08)
        assembler.vector(.punpckldq, a, odd)
        release(odd)
        release(b)
        pushXMM(.v128, a)
    }

    /// lo(a)·lo(b) + ((hi(a)·lo(b) + lo(a)·hi(b)) << 32).
    mutating func emitI64x2Multiply() {
        let b = popXMM()
        let a = popXMM()
        let cross = copyVector(a)
        assembler.vectorShift(.psrlq, cross, by: 32)
        assembler.vector(.pmuludq, cross, b)
        assembler.movaps(Self.scratchXMM, b)
        assembler.vectorShift(.psrlq, Self.scratchXMM, by: 32)
        assembler.vector(.pmuludq, Self.scratchXMM, a)
        assembler.vector(.paddq, cross, Self.scratchXMM)
        assembler.vectorShift(.psllq, cross, by: 32)
        assembler.vector(.pmuludq, a, b)
        assembler.vector(.paddq, a, cross)
        release(cross)
        release(b)
        pushXMM(.v128, a)
    }

    /// Min/max of one signedness through the instruction of the other on biased lanes.
    mutating func emitBiasedMinMax(sse41: V, biased: V, bias: (inout X64CodeGenerator, X64XMM) -> Void) {
        if features.hasSSE41 {
            vectorBinary(sse41)
            return
        }
        let b = popXMM()
        let a = popXMM()
        bias(&self, Self.scratchXMM)
        assembler.vector(.pxor, a, Self.scratchXMM)
        assembler.vector(.pxor, b, Self.scratchXMM)
        assembler.vector(biased, a, b)
        assembler.vector(.pxor, a, Self.scratchXMM)
        release(b)
        pushXMM(.v128, a)
    }

    mutating func emitI32x4MinMax(sse41: V, signed: Bool, minimum: Bool) {
        if features.hasSSE41 {
            vectorBinary(sse41)
            return
        }
        let b = popXMM()
        let a = popXMM()
        // mask = a > b; min = (b & mask) | (a & ~mask); max = (a & mask) | (b & ~mask).
        let mask = copyVector(a)
        if signed {
            assembler.vector(.pcmpgtd, mask, b)
        } else {
            splat32(Self.scratchXMM, 0x8000_0000)
            assembler.vector(.pxor, mask, Self.scratchXMM)
            assembler.vector(.pxor, Self.scratchXMM, b)
            assembler.vector(.pcmpgtd, mask, Self.scratchXMM)
        }
        let (chosen, other) = minimum ? (b, a) : (a, b)
        assembler.vector(.pand, chosen, mask)
        assembler.vector(.pandn, mask, other)
        assembler.vector(.por, mask, chosen)
        assembler.movaps(a, mask)
        release(mask)
        release(b)
        pushXMM(.v128, a)
    }

    mutating func emitExtendingPairwiseAdd(_ operation: SIMDOperation) {
        let a = popXMM()
        if operation == .i32x4ExtaddPairwiseI16x8S {
            splat16(Self.scratchXMM, 1)
            assembler.vector(.pmaddwd, a, Self.scratchXMM)
            pushXMM(.v128, a)
            return
        }
        let bytes = operation == .i16x8ExtaddPairwiseI8x16S || operation == .i16x8ExtaddPairwiseI8x16U
        let signed = operation == .i16x8ExtaddPairwiseI8x16S
        let half: UInt8 = bytes ? 8 : 16
        // even = the low half of each lane extended in place; odd = the high half shifted down.
        assembler.movaps(Self.scratchXMM, a)
        assembler.vectorShift(bytes ? .psllw : .pslld, Self.scratchXMM, by: half)
        if signed {
            assembler.vectorShift(.psraw, Self.scratchXMM, by: half)
            assembler.vectorShift(.psraw, a, by: half)
        } else {
            assembler.vectorShift(bytes ? .psrlw : .psrld, Self.scratchXMM, by: half)
            assembler.vectorShift(bytes ? .psrlw : .psrld, a, by: half)
        }
        assembler.vector(bytes ? .paddw : .paddd, a, Self.scratchXMM)
        pushXMM(.v128, a)
    }

    /// (a·b + 2^14) >> 15, saturated.
    mutating func emitQ15MultiplyRoundSaturate() {
        let b = popXMM()
        let a = popXMM()
        if features.hasSSSE3 {
            // pmulhrsw is exact except 0x8000·0x8000, which gives 0x8000 instead of 0x7FFF.
            assembler.vector(.pmulhrsw, a, b)
            splat16(Self.scratchXMM, 0x8000)
            assembler.vector(.pcmpeqw, Self.scratchXMM, a)
            assembler.vector(.pxor, a, Self.scratchXMM)
        } else {
            let low = copyVector(a)
            assembler.vector(.pmullw, low, b)
            assembler.vector(.pmulhw, a, b)
            let upper = copyVector(low)
            assembler.vector(.punpcklwd, low, a)
            assembler.vector(.punpckhwd, upper, a)
            splat32(Self.scratchXMM, 0x4000)
            assembler.vector(.paddd, low, Self.scratchXMM)
            assembler.vector(.paddd, upper, Self.scratchXMM)
            assembler.vectorShift(.psrad, low, by: 15)
            assembler.vectorShift(.psrad, upper, by: 15)
            assembler.vector(.packssdw, low, upper)
            assembler.movaps(a, low)
            release(low)
            release(upper)
        }
        release(b)
        pushXMM(.v128, a)
    }

    /// Widens the low (or high) half of `register`'s `source`-shaped lanes in place.
    mutating func extendInPlace(_ register: X64XMM, _ source: SIMDShape, signed: Bool, high: Bool) {
        if !high && features.hasSSE41 {
            switch (source, signed) {
            case (.i8x16, true): assembler.vector(.pmovsxbw, register, register)
            case (.i8x16, false): assembler.vector(.pmovzxbw, register, register)
            case (.i16x8, true): assembler.vector(.pmovsxwd, register, register)
            case (.i16x8, false): assembler.vector(.pmovzxwd, register, register)
            case (_, true): assembler.vector(.pmovsxdq, register, register)
            case (_, false): assembler.vector(.pmovzxdq, register, register)
            }
            return
        }
        let unpack: V
        switch (source, high) {
        case (.i8x16, false): unpack = .punpcklbw
        case (.i8x16, true): unpack = .punpckhbw
        case (.i16x8, false): unpack = .punpcklwd
        case (.i16x8, true): unpack = .punpckhwd
        case (_, false): unpack = .punpckldq
        case (_, true): unpack = .punpckhdq
        }
        if !signed {
            assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
            assembler.vector(unpack, register, Self.scratchXMM)
        } else if source == .i32x4 {
            assembler.movaps(Self.scratchXMM, register)
            assembler.vectorShift(.psrad, Self.scratchXMM, by: 31)
            assembler.vector(unpack, register, Self.scratchXMM)
        } else {
            // Each element lands in the high half of its wide lane; shift it down with its sign.
            assembler.vector(unpack, register, register)
            if source == .i8x16 {
                assembler.vectorShift(.psraw, register, by: 8)
            } else {
                assembler.vectorShift(.psrad, register, by: 16)
            }
        }
    }

    mutating func emitExtend(_ source: SIMDShape, signed: Bool, high: Bool) {
        let a = popXMM()
        extendInPlace(a, source, signed: signed, high: high)
        pushXMM(.v128, a)
    }

    mutating func emitExtendingMultiply8(signed: Bool, high: Bool) {
        let b = popXMM()
        let a = popXMM()
        extendInPlace(a, .i8x16, signed: signed, high: high)
        extendInPlace(b, .i8x16, signed: signed, high: high)
        assembler.vector(.pmullw, a, b)
        release(b)
        pushXMM(.v128, a)
    }

    /// Low and high halves of the 32-bit products, interleaved.
    mutating func emitExtendingMultiply16(signed: Bool, high: Bool) {
        let b = popXMM()
        let a = popXMM()
        let low = copyVector(a)
        assembler.vector(.pmullw, low, b)
        assembler.vector(signed ? .pmulhw : .pmulhuw, a, b)
        assembler.vector(high ? .punpckhwd : .punpcklwd, low, a)
        assembler.movaps(a, low)
        release(low)
        release(b)
        pushXMM(.v128, a)
    }

    mutating func emitExtendingMultiply32(signed: Bool, high: Bool) {
        let b = popXMM()
        let a = popXMM()
        // Lanes 0,1 (or 2,3) into the even dword positions.
        let order: UInt8 = high ? 0xFA : 0x50
        assembler.vector(.pshufd, a, a, immediate: order)
        assembler.vector(.pshufd, b, b, immediate: order)
        if !signed {
            assembler.vector(.pmuludq, a, b)
        } else if features.hasSSE41 {
            assembler.vector(.pmuldq, a, b)
        } else {
            // signed = unsigned - ((a < 0 ? b : 0) + (b < 0 ? a : 0)) << 32
            let correction = copyVector(a)
            assembler.vectorShift(.psrad, correction, by: 31)
            assembler.vector(.pand, correction, b)
            assembler.movaps(Self.scratchXMM, b)
            assembler.vectorShift(.psrad, Self.scratchXMM, by: 31)
            assembler.vector(.pand, Self.scratchXMM, a)
            assembler.vector(.paddd, correction, Self.scratchXMM)
            assembler.vectorShift(.psllq, correction, by: 32)
            assembler.vector(.pmuludq, a, b)
            assembler.vector(.psubq, a, correction)
            release(correction)
        }
        release(b)
        pushXMM(.v128, a)
    }

    // MARK: Float arithmetic

    /// minps/minpd return the second operand when either is NaN or both are zero: take the
    /// minimum both ways, OR them (propagates -0 and NaN), then make NaN lanes canonical.
    mutating func emitFloatMinimum(double: Bool) {
        let b = popXMM()
        let a = popXMM()
        vectorInto(Self.scratchXMM, b, double ? .minpd : .minps, a)
        assembler.vector(double ? .minpd : .minps, a, b)
        assembler.vector(.orps, Self.scratchXMM, a)
        assembler.vector(double ? .cmppd : .cmpps, a, Self.scratchXMM, immediate: X64Assembler.FloatComparison.unordered.rawValue)
        assembler.vector(.orps, Self.scratchXMM, a)
        assembler.vectorShift(double ? .psrlq : .psrld, a, by: double ? 13 : 10)
        assembler.vector(.andnps, a, Self.scratchXMM)
        release(b)
        pushXMM(.v128, a)
    }

    mutating func emitFloatMaximum(double: Bool) {
        let b = popXMM()
        let a = popXMM()
        vectorInto(Self.scratchXMM, b, double ? .maxpd : .maxps, a)
        assembler.vector(double ? .maxpd : .maxps, a, b)
        // Discrepancies (NaN, +0/-0) become visible in the XOR; subtracting it propagates
        // NaN and turns +0/-0 into +0.
        assembler.vector(.xorps, a, Self.scratchXMM)
        assembler.vector(.orps, Self.scratchXMM, a)
        assembler.vector(double ? .subpd : .subps, Self.scratchXMM, a)
        assembler.vector(double ? .cmppd : .cmpps, a, Self.scratchXMM, immediate: X64Assembler.FloatComparison.unordered.rawValue)
        assembler.vectorShift(double ? .psrlq : .psrld, a, by: double ? 13 : 10)
        assembler.vector(.andnps, a, Self.scratchXMM)
        release(b)
        pushXMM(.v128, a)
    }

    mutating func emitVectorRound(double: Bool, _ mode: X64Assembler.RoundingMode) {
        if features.hasSSE41 {
            let a = popXMM()
            assembler.vector(double ? .roundpd : .roundps, a, a, immediate: mode.rawValue)
            pushXMM(.v128, a)
            return
        }
        // Lane by lane in the operand's slot with the scalar SSE2 sequence.
        let position = stack.count - 1
        spill(position)
        let laneBytes = double ? 8 : 4
        let precision: X64Assembler.FloatPrecision = double ? .double : .single
        let lane = allocateXMM()
        for index in 0..<(16 / laneBytes) {
            let address = slotAddress(position, byte: index * laneBytes)
            assembler.movFloat(precision, lane, address)
            emitRoundFallback(double ? .f64 : .f32, mode, lane)
            assembler.movFloat(precision, address, lane)
        }
        release(lane)
    }

    // MARK: Integer/float conversions

    /// u32 → f32: the low 16 bits convert exactly, the rest (halved so it is non-negative)
    /// converts exactly too; one rounding in the final addition.
    mutating func emitConvertU32ToF32() {
        let a = popXMM()
        assembler.movaps(Self.scratchXMM, a)
        assembler.vectorShift(.pslld, Self.scratchXMM, by: 16)
        assembler.vectorShift(.psrld, Self.scratchXMM, by: 16)
        assembler.vector(.psubd, a, Self.scratchXMM)
        assembler.vector(.cvtdq2ps, Self.scratchXMM, Self.scratchXMM)
        assembler.vectorShift(.psrld, a, by: 1)
        assembler.vector(.cvtdq2ps, a, a)
        assembler.vector(.addps, a, a)
        assembler.vector(.addps, a, Self.scratchXMM)
        pushXMM(.v128, a)
    }

    mutating func emitTruncateSaturateF32ToS32() {
        let a = popXMM()
        // NaN lanes → 0.
        assembler.movaps(Self.scratchXMM, a)
        assembler.vector(.cmpps, Self.scratchXMM, Self.scratchXMM, immediate: X64Assembler.FloatComparison.equal.rawValue)
        assembler.vector(.andps, a, Self.scratchXMM)
        // Top bit of scratch: the lane was non-negative.
        assembler.vector(.pxor, Self.scratchXMM, a)
        assembler.vector(.cvttps2dq, a, a)
        // Non-negative lanes that came out as 0x80000000 overflowed: make them 0x7FFFFFFF.
        assembler.vector(.pand, Self.scratchXMM, a)
        assembler.vectorShift(.psrad, Self.scratchXMM, by: 31)
        assembler.vector(.pxor, a, Self.scratchXMM)
        pushXMM(.v128, a)
    }

    mutating func emitTruncateSaturateF32ToU32() {
        let a = popXMM()
        let high = allocateXMM()
        // NaN and negative lanes → 0.
        assembler.vector(.xorps, Self.scratchXMM, Self.scratchXMM)
        assembler.vector(.maxps, a, Self.scratchXMM)
        // scratch = 2^31 in every lane (0x7FFFFFFF converted).
        allOnes(Self.scratchXMM)
        assembler.vectorShift(.psrld, Self.scratchXMM, by: 1)
        assembler.vector(.cvtdq2ps, Self.scratchXMM, Self.scratchXMM)
        // high = a - 2^31 converted; lanes at or above 2^32 saturate to 0xFFFFFFFF in the end.
        assembler.movaps(high, a)
        assembler.vector(.subps, high, Self.scratchXMM)
        assembler.vector(.cmpps, Self.scratchXMM, high, immediate: X64Assembler.FloatComparison.lessOrEqual.rawValue)
        assembler.vector(.cvttps2dq, high, high)
        assembler.vector(.pxor, high, Self.scratchXMM)
        // max(high, 0)
        if features.hasSSE41 {
            assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
            assembler.vector(.pmaxsd, high, Self.scratchXMM)
        } else {
            assembler.movaps(Self.scratchXMM, high)
            assembler.vectorShift(.psrad, Self.scratchXMM, by: 31)
            assembler.vector(.pandn, Self.scratchXMM, high)
            assembler.movaps(high, Self.scratchXMM)
        }
        assembler.vector(.cvttps2dq, a, a)
        assembler.vector(.paddd, a, high)
        release(high)
        pushXMM(.v128, a)
    }

    mutating func emitTruncateSaturateF64ToS32() {
        let a = popXMM()
        let limit = allocateXMM()
        // min(a, 2^31 - 1), with NaN lanes → 0 (minpd returns its second operand on NaN).
        splat64(limit, 0x41DF_FFFF_FFC0_0000)
        assembler.movaps(Self.scratchXMM, a)
        assembler.vector(.cmppd, Self.scratchXMM, Self.scratchXMM, immediate: X64Assembler.FloatComparison.equal.rawValue)
        assembler.vector(.andpd, Self.scratchXMM, limit)
        assembler.vector(.minpd, a, Self.scratchXMM)
        assembler.vector(.cvttpd2dq, a, a)
        release(limit)
        pushXMM(.v128, a)
    }

    mutating func emitTruncateSaturateF64ToU32() {
        let a = popXMM()
        let constant = allocateXMM()
        // Clamp to [0, 2^32 - 1] (NaN → 0), truncate, and add 2^52 so that the low dword of
        // each double is the integer; then gather the two low dwords.
        assembler.vector(.xorpd, Self.scratchXMM, Self.scratchXMM)
        assembler.vector(.maxpd, a, Self.scratchXMM)
        splat64(constant, 0x41EF_FFFF_FFE0_0000)
        assembler.vector(.minpd, a, constant)
        splat64(constant, 0x4330_0000_0000_0000)
        if features.hasSSE41 {
            assembler.vector(.roundpd, a, a, immediate: X64Assembler.RoundingMode.trunc.rawValue)
        } else {
            // Round to nearest by adding and subtracting 2^52, then subtract 1 where that
            // rounded up.
            let rounded = copyVector(a)
            assembler.vector(.addpd, rounded, constant)
            assembler.vector(.subpd, rounded, constant)
            assembler.vector(.cmppd, a, rounded, immediate: X64Assembler.FloatComparison.less.rawValue)
            splat64(Self.scratchXMM, 0x3FF0_0000_0000_0000)
            assembler.vector(.andpd, a, Self.scratchXMM)
            assembler.vector(.subpd, rounded, a)
            assembler.movaps(a, rounded)
            release(rounded)
        }
        assembler.vector(.addpd, a, constant)
        assembler.vector(.xorps, Self.scratchXMM, Self.scratchXMM)
        assembler.vector(.shufps, a, Self.scratchXMM, immediate: 0x88)
        release(constant)
        pushXMM(.v128, a)
    }

    // MARK: Shuffles

    /// Reserves stack slot `position` (beyond the operands) as scratch memory.
    mutating func reserveSlot(_ position: Int) -> X64Memory {
        if position + 1 > maxStackHeight { maxStackHeight = position + 1 }
        return slotAddress(position)
    }

    mutating func emitShuffle(_ lanes: V128) {
        var indices: [Int] = []
        for index in 0..<16 { indices.append(Int(lanes.byte(index))) }
        // One source, whole dwords: pshufd.
        if let (fromSecond, order) = Self.dwordShuffle(indices) {
            let b = popXMM()
            let a = popXMM()
            let (source, unused) = fromSecond ? (b, a) : (a, b)
            assembler.vector(.pshufd, source, source, immediate: order)
            release(unused)
            pushXMM(.v128, source)
            return
        }
        // Interleaving the low or high halves of the operands: one unpack (SSE2).
        if let (operation, swapped) = Self.unpackShuffle(indices) {
            if swapped { vectorBinaryReversed(operation) } else { vectorBinary(operation) }
            return
        }
        // Sixteen consecutive bytes of a:b: palignr (b supplies the high half).
        if features.hasSSSE3, indices[0] > 0, indices[0] < 16, indices.indices.allSatisfy({ indices[$0] == indices[0] + $0 }) {
            vectorBinaryReversed(.palignr, immediate: UInt8(indices[0]))
            return
        }
        // Every byte from one operand: one pshufb.
        if features.hasSSSE3, indices.allSatisfy({ $0 < 16 }) || indices.allSatisfy({ $0 >= 16 }) {
            let fromSecond = indices[0] >= 16
            let b = popXMM()
            let a = popXMM()
            let (source, unused) = fromSecond ? (b, a) : (a, b)
            var mask = V128(low: 0, high: 0)
            for (lane, index) in indices.enumerated() {
                let selector = UInt64(index & 15) << (8 * UInt64(lane % 8))
                if lane < 8 { mask.low |= selector } else { mask.high |= selector }
            }
            loadVectorConstant(unused, mask)
            assembler.vector(.pshufb, source, unused)
            release(unused)
            pushXMM(.v128, source)
            return
        }
        if features.hasSSSE3 {
            let b = popXMM()
            let a = popXMM()
            var firstMask = V128(low: 0, high: 0)
            var secondMask = V128(low: 0, high: 0)
            for (lane, index) in indices.enumerated() {
                let first = UInt64(index < 16 ? index : 0x80)
                let second = UInt64(index >= 16 ? index - 16 : 0x80)
                if lane < 8 {
                    firstMask.low |= first << (8 * UInt64(lane))
                    secondMask.low |= second << (8 * UInt64(lane))
                } else {
                    firstMask.high |= first << (8 * UInt64(lane - 8))
                    secondMask.high |= second << (8 * UInt64(lane - 8))
                }
            }
            let mask = allocateXMM()
            loadVectorConstant(mask, firstMask)
            assembler.vector(.pshufb, a, mask)
            loadVectorConstant(mask, secondMask)
            assembler.vector(.pshufb, b, mask)
            assembler.vector(.por, a, b)
            release(mask)
            release(b)
            pushXMM(.v128, a)
            return
        }
        // SSE2: byte by byte through memory; a and b are in their slots p and p + 1.
        let position = stack.count - 2
        spill(position)
        spill(position + 1)
        _ = reserveSlot(position + 2)
        for (lane, index) in indices.enumerated() {
            let source = index < 16 ? slotAddress(position, byte: index) : slotAddress(position + 1, byte: index - 16)
            assembler.movzx(.bits32, Self.scratch, source, from: .bits8)
            assembler.mov(.bits8, slotAddress(position + 2, byte: lane), Self.scratch)
        }
        truncateStack(to: position)
        let result = allocateXMM()
        assembler.movdqu(result, slotAddress(position + 2))
        pushXMM(.v128, result)
    }

    /// The unpack instruction a shuffle is, if any, and whether its operands are swapped
    /// (`b` interleaved with `a`, computed as `unpack b, a`).
    static func unpackShuffle(_ indices: [Int]) -> (V, swapped: Bool)? {
        let forms: [(V, width: Int, high: Bool)] = [
            (.punpcklbw, 1, false), (.punpckhbw, 1, true), (.punpcklwd, 2, false), (.punpckhwd, 2, true),
            (.punpckldq, 4, false), (.punpckhdq, 4, true), (.punpcklqdq, 8, false), (.punpckhqdq, 8, true),
        ]
        for (operation, width, high) in forms {
            for swapped in [false, true] {
                let matches = (0..<16).allSatisfy { lane in
                    let element = lane / width
                    let fromSecond = (element % 2 == 1) != swapped
                    let sourceElement = (high ? 8 / width : 0) + element / 2
                    return indices[lane] == sourceElement * width + lane % width + (fromSecond ? 16 : 0)
                }
                if matches { return (operation, swapped) }
            }
        }
        return nil
    }

    /// If every group of four lanes selects one aligned dword of a single operand, that
    /// operand (false: the first) and the pshufd order.
    static func dwordShuffle(_ indices: [Int]) -> (Bool, UInt8)? {
        let fromSecond = indices[0] >= 16
        var order: UInt8 = 0
        for group in 0..<4 {
            let first = indices[4 * group]
            guard first % 4 == 0, (first >= 16) == fromSecond else { return nil }
            for byte in 1..<4 where indices[4 * group + byte] != first + byte { return nil }
            order |= UInt8((first % 16) / 4) << (2 * UInt8(group))
        }
        return (fromSecond, order)
    }

    /// r[i] = a[s[i]] for s[i] < 16, else 0.
    mutating func emitSwizzle() {
        if features.hasSSSE3 {
            // Indices of 16 or more get their top bit set (saturating add of 0x70); pshufb
            // zeroes those lanes.
            let selector = popXMM()
            let a = popXMM()
            splat8(Self.scratchXMM, 0x70)
            assembler.vector(.paddusb, Self.scratchXMM, selector)
            assembler.vector(.pshufb, a, Self.scratchXMM)
            release(selector)
            pushXMM(.v128, a)
            return
        }
        // SSE2: a copied into slot p + 3 with 16 zero bytes above it (slot p + 2), indices
        // clamped to 16, result written into a's own slot p.
        let position = stack.count - 2
        spill(position)
        spill(position + 1)
        let zeros = reserveSlot(position + 2)
        let copy = reserveSlot(position + 3)
        assembler.vector(.pxor, Self.scratchXMM, Self.scratchXMM)
        assembler.movdqu(zeros, Self.scratchXMM)
        assembler.movdqu(Self.scratchXMM, slotAddress(position))
        assembler.movdqu(copy, Self.scratchXMM)
        let limit = allocateGPR()
        let base = allocateGPR()
        assembler.movImmediate(.bits32, limit, 16)
        assembler.lea(base, copy)
        for lane in 0..<16 {
            assembler.movzx(.bits32, Self.scratch, slotAddress(position + 1, byte: lane), from: .bits8)
            assembler.cmp(.bits32, Self.scratch, limit)
            assembler.cmov(.above, .bits32, Self.scratch, limit)
            assembler.movzx(.bits32, Self.scratch, X64Memory(base: base, index: Self.scratch), from: .bits8)
            assembler.mov(.bits8, slotAddress(position, byte: lane), Self.scratch)
        }
        release(limit)
        release(base)
        truncateStack(to: position)
        push(.v128, .spilled)
    }

    // MARK: Lanes

    mutating func emitLaneOperation(_ operation: SIMDLaneOperation, lane: UInt8) {
        switch operation {
        case .i8x16ExtractLaneS, .i8x16ExtractLaneU:
            let a = popXMM()
            let result = allocateGPR()
            extractByte(result, a, lane: lane)
            if operation == .i8x16ExtractLaneS {
                assembler.movsx(.bits32, result, result, from: .bits8)
            } else {
                assembler.movzx(.bits32, result, result, from: .bits8)
            }
            release(a)
            pushGPR(.i32, result)
        case .i16x8ExtractLaneS, .i16x8ExtractLaneU:
            let a = popXMM()
            let result = allocateGPR()
            assembler.pextrw(result, a, lane: lane)
            if operation == .i16x8ExtractLaneS { assembler.movsx(.bits32, result, result, from: .bits16) }
            release(a)
            pushGPR(.i32, result)
        case .i32x4ExtractLane, .i64x2ExtractLane:
            let a = popXMM()
            let result = allocateGPR()
            let wide = operation == .i64x2ExtractLane
            extractWide(result, a, lane: lane, wide: wide)
            release(a)
            pushGPR(wide ? .i64 : .i32, result)
        case .f32x4ExtractLane:
            let a = popXMM()
            if lane != 0 { assembler.vector(.pshufd, a, a, immediate: lane) }
            pushXMM(.f32, a)
        case .f64x2ExtractLane:
            let a = popXMM()
            if lane != 0 { assembler.vector(.movhlps, a, a) }
            pushXMM(.f64, a)
        case .i8x16ReplaceLane:
            let scalar = popGPR()
            let a = popXMM()
            replaceByte(a, scalar, lane: lane)
            release(scalar)
            pushXMM(.v128, a)
        case .i16x8ReplaceLane:
            let scalar = popGPR()
            let a = popXMM()
            assembler.pinsrw(a, scalar, lane: lane)
            release(scalar)
            pushXMM(.v128, a)
        case .i32x4ReplaceLane, .i64x2ReplaceLane:
            let scalar = popGPR()
            let a = popXMM()
            replaceWide(a, scalar, lane: lane, wide: operation == .i64x2ReplaceLane)
            release(scalar)
            pushXMM(.v128, a)
        case .f32x4ReplaceLane:
            let scalar = popXMM()
            let a = popXMM()
            if lane == 0 {
                assembler.movFloat(.single, a, scalar)
            } else if features.hasSSE41 {
                assembler.vector(.insertps, a, scalar, immediate: lane << 4)
            } else {
                assembler.movFromXMM(.bits32, Self.scratch, scalar)
                assembler.pinsrw(a, Self.scratch, lane: 2 * lane)
                assembler.shift(.shr, .bits32, Self.scratch, immediate: 16)
                assembler.pinsrw(a, Self.scratch, lane: 2 * lane + 1)
            }
            release(scalar)
            pushXMM(.v128, a)
        case .f64x2ReplaceLane:
            let scalar = popXMM()
            let a = popXMM()
            if lane == 0 {
                assembler.movFloat(.double, a, scalar)
            } else {
                assembler.vector(.movlhps, a, scalar)
            }
            release(scalar)
            pushXMM(.v128, a)
        }
    }

    /// Byte `lane` of `source` in the low byte of `destination` (upper bits unspecified).
    mutating func extractByte(_ destination: X64GPR, _ source: X64XMM, lane: UInt8) {
        if features.hasSSE41 {
            assembler.pextr(.byte, destination, source, lane: lane)
        } else {
            assembler.pextrw(destination, source, lane: lane / 2)
            if lane % 2 == 1 { assembler.shift(.shr, .bits32, destination, immediate: 8) }
        }
    }

    /// A 32- or 64-bit lane of `source`, zero-extended (32-bit lanes).
    mutating func extractWide(_ destination: X64GPR, _ source: X64XMM, lane: UInt8, wide: Bool) {
        let size: X64OperandSize = wide ? .bits64 : .bits32
        if lane == 0 {
            assembler.movFromXMM(size, destination, source)
        } else if features.hasSSE41 {
            assembler.pextr(wide ? .qword : .dword, destination, source, lane: lane)
        } else {
            assembler.vector(.pshufd, Self.scratchXMM, source, immediate: wide ? 0xEE : lane)
            assembler.movFromXMM(size, destination, Self.scratchXMM)
        }
    }

    /// Replaces byte `lane` of `vector` with the low byte of `scalar` (which it may clobber).
    mutating func replaceByte(_ vector: X64XMM, _ scalar: X64GPR, lane: UInt8) {
        if features.hasSSE41 {
            assembler.pinsr(.byte, vector, scalar, lane: lane)
            return
        }
        // Merge into the containing word.
        assembler.pextrw(Self.scratch, vector, lane: lane / 2)
        assembler.movzx(.bits32, scalar, scalar, from: .bits8)
        if lane % 2 == 0 {
            assembler.alu(.and, .bits32, Self.scratch, immediate: 0xFF00)
        } else {
            assembler.alu(.and, .bits32, Self.scratch, immediate: 0x00FF)
            assembler.shift(.shl, .bits32, scalar, immediate: 8)
        }
        assembler.alu(.or, .bits32, Self.scratch, scalar)
        assembler.pinsrw(vector, Self.scratch, lane: lane / 2)
    }

    /// Replaces a 32- or 64-bit lane of `vector` with `scalar` (which it may clobber).
    mutating func replaceWide(_ vector: X64XMM, _ scalar: X64GPR, lane: UInt8, wide: Bool) {
        if features.hasSSE41 {
            assembler.pinsr(wide ? .qword : .dword, vector, scalar, lane: lane)
        } else if wide {
            assembler.movToXMM(.bits64, Self.scratchXMM, scalar)
            if lane == 0 {
                assembler.movFloat(.double, vector, Self.scratchXMM)
            } else {
                assembler.vector(.punpcklqdq, vector, Self.scratchXMM)
            }
        } else if lane == 0 {
            assembler.movToXMM(.bits32, Self.scratchXMM, scalar)
            assembler.movFloat(.single, vector, Self.scratchXMM)
        } else {
            assembler.pinsrw(vector, scalar, lane: 2 * lane)
            assembler.shift(.shr, .bits32, scalar, immediate: 16)
            assembler.pinsrw(vector, scalar, lane: 2 * lane + 1)
        }
    }

    // MARK: Memory

    mutating func emitSIMDLoad(_ operation: SIMDLoadOperation, _ argument: MemoryArgument, at offset: Int) throws(WasmError) {
        let width: Int
        switch operation {
        case .v128Load: width = 16
        case .v128Load8Splat: width = 1
        case .v128Load16Splat: width = 2
        case .v128Load32Splat, .v128Load32Zero: width = 4
        default: width = 8
        }
        let address = popGPR()
        let (operand, mayFault, temporaries) = try memoryOperand(address: address, argument: argument, width: width, at: offset)
        let result = allocateXMM()
        if mayFault { recordTrapSite(.memoryOutOfBounds) }
        if features.hasAVX2, let broadcast = Self.broadcast(loading: operation) {
            // Broadcasts read just the lane's bytes from memory, with no alignment requirement.
            assembler.vex(broadcast, result, operand)
            release(address)
            for temporary in temporaries { release(temporary) }
            pushXMM(.v128, result)
            return
        }
        switch operation {
        case .v128Load:
            assembler.movdqu(result, operand)
        case .v128Load8x8S, .v128Load8x8U, .v128Load16x4S, .v128Load16x4U, .v128Load32x2S, .v128Load32x2U:
            assembler.movq(result, operand)
            let source: SIMDShape
            switch operation {
            case .v128Load8x8S, .v128Load8x8U: source = .i8x16
            case .v128Load16x4S, .v128Load16x4U: source = .i16x8
            default: source = .i32x4
            }
            let signed = operation == .v128Load8x8S || operation == .v128Load16x4S || operation == .v128Load32x2S
            extendInPlace(result, source, signed: signed, high: false)
        case .v128Load8Splat:
            assembler.movzx(.bits32, address, operand, from: .bits8)
            emitSplat(from: address, into: result, .i8x16Splat)
        case .v128Load16Splat:
            assembler.movzx(.bits32, address, operand, from: .bits16)
            emitSplat(from: address, into: result, .i16x8Splat)
        case .v128Load32Splat:
            assembler.movd(result, operand)
            assembler.vector(.pshufd, result, result, immediate: 0)
        case .v128Load64Splat:
            assembler.movq(result, operand)
            assembler.vector(.punpcklqdq, result, result)
        case .v128Load32Zero:
            assembler.movd(result, operand)
        case .v128Load64Zero:
            assembler.movq(result, operand)
        }
        release(address)
        for temporary in temporaries { release(temporary) }
        pushXMM(.v128, result)
    }

    static func broadcast(loading operation: SIMDLoadOperation) -> X64Assembler.Broadcast? {
        switch operation {
        case .v128Load8Splat: return .vpbroadcastb
        case .v128Load16Splat: return .vpbroadcastw
        case .v128Load32Splat: return .vpbroadcastd
        case .v128Load64Splat: return .vpbroadcastq
        default: return nil
        }
    }

    mutating func emitVectorStore(_ argument: MemoryArgument, at offset: Int) throws(WasmError) {
        let value = popXMM()
        let address = popGPR()
        let (operand, mayFault, temporaries) = try memoryOperand(address: address, argument: argument, width: 16, at: offset)
        if mayFault { recordTrapSite(.memoryOutOfBounds) }
        assembler.movdqu(operand, value)
        release(value)
        release(address)
        for temporary in temporaries { release(temporary) }
    }

    mutating func emitLoadLane(_ operation: SIMDLaneMemoryOperation, _ argument: MemoryArgument, lane: UInt8,
                               at offset: Int) throws(WasmError) {
        let vector = popXMM()
        let address = popGPR()
        let width = operation.shape.laneByteWidth
        let (operand, mayFault, temporaries) = try memoryOperand(address: address, argument: argument, width: width, at: offset)
        if mayFault { recordTrapSite(.memoryOutOfBounds) }
        switch operation {
        case .lane8:
            // The loaded byte goes through the address register (r11 holds the address).
            assembler.movzx(.bits32, address, operand, from: .bits8)
            for temporary in temporaries { release(temporary) }
            replaceByte(vector, address, lane: lane)
        case .lane16:
            assembler.pinsrw(vector, operand, lane: lane)
            for temporary in temporaries { release(temporary) }
        case .lane32:
            assembler.mov(.bits32, address, operand)
            for temporary in temporaries { release(temporary) }
            replaceWide(vector, address, lane: lane, wide: false)
        case .lane64:
            assembler.mov(.bits64, address, operand)
            for temporary in temporaries { release(temporary) }
            replaceWide(vector, address, lane: lane, wide: true)
        }
        release(address)
        pushXMM(.v128, vector)
    }

    mutating func emitStoreLane(_ operation: SIMDLaneMemoryOperation, _ argument: MemoryArgument, lane: UInt8,
                                at offset: Int) throws(WasmError) {
        let vector = popXMM()
        let address = popGPR()
        // Extract first: the address computation below owns r11.
        let value = allocateGPR()
        switch operation {
        case .lane8: extractByte(value, vector, lane: lane)
        case .lane16: assembler.pextrw(value, vector, lane: lane)
        case .lane32: extractWide(value, vector, lane: lane, wide: false)
        case .lane64: extractWide(value, vector, lane: lane, wide: true)
        }
        release(vector)
        let width = operation.shape.laneByteWidth
        let (operand, mayFault, temporaries) = try memoryOperand(address: address, argument: argument, width: width, at: offset)
        if mayFault { recordTrapSite(.memoryOutOfBounds) }
        switch operation {
        case .lane8: assembler.mov(.bits8, operand, value)
        case .lane16: assembler.mov(.bits16, operand, value)
        case .lane32: assembler.mov(.bits32, operand, value)
        case .lane64: assembler.mov(.bits64, operand, value)
        }
        release(value)
        release(address)
        for temporary in temporaries { release(temporary) }
    }
}
