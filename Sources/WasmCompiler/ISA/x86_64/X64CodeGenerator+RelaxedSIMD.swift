import WasmFrontEnd

/// Relaxed SIMD in the baseline tier. Each instruction takes, of the results the specification
/// allows, the one this machine computes fastest; a given machine always gives the same answer.
/// With CPU features missing, each falls back to its deterministic 2.0 counterpart (always an
/// allowed result). The choices (see docs/ARCHITECTURE.md):
/// - `relaxed_swizzle`: `pshufb` as is (indices 16–127 select lane `index mod 16`).
/// - `relaxed_trunc_*_s`: `cvttps2dq`/`cvttpd2dq` (NaN and out-of-range lanes give INT32_MIN);
///   the unsigned forms use the saturating sequence (x86 has no unsigned packed conversion
///   before AVX-512).
/// - `relaxed_madd`/`nmadd`: fused (`vfmadd231`/`vfnmadd231`) with FMA, else multiply then add.
/// - `relaxed_laneselect`: with AVX, `vpblendvb`/`vblendvps`/`vblendvpd` on the mask's top bits
///   (i8x16, i32x4, i64x2); i16x8, and everything without AVX, use `bitselect`.
/// - `relaxed_min`/`max`: `minps`/`maxps` as is (NaN or ±0 operands give the second operand).
/// - `relaxed_q15mulr_s`: `pmulhrsw` as is (0x8000 · 0x8000 gives 0x8000).
/// - `relaxed_dot_i8x16_i7x16_s`: `pmaddubsw` with the second operand unsigned (a top bit set
///   in it reads as 128–255; sums saturate); without SSSE3, both signed and wrapping.
extension X64CodeGenerator {
    mutating func emitRelaxedSIMD(_ operation: RelaxedSIMDOperation) {
        switch operation {
        case .i8x16RelaxedSwizzle:
            if features.hasSSSE3 { vectorBinary(.pshufb) } else { emitSwizzle() }
        case .i32x4RelaxedTruncF32x4S: vectorUnary(.cvttps2dq)
        case .i32x4RelaxedTruncF32x4U: emitTruncateSaturateF32ToU32()
        case .i32x4RelaxedTruncF64x2SZero: vectorUnary(.cvttpd2dq)
        case .i32x4RelaxedTruncF64x2UZero: emitTruncateSaturateF64ToU32()
        case .f32x4RelaxedMadd: emitMultiplyAdd(double: false, negated: false)
        case .f32x4RelaxedNmadd: emitMultiplyAdd(double: false, negated: true)
        case .f64x2RelaxedMadd: emitMultiplyAdd(double: true, negated: false)
        case .f64x2RelaxedNmadd: emitMultiplyAdd(double: true, negated: true)
        case .i8x16RelaxedLaneselect: emitLaneSelect(features.hasAVX ? .vpblendvb : nil)
        case .i16x8RelaxedLaneselect: emitLaneSelect(nil)
        case .i32x4RelaxedLaneselect: emitLaneSelect(features.hasAVX ? .vblendvps : nil)
        case .i64x2RelaxedLaneselect: emitLaneSelect(features.hasAVX ? .vblendvpd : nil)
        case .f32x4RelaxedMin: vectorBinary(.minps)
        case .f32x4RelaxedMax: vectorBinary(.maxps)
        case .f64x2RelaxedMin: vectorBinary(.minpd)
        case .f64x2RelaxedMax: vectorBinary(.maxpd)
        case .i16x8RelaxedQ15mulrS:
            if features.hasSSSE3 { vectorBinary(.pmulhrsw) } else { emitQ15MultiplyRoundSaturate() }
        case .i16x8RelaxedDotI8x16I7x16S:
            emitRelaxedDot()
        case .i32x4RelaxedDotI8x16I7x16AddS:
            let accumulator = popXMM()
            emitRelaxedDot()
            let products = popXMM()
            // Adjacent i16 sums to i32: multiply by 1 and add pairs.
            splat16(Self.scratchXMM, 1)
            assembler.vector(.pmaddwd, products, Self.scratchXMM)
            assembler.vector(.paddd, products, accumulator)
            release(accumulator)
            pushXMM(.v128, products)
        }
    }

    /// `a · b + c` (negated: `-(a · b) + c`), fused with FMA.
    mutating func emitMultiplyAdd(double: Bool, negated: Bool) {
        let c = popXMM()
        let b = popXMM()
        let a = popXMM()
        if features.hasFMA {
            let operation: X64Assembler.FusedMultiplyAdd
            switch (double, negated) {
            case (false, false): operation = .vfmadd231ps
            case (true, false): operation = .vfmadd231pd
            case (false, true): operation = .vfnmadd231ps
            case (true, true): operation = .vfnmadd231pd
            }
            assembler.vex(operation, c, a, b)
        } else {
            assembler.vector(double ? .mulpd : .mulps, a, b)
            assembler.vector(negated ? (double ? .subpd : .subps) : (double ? .addpd : .addps), c, a)
        }
        release(a)
        release(b)
        pushXMM(.v128, c)
    }

    /// `mask ? a : b` per lane: a blend on the mask lanes' top bits, or `bitselect`.
    mutating func emitLaneSelect(_ blend: X64Assembler.VariableBlend?) {
        let mask = popXMM()
        let b = popXMM()
        let a = popXMM()
        if let blend {
            assembler.vex(blend, a, b, a, mask: mask)
        } else {
            // ((a ^ b) & mask) ^ b
            assembler.vector(.pxor, a, b)
            assembler.vector(.pand, a, mask)
            assembler.vector(.pxor, a, b)
        }
        release(mask)
        release(b)
        pushXMM(.v128, a)
    }

    /// Sums of adjacent byte products into i16 lanes.
    mutating func emitRelaxedDot() {
        if features.hasSSSE3 {
            // pmaddubsw takes its destination as unsigned bytes: the 7-bit operand b.
            vectorBinaryReversed(.pmaddubsw)
            return
        }
        let b = popXMM()
        let a = popXMM()
        // Odd bytes sign-extended by an arithmetic word shift, even ones by shifting up first.
        let aOdd = copyVector(a)
        let bOdd = copyVector(b)
        assembler.vectorShift(.psraw, aOdd, by: 8)
        assembler.vectorShift(.psraw, bOdd, by: 8)
        assembler.vectorShift(.psllw, a, by: 8)
        assembler.vectorShift(.psraw, a, by: 8)
        assembler.vectorShift(.psllw, b, by: 8)
        assembler.vectorShift(.psraw, b, by: 8)
        assembler.vector(.pmullw, a, b)
        assembler.vector(.pmullw, aOdd, bOdd)
        assembler.vector(.paddw, a, aOdd)
        release(b)
        release(aOdd)
        release(bOdd)
        pushXMM(.v128, a)
    }
}
