// Relaxed SIMD (WebAssembly 3.0): 20 instructions whose results may differ between machines
// within a set the specification allows (e.g. fused or unfused multiply-add, the x86 or the
// wasm answer for NaN operands of min). `Instruction.relaxedSIMD` carries them; which of the
// allowed results a machine produces is the compiler's choice (documented where it lowers them).

/// The relaxed SIMD instructions; raw values are the 0xFD subopcodes (0x100–0x113).
public enum RelaxedSIMDOperation: UInt32, Equatable, Hashable, Sendable, CaseIterable {
    case i8x16RelaxedSwizzle = 0x100
    case i32x4RelaxedTruncF32x4S = 0x101
    case i32x4RelaxedTruncF32x4U = 0x102
    case i32x4RelaxedTruncF64x2SZero = 0x103
    case i32x4RelaxedTruncF64x2UZero = 0x104
    case f32x4RelaxedMadd = 0x105
    case f32x4RelaxedNmadd = 0x106
    case f64x2RelaxedMadd = 0x107
    case f64x2RelaxedNmadd = 0x108
    case i8x16RelaxedLaneselect = 0x109
    case i16x8RelaxedLaneselect = 0x10A
    case i32x4RelaxedLaneselect = 0x10B
    case i64x2RelaxedLaneselect = 0x10C
    case f32x4RelaxedMin = 0x10D
    case f32x4RelaxedMax = 0x10E
    case f64x2RelaxedMin = 0x10F
    case f64x2RelaxedMax = 0x110
    case i16x8RelaxedQ15mulrS = 0x111
    case i16x8RelaxedDotI8x16I7x16S = 0x112
    case i32x4RelaxedDotI8x16I7x16AddS = 0x113

    /// Operand and result types (every relaxed instruction maps vectors to a vector).
    public var signature: SIMDSignature {
        switch self {
        case .i32x4RelaxedTruncF32x4S, .i32x4RelaxedTruncF32x4U, .i32x4RelaxedTruncF64x2SZero,
             .i32x4RelaxedTruncF64x2UZero:
            return .unary
        case .i8x16RelaxedSwizzle, .f32x4RelaxedMin, .f32x4RelaxedMax, .f64x2RelaxedMin,
             .f64x2RelaxedMax, .i16x8RelaxedQ15mulrS, .i16x8RelaxedDotI8x16I7x16S:
            return .binary
        case .f32x4RelaxedMadd, .f32x4RelaxedNmadd, .f64x2RelaxedMadd, .f64x2RelaxedNmadd,
             .i8x16RelaxedLaneselect, .i16x8RelaxedLaneselect, .i32x4RelaxedLaneselect,
             .i64x2RelaxedLaneselect, .i32x4RelaxedDotI8x16I7x16AddS:
            return .ternary
        }
    }

    /// The text-format mnemonic, e.g. "f32x4.relaxed_madd".
    public var name: String {
        switch self {
        case .i8x16RelaxedSwizzle: return "i8x16.relaxed_swizzle"
        case .i32x4RelaxedTruncF32x4S: return "i32x4.relaxed_trunc_f32x4_s"
        case .i32x4RelaxedTruncF32x4U: return "i32x4.relaxed_trunc_f32x4_u"
        case .i32x4RelaxedTruncF64x2SZero: return "i32x4.relaxed_trunc_f64x2_s_zero"
        case .i32x4RelaxedTruncF64x2UZero: return "i32x4.relaxed_trunc_f64x2_u_zero"
        case .f32x4RelaxedMadd: return "f32x4.relaxed_madd"
        case .f32x4RelaxedNmadd: return "f32x4.relaxed_nmadd"
        case .f64x2RelaxedMadd: return "f64x2.relaxed_madd"
        case .f64x2RelaxedNmadd: return "f64x2.relaxed_nmadd"
        case .i8x16RelaxedLaneselect: return "i8x16.relaxed_laneselect"
        case .i16x8RelaxedLaneselect: return "i16x8.relaxed_laneselect"
        case .i32x4RelaxedLaneselect: return "i32x4.relaxed_laneselect"
        case .i64x2RelaxedLaneselect: return "i64x2.relaxed_laneselect"
        case .f32x4RelaxedMin: return "f32x4.relaxed_min"
        case .f32x4RelaxedMax: return "f32x4.relaxed_max"
        case .f64x2RelaxedMin: return "f64x2.relaxed_min"
        case .f64x2RelaxedMax: return "f64x2.relaxed_max"
        case .i16x8RelaxedQ15mulrS: return "i16x8.relaxed_q15mulr_s"
        case .i16x8RelaxedDotI8x16I7x16S: return "i16x8.relaxed_dot_i8x16_i7x16_s"
        case .i32x4RelaxedDotI8x16I7x16AddS: return "i32x4.relaxed_dot_i8x16_i7x16_add_s"
        }
    }
}
