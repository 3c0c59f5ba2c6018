// SIMD (0xFD-prefixed) instruction kinds of WebAssembly 2.0 fixed-width SIMD: 236 instructions.
// `Instruction` carries them as `.v128Const`, `.i8x16Shuffle`, `.simd`, `.simdLoad`, `.v128Store`,
// `.simdLoadLane`, `.simdStoreLane` and `.simdLane`; the operation enums below name the rest.

/// The interpretation of a 128-bit vector as lanes.
public enum SIMDShape: UInt8, Equatable, Hashable, Sendable, CaseIterable {
    case i8x16, i16x8, i32x4, i64x2, f32x4, f64x2

    public var laneCount: Int {
        switch self {
        case .i8x16: return 16
        case .i16x8: return 8
        case .i32x4, .f32x4: return 4
        case .i64x2, .f64x2: return 2
        }
    }

    /// Bytes per lane.
    public var laneByteWidth: Int { 16 / laneCount }

    /// The value type a lane is extracted to or replaced from (i8 and i16 lanes travel as i32).
    public var scalarType: ValueType {
        switch self {
        case .i8x16, .i16x8, .i32x4: return .i32
        case .i64x2: return .i64
        case .f32x4: return .f32
        case .f64x2: return .f64
        }
    }

    public var isFloatingPoint: Bool { self == .f32x4 || self == .f64x2 }

    public var name: String {
        switch self {
        case .i8x16: return "i8x16"
        case .i16x8: return "i16x8"
        case .i32x4: return "i32x4"
        case .i64x2: return "i64x2"
        case .f32x4: return "f32x4"
        case .f64x2: return "f64x2"
        }
    }
}

/// The stack effect of a `SIMDOperation`.
public enum SIMDSignature: Equatable, Sendable {
    /// `v128 -> v128`
    case unary
    /// `v128 v128 -> v128`
    case binary
    /// `v128 v128 v128 -> v128` (`v128.bitselect`)
    case ternary
    /// `v128 i32 -> v128`: the shift count is a scalar.
    case shift
    /// `v128 -> i32`: any_true, all_true, bitmask.
    case test
    /// `t -> v128` from a scalar of this type.
    case splat(ValueType)

    /// Operand types, bottom to top.
    public var operandTypes: [ValueType] {
        switch self {
        case .unary, .test: return SIMDTypeLists.v128
        case .binary: return SIMDTypeLists.v128v128
        case .ternary: return SIMDTypeLists.v128v128v128
        case .shift: return SIMDTypeLists.v128i32
        case .splat(let type): return SIMDTypeLists.single(type)
        }
    }

    public var resultType: ValueType { self == .test ? .i32 : .v128 }
}

/// SIMD instructions without immediates (198 of them); raw values are the 0xFD subopcodes.
public enum SIMDOperation: UInt32, Equatable, Hashable, Sendable, CaseIterable {
    // Enumerated in subopcode order.
    case i8x16Swizzle = 0x0E
    case i8x16Splat = 0x0F
    case i16x8Splat = 0x10
    case i32x4Splat = 0x11
    case i64x2Splat = 0x12
    case f32x4Splat = 0x13
    case f64x2Splat = 0x14
    case i8x16Eq = 0x23
    case i8x16Ne = 0x24
    case i8x16LtS = 0x25
    case i8x16LtU = 0x26
    case i8x16GtS = 0x27
    case i8x16GtU = 0x28
    case i8x16LeS = 0x29
    case i8x16LeU = 0x2A
    case i8x16GeS = 0x2B
    case i8x16GeU = 0x2C
    case i16x8Eq = 0x2D
    case i16x8Ne = 0x2E
    case i16x8LtS = 0x2F
    case i16x8LtU = 0x30
    case i16x8GtS = 0x31
    case i16x8GtU = 0x32
    case i16x8LeS = 0x33
    case i16x8LeU = 0x34
    case i16x8GeS = 0x35
    case i16x8GeU = 0x36
    case i32x4Eq = 0x37
    case i32x4Ne = 0x38
    case i32x4LtS = 0x39
    case i32x4LtU = 0x3A
    case i32x4GtS = 0x3B
    case i32x4GtU = 0x3C
    case i32x4LeS = 0x3D
    case i32x4LeU = 0x3E
    case i32x4GeS = 0x3F
    case i32x4GeU = 0x40
    case f32x4Eq = 0x41
    case f32x4Ne = 0x42
    case f32x4Lt = 0x43
    case f32x4Gt = 0x44
    case f32x4Le = 0x45
    case f32x4Ge = 0x46
    case f64x2Eq = 0x47
    case f64x2Ne = 0x48
    case f64x2Lt = 0x49
    case f64x2Gt = 0x4A
    case f64x2Le = 0x4B
    case f64x2Ge = 0x4C
    case v128Not = 0x4D
    case v128And = 0x4E
    case v128Andnot = 0x4F
    case v128Or = 0x50
    case v128Xor = 0x51
    case v128Bitselect = 0x52
    case v128AnyTrue = 0x53
    case f32x4DemoteF64x2Zero = 0x5E
    case f64x2PromoteLowF32x4 = 0x5F
    case i8x16Abs = 0x60
    case i8x16Neg = 0x61
    case i8x16Popcnt = 0x62
    case i8x16AllTrue = 0x63
    case i8x16Bitmask = 0x64
    case i8x16NarrowI16x8S = 0x65
    case i8x16NarrowI16x8U = 0x66
    case f32x4Ceil = 0x67
    case f32x4Floor = 0x68
    case f32x4Trunc = 0x69
    case f32x4Nearest = 0x6A
    case i8x16Shl = 0x6B
    case i8x16ShrS = 0x6C
    case i8x16ShrU = 0x6D
    case i8x16Add = 0x6E
    case i8x16AddSatS = 0x6F
    case i8x16AddSatU = 0x70
    case i8x16Sub = 0x71
    case i8x16SubSatS = 0x72
    case i8x16SubSatU = 0x73
    case f64x2Ceil = 0x74
    case f64x2Floor = 0x75
    case i8x16MinS = 0x76
    case i8x16MinU = 0x77
    case i8x16MaxS = 0x78
    case i8x16MaxU = 0x79
    case f64x2Trunc = 0x7A
    case i8x16AvgrU = 0x7B
    case i16x8ExtaddPairwiseI8x16S = 0x7C
    case i16x8ExtaddPairwiseI8x16U = 0x7D
    case i32x4ExtaddPairwiseI16x8S = 0x7E
    case i32x4ExtaddPairwiseI16x8U = 0x7F
    case i16x8Abs = 0x80
    case i16x8Neg = 0x81
    case i16x8Q15mulrSatS = 0x82
    case i16x8AllTrue = 0x83
    case i16x8Bitmask = 0x84
    case i16x8NarrowI32x4S = 0x85
    case i16x8NarrowI32x4U = 0x86
    case i16x8ExtendLowI8x16S = 0x87
    case i16x8ExtendHighI8x16S = 0x88
    case i16x8ExtendLowI8x16U = 0x89
    case i16x8ExtendHighI8x16U = 0x8A
    case i16x8Shl = 0x8B
    case i16x8ShrS = 0x8C
    case i16x8ShrU = 0x8D
    case i16x8Add = 0x8E
    case i16x8AddSatS = 0x8F
    case i16x8AddSatU = 0x90
    case i16x8Sub = 0x91
    case i16x8SubSatS = 0x92
    case i16x8SubSatU = 0x93
    case f64x2Nearest = 0x94
    case i16x8Mul = 0x95
    case i16x8MinS = 0x96
    case i16x8MinU = 0x97
    case i16x8MaxS = 0x98
    case i16x8MaxU = 0x99
    case i16x8AvgrU = 0x9B
    case i16x8ExtmulLowI8x16S = 0x9C
    case i16x8ExtmulHighI8x16S = 0x9D
    case i16x8ExtmulLowI8x16U = 0x9E
    case i16x8ExtmulHighI8x16U = 0x9F
    case i32x4Abs = 0xA0
    case i32x4Neg = 0xA1
    case i32x4AllTrue = 0xA3
    case i32x4Bitmask = 0xA4
    case i32x4ExtendLowI16x8S = 0xA7
    case i32x4ExtendHighI16x8S = 0xA8
    case i32x4ExtendLowI16x8U = 0xA9
    case i32x4ExtendHighI16x8U = 0xAA
    case i32x4Shl = 0xAB
    case i32x4ShrS = 0xAC
    case i32x4ShrU = 0xAD
    case i32x4Add = 0xAE
    case i32x4Sub = 0xB1
    case i32x4Mul = 0xB5
    case i32x4MinS = 0xB6
    case i32x4MinU = 0xB7
    case i32x4MaxS = 0xB8
    case i32x4MaxU = 0xB9
    case i32x4DotI16x8S = 0xBA
    case i32x4ExtmulLowI16x8S = 0xBC
    case i32x4ExtmulHighI16x8S = 0xBD
    case i32x4ExtmulLowI16x8U = 0xBE
    case i32x4ExtmulHighI16x8U = 0xBF
    case i64x2Abs = 0xC0
    case i64x2Neg = 0xC1
    case i64x2AllTrue = 0xC3
    case i64x2Bitmask = 0xC4
    case i64x2ExtendLowI32x4S = 0xC7
    case i64x2ExtendHighI32x4S = 0xC8
    case i64x2ExtendLowI32x4U = 0xC9
    case i64x2ExtendHighI32x4U = 0xCA
    case i64x2Shl = 0xCB
    case i64x2ShrS = 0xCC
    case i64x2ShrU = 0xCD
    case i64x2Add = 0xCE
    case i64x2Sub = 0xD1
    case i64x2Mul = 0xD5
    case i64x2Eq = 0xD6
    case i64x2Ne = 0xD7
    case i64x2LtS = 0xD8
    case i64x2GtS = 0xD9
    case i64x2LeS = 0xDA
    case i64x2GeS = 0xDB
    case i64x2ExtmulLowI32x4S = 0xDC
    case i64x2ExtmulHighI32x4S = 0xDD
    case i64x2ExtmulLowI32x4U = 0xDE
    case i64x2ExtmulHighI32x4U = 0xDF
    case f32x4Abs = 0xE0
    case f32x4Neg = 0xE1
    case f32x4Sqrt = 0xE3
    case f32x4Add = 0xE4
    case f32x4Sub = 0xE5
    case f32x4Mul = 0xE6
    case f32x4Div = 0xE7
    case f32x4Min = 0xE8
    case f32x4Max = 0xE9
    case f32x4Pmin = 0xEA
    case f32x4Pmax = 0xEB
    case f64x2Abs = 0xEC
    case f64x2Neg = 0xED
    case f64x2Sqrt = 0xEF
    case f64x2Add = 0xF0
    case f64x2Sub = 0xF1
    case f64x2Mul = 0xF2
    case f64x2Div = 0xF3
    case f64x2Min = 0xF4
    case f64x2Max = 0xF5
    case f64x2Pmin = 0xF6
    case f64x2Pmax = 0xF7
    case i32x4TruncSatF32x4S = 0xF8
    case i32x4TruncSatF32x4U = 0xF9
    case f32x4ConvertI32x4S = 0xFA
    case f32x4ConvertI32x4U = 0xFB
    case i32x4TruncSatF64x2SZero = 0xFC
    case i32x4TruncSatF64x2UZero = 0xFD
    case f64x2ConvertLowI32x4S = 0xFE
    case f64x2ConvertLowI32x4U = 0xFF

    /// Operand and result types.
    public var signature: SIMDSignature {
        switch self {
        case .i8x16Swizzle, .i8x16Eq, .i8x16Ne, .i8x16LtS, .i8x16LtU, .i8x16GtS, .i8x16GtU,
             .i8x16LeS, .i8x16LeU, .i8x16GeS, .i8x16GeU, .i16x8Eq, .i16x8Ne, .i16x8LtS, .i16x8LtU,
             .i16x8GtS, .i16x8GtU, .i16x8LeS, .i16x8LeU, .i16x8GeS, .i16x8GeU, .i32x4Eq, .i32x4Ne,
             .i32x4LtS, .i32x4LtU, .i32x4GtS, .i32x4GtU, .i32x4LeS, .i32x4LeU, .i32x4GeS,
             .i32x4GeU, .f32x4Eq, .f32x4Ne, .f32x4Lt, .f32x4Gt, .f32x4Le, .f32x4Ge, .f64x2Eq,
             .f64x2Ne, .f64x2Lt, .f64x2Gt, .f64x2Le, .f64x2Ge, .v128And, .v128Andnot, .v128Or,
             .v128Xor, .i8x16NarrowI16x8S, .i8x16NarrowI16x8U, .i8x16Add, .i8x16AddSatS,
             .i8x16AddSatU, .i8x16Sub, .i8x16SubSatS, .i8x16SubSatU, .i8x16MinS, .i8x16MinU,
             .i8x16MaxS, .i8x16MaxU, .i8x16AvgrU, .i16x8Q15mulrSatS, .i16x8NarrowI32x4S,
             .i16x8NarrowI32x4U, .i16x8Add, .i16x8AddSatS, .i16x8AddSatU, .i16x8Sub, .i16x8SubSatS,
             .i16x8SubSatU, .i16x8Mul, .i16x8MinS, .i16x8MinU, .i16x8MaxS, .i16x8MaxU, .i16x8AvgrU,
             .i16x8ExtmulLowI8x16S, .i16x8ExtmulHighI8x16S, .i16x8ExtmulLowI8x16U,
             .i16x8ExtmulHighI8x16U, .i32x4Add, .i32x4Sub, .i32x4Mul, .i32x4MinS, .i32x4MinU,
             .i32x4MaxS, .i32x4MaxU, .i32x4DotI16x8S, .i32x4ExtmulLowI16x8S,
             .i32x4ExtmulHighI16x8S, .i32x4ExtmulLowI16x8U, .i32x4ExtmulHighI16x8U, .i64x2Add,
             .i64x2Sub, .i64x2Mul, .i64x2Eq, .i64x2Ne, .i64x2LtS, .i64x2GtS, .i64x2LeS, .i64x2GeS,
             .i64x2ExtmulLowI32x4S, .i64x2ExtmulHighI32x4S, .i64x2ExtmulLowI32x4U,
             .i64x2ExtmulHighI32x4U, .f32x4Add, .f32x4Sub, .f32x4Mul, .f32x4Div, .f32x4Min,
             .f32x4Max, .f32x4Pmin, .f32x4Pmax, .f64x2Add, .f64x2Sub, .f64x2Mul, .f64x2Div,
             .f64x2Min, .f64x2Max, .f64x2Pmin, .f64x2Pmax:
            return .binary
        case .i8x16Splat, .i16x8Splat, .i32x4Splat:
            return .splat(.i32)
        case .i64x2Splat:
            return .splat(.i64)
        case .f32x4Splat:
            return .splat(.f32)
        case .f64x2Splat:
            return .splat(.f64)
        case .v128Not, .f32x4DemoteF64x2Zero, .f64x2PromoteLowF32x4, .i8x16Abs, .i8x16Neg,
             .i8x16Popcnt, .f32x4Ceil, .f32x4Floor, .f32x4Trunc, .f32x4Nearest, .f64x2Ceil,
             .f64x2Floor, .f64x2Trunc, .i16x8ExtaddPairwiseI8x16S, .i16x8ExtaddPairwiseI8x16U,
             .i32x4ExtaddPairwiseI16x8S, .i32x4ExtaddPairwiseI16x8U, .i16x8Abs, .i16x8Neg,
             .i16x8ExtendLowI8x16S, .i16x8ExtendHighI8x16S, .i16x8ExtendLowI8x16U,
             .i16x8ExtendHighI8x16U, .f64x2Nearest, .i32x4Abs, .i32x4Neg, .i32x4ExtendLowI16x8S,
             .i32x4ExtendHighI16x8S, .i32x4ExtendLowI16x8U, .i32x4ExtendHighI16x8U, .i64x2Abs,
             .i64x2Neg, .i64x2ExtendLowI32x4S, .i64x2ExtendHighI32x4S, .i64x2ExtendLowI32x4U,
             .i64x2ExtendHighI32x4U, .f32x4Abs, .f32x4Neg, .f32x4Sqrt, .f64x2Abs, .f64x2Neg,
             .f64x2Sqrt, .i32x4TruncSatF32x4S, .i32x4TruncSatF32x4U, .f32x4ConvertI32x4S,
             .f32x4ConvertI32x4U, .i32x4TruncSatF64x2SZero, .i32x4TruncSatF64x2UZero,
             .f64x2ConvertLowI32x4S, .f64x2ConvertLowI32x4U:
            return .unary
        case .v128Bitselect:
            return .ternary
        case .v128AnyTrue, .i8x16AllTrue, .i8x16Bitmask, .i16x8AllTrue, .i16x8Bitmask,
             .i32x4AllTrue, .i32x4Bitmask, .i64x2AllTrue, .i64x2Bitmask:
            return .test
        case .i8x16Shl, .i8x16ShrS, .i8x16ShrU, .i16x8Shl, .i16x8ShrS, .i16x8ShrU, .i32x4Shl,
             .i32x4ShrS, .i32x4ShrU, .i64x2Shl, .i64x2ShrS, .i64x2ShrU:
            return .shift
        }
    }

    /// The shape named by the instruction's prefix (for conversions, the result's shape);
    /// `nil` for the shape-agnostic `v128.*` bitwise instructions.
    public var shape: SIMDShape? {
        switch self {
        case .i8x16Swizzle, .i8x16Splat, .i8x16Eq, .i8x16Ne, .i8x16LtS, .i8x16LtU, .i8x16GtS,
             .i8x16GtU, .i8x16LeS, .i8x16LeU, .i8x16GeS, .i8x16GeU, .i8x16Abs, .i8x16Neg,
             .i8x16Popcnt, .i8x16AllTrue, .i8x16Bitmask, .i8x16NarrowI16x8S, .i8x16NarrowI16x8U,
             .i8x16Shl, .i8x16ShrS, .i8x16ShrU, .i8x16Add, .i8x16AddSatS, .i8x16AddSatU, .i8x16Sub,
             .i8x16SubSatS, .i8x16SubSatU, .i8x16MinS, .i8x16MinU, .i8x16MaxS, .i8x16MaxU,
             .i8x16AvgrU:
            return .i8x16
        case .i16x8Splat, .i16x8Eq, .i16x8Ne, .i16x8LtS, .i16x8LtU, .i16x8GtS, .i16x8GtU,
             .i16x8LeS, .i16x8LeU, .i16x8GeS, .i16x8GeU, .i16x8ExtaddPairwiseI8x16S,
             .i16x8ExtaddPairwiseI8x16U, .i16x8Abs, .i16x8Neg, .i16x8Q15mulrSatS, .i16x8AllTrue,
             .i16x8Bitmask, .i16x8NarrowI32x4S, .i16x8NarrowI32x4U, .i16x8ExtendLowI8x16S,
             .i16x8ExtendHighI8x16S, .i16x8ExtendLowI8x16U, .i16x8ExtendHighI8x16U, .i16x8Shl,
             .i16x8ShrS, .i16x8ShrU, .i16x8Add, .i16x8AddSatS, .i16x8AddSatU, .i16x8Sub,
             .i16x8SubSatS, .i16x8SubSatU, .i16x8Mul, .i16x8MinS, .i16x8MinU, .i16x8MaxS,
             .i16x8MaxU, .i16x8AvgrU, .i16x8ExtmulLowI8x16S, .i16x8ExtmulHighI8x16S,
             .i16x8ExtmulLowI8x16U, .i16x8ExtmulHighI8x16U:
            return .i16x8
        case .i32x4Splat, .i32x4Eq, .i32x4Ne, .i32x4LtS, .i32x4LtU, .i32x4GtS, .i32x4GtU,
             .i32x4LeS, .i32x4LeU, .i32x4GeS, .i32x4GeU, .i32x4ExtaddPairwiseI16x8S,
             .i32x4ExtaddPairwiseI16x8U, .i32x4Abs, .i32x4Neg, .i32x4AllTrue, .i32x4Bitmask,
             .i32x4ExtendLowI16x8S, .i32x4ExtendHighI16x8S, .i32x4ExtendLowI16x8U,
             .i32x4ExtendHighI16x8U, .i32x4Shl, .i32x4ShrS, .i32x4ShrU, .i32x4Add, .i32x4Sub,
             .i32x4Mul, .i32x4MinS, .i32x4MinU, .i32x4MaxS, .i32x4MaxU, .i32x4DotI16x8S,
             .i32x4ExtmulLowI16x8S, .i32x4ExtmulHighI16x8S, .i32x4ExtmulLowI16x8U,
             .i32x4ExtmulHighI16x8U, .i32x4TruncSatF32x4S, .i32x4TruncSatF32x4U,
             .i32x4TruncSatF64x2SZero, .i32x4TruncSatF64x2UZero:
            return .i32x4
        case .i64x2Splat, .i64x2Abs, .i64x2Neg, .i64x2AllTrue, .i64x2Bitmask,
             .i64x2ExtendLowI32x4S, .i64x2ExtendHighI32x4S, .i64x2ExtendLowI32x4U,
             .i64x2ExtendHighI32x4U, .i64x2Shl, .i64x2ShrS, .i64x2ShrU, .i64x2Add, .i64x2Sub,
             .i64x2Mul, .i64x2Eq, .i64x2Ne, .i64x2LtS, .i64x2GtS, .i64x2LeS, .i64x2GeS,
             .i64x2ExtmulLowI32x4S, .i64x2ExtmulHighI32x4S, .i64x2ExtmulLowI32x4U,
             .i64x2ExtmulHighI32x4U:
            return .i64x2
        case .f32x4Splat, .f32x4Eq, .f32x4Ne, .f32x4Lt, .f32x4Gt, .f32x4Le, .f32x4Ge,
             .f32x4DemoteF64x2Zero, .f32x4Ceil, .f32x4Floor, .f32x4Trunc, .f32x4Nearest, .f32x4Abs,
             .f32x4Neg, .f32x4Sqrt, .f32x4Add, .f32x4Sub, .f32x4Mul, .f32x4Div, .f32x4Min,
             .f32x4Max, .f32x4Pmin, .f32x4Pmax, .f32x4ConvertI32x4S, .f32x4ConvertI32x4U:
            return .f32x4
        case .f64x2Splat, .f64x2Eq, .f64x2Ne, .f64x2Lt, .f64x2Gt, .f64x2Le, .f64x2Ge,
             .f64x2PromoteLowF32x4, .f64x2Ceil, .f64x2Floor, .f64x2Trunc, .f64x2Nearest, .f64x2Abs,
             .f64x2Neg, .f64x2Sqrt, .f64x2Add, .f64x2Sub, .f64x2Mul, .f64x2Div, .f64x2Min,
             .f64x2Max, .f64x2Pmin, .f64x2Pmax, .f64x2ConvertLowI32x4S, .f64x2ConvertLowI32x4U:
            return .f64x2
        case .v128Not, .v128And, .v128Andnot, .v128Or, .v128Xor, .v128Bitselect, .v128AnyTrue:
            return nil
        }
    }

    /// The text-format mnemonic, e.g. "i32x4.add".
    public var name: String {
        switch self {
        case .i8x16Swizzle: return "i8x16.swizzle"
        case .i8x16Splat: return "i8x16.splat"
        case .i16x8Splat: return "i16x8.splat"
        case .i32x4Splat: return "i32x4.splat"
        case .i64x2Splat: return "i64x2.splat"
        case .f32x4Splat: return "f32x4.splat"
        case .f64x2Splat: return "f64x2.splat"
        case .i8x16Eq: return "i8x16.eq"
        case .i8x16Ne: return "i8x16.ne"
        case .i8x16LtS: return "i8x16.lt_s"
        case .i8x16LtU: return "i8x16.lt_u"
        case .i8x16GtS: return "i8x16.gt_s"
        case .i8x16GtU: return "i8x16.gt_u"
        case .i8x16LeS: return "i8x16.le_s"
        case .i8x16LeU: return "i8x16.le_u"
        case .i8x16GeS: return "i8x16.ge_s"
        case .i8x16GeU: return "i8x16.ge_u"
        case .i16x8Eq: return "i16x8.eq"
        case .i16x8Ne: return "i16x8.ne"
        case .i16x8LtS: return "i16x8.lt_s"
        case .i16x8LtU: return "i16x8.lt_u"
        case .i16x8GtS: return "i16x8.gt_s"
        case .i16x8GtU: return "i16x8.gt_u"
        case .i16x8LeS: return "i16x8.le_s"
        case .i16x8LeU: return "i16x8.le_u"
        case .i16x8GeS: return "i16x8.ge_s"
        case .i16x8GeU: return "i16x8.ge_u"
        case .i32x4Eq: return "i32x4.eq"
        case .i32x4Ne: return "i32x4.ne"
        case .i32x4LtS: return "i32x4.lt_s"
        case .i32x4LtU: return "i32x4.lt_u"
        case .i32x4GtS: return "i32x4.gt_s"
        case .i32x4GtU: return "i32x4.gt_u"
        case .i32x4LeS: return "i32x4.le_s"
        case .i32x4LeU: return "i32x4.le_u"
        case .i32x4GeS: return "i32x4.ge_s"
        case .i32x4GeU: return "i32x4.ge_u"
        case .f32x4Eq: return "f32x4.eq"
        case .f32x4Ne: return "f32x4.ne"
        case .f32x4Lt: return "f32x4.lt"
        case .f32x4Gt: return "f32x4.gt"
        case .f32x4Le: return "f32x4.le"
        case .f32x4Ge: return "f32x4.ge"
        case .f64x2Eq: return "f64x2.eq"
        case .f64x2Ne: return "f64x2.ne"
        case .f64x2Lt: return "f64x2.lt"
        case .f64x2Gt: return "f64x2.gt"
        case .f64x2Le: return "f64x2.le"
        case .f64x2Ge: return "f64x2.ge"
        case .v128Not: return "v128.not"
        case .v128And: return "v128.and"
        case .v128Andnot: return "v128.andnot"
        case .v128Or: return "v128.or"
        case .v128Xor: return "v128.xor"
        case .v128Bitselect: return "v128.bitselect"
        case .v128AnyTrue: return "v128.any_true"
        case .f32x4DemoteF64x2Zero: return "f32x4.demote_f64x2_zero"
        case .f64x2PromoteLowF32x4: return "f64x2.promote_low_f32x4"
        case .i8x16Abs: return "i8x16.abs"
        case .i8x16Neg: return "i8x16.neg"
        case .i8x16Popcnt: return "i8x16.popcnt"
        case .i8x16AllTrue: return "i8x16.all_true"
        case .i8x16Bitmask: return "i8x16.bitmask"
        case .i8x16NarrowI16x8S: return "i8x16.narrow_i16x8_s"
        case .i8x16NarrowI16x8U: return "i8x16.narrow_i16x8_u"
        case .f32x4Ceil: return "f32x4.ceil"
        case .f32x4Floor: return "f32x4.floor"
        case .f32x4Trunc: return "f32x4.trunc"
        case .f32x4Nearest: return "f32x4.nearest"
        case .i8x16Shl: return "i8x16.shl"
        case .i8x16ShrS: return "i8x16.shr_s"
        case .i8x16ShrU: return "i8x16.shr_u"
        case .i8x16Add: return "i8x16.add"
        case .i8x16AddSatS: return "i8x16.add_sat_s"
        case .i8x16AddSatU: return "i8x16.add_sat_u"
        case .i8x16Sub: return "i8x16.sub"
        case .i8x16SubSatS: return "i8x16.sub_sat_s"
        case .i8x16SubSatU: return "i8x16.sub_sat_u"
        case .f64x2Ceil: return "f64x2.ceil"
        case .f64x2Floor: return "f64x2.floor"
        case .i8x16MinS: return "i8x16.min_s"
        case .i8x16MinU: return "i8x16.min_u"
        case .i8x16MaxS: return "i8x16.max_s"
        case .i8x16MaxU: return "i8x16.max_u"
        case .f64x2Trunc: return "f64x2.trunc"
        case .i8x16AvgrU: return "i8x16.avgr_u"
        case .i16x8ExtaddPairwiseI8x16S: return "i16x8.extadd_pairwise_i8x16_s"
        case .i16x8ExtaddPairwiseI8x16U: return "i16x8.extadd_pairwise_i8x16_u"
        case .i32x4ExtaddPairwiseI16x8S: return "i32x4.extadd_pairwise_i16x8_s"
        case .i32x4ExtaddPairwiseI16x8U: return "i32x4.extadd_pairwise_i16x8_u"
        case .i16x8Abs: return "i16x8.abs"
        case .i16x8Neg: return "i16x8.neg"
        case .i16x8Q15mulrSatS: return "i16x8.q15mulr_sat_s"
        case .i16x8AllTrue: return "i16x8.all_true"
        case .i16x8Bitmask: return "i16x8.bitmask"
        case .i16x8NarrowI32x4S: return "i16x8.narrow_i32x4_s"
        case .i16x8NarrowI32x4U: return "i16x8.narrow_i32x4_u"
        case .i16x8ExtendLowI8x16S: return "i16x8.extend_low_i8x16_s"
        case .i16x8ExtendHighI8x16S: return "i16x8.extend_high_i8x16_s"
        case .i16x8ExtendLowI8x16U: return "i16x8.extend_low_i8x16_u"
        case .i16x8ExtendHighI8x16U: return "i16x8.extend_high_i8x16_u"
        case .i16x8Shl: return "i16x8.shl"
        case .i16x8ShrS: return "i16x8.shr_s"
        case .i16x8ShrU: return "i16x8.shr_u"
        case .i16x8Add: return "i16x8.add"
        case .i16x8AddSatS: return "i16x8.add_sat_s"
        case .i16x8AddSatU: return "i16x8.add_sat_u"
        case .i16x8Sub: return "i16x8.sub"
        case .i16x8SubSatS: return "i16x8.sub_sat_s"
        case .i16x8SubSatU: return "i16x8.sub_sat_u"
        case .f64x2Nearest: return "f64x2.nearest"
        case .i16x8Mul: return "i16x8.mul"
        case .i16x8MinS: return "i16x8.min_s"
        case .i16x8MinU: return "i16x8.min_u"
        case .i16x8MaxS: return "i16x8.max_s"
        case .i16x8MaxU: return "i16x8.max_u"
        case .i16x8AvgrU: return "i16x8.avgr_u"
        case .i16x8ExtmulLowI8x16S: return "i16x8.extmul_low_i8x16_s"
        case .i16x8ExtmulHighI8x16S: return "i16x8.extmul_high_i8x16_s"
        case .i16x8ExtmulLowI8x16U: return "i16x8.extmul_low_i8x16_u"
        case .i16x8ExtmulHighI8x16U: return "i16x8.extmul_high_i8x16_u"
        case .i32x4Abs: return "i32x4.abs"
        case .i32x4Neg: return "i32x4.neg"
        case .i32x4AllTrue: return "i32x4.all_true"
        case .i32x4Bitmask: return "i32x4.bitmask"
        case .i32x4ExtendLowI16x8S: return "i32x4.extend_low_i16x8_s"
        case .i32x4ExtendHighI16x8S: return "i32x4.extend_high_i16x8_s"
        case .i32x4ExtendLowI16x8U: return "i32x4.extend_low_i16x8_u"
        case .i32x4ExtendHighI16x8U: return "i32x4.extend_high_i16x8_u"
        case .i32x4Shl: return "i32x4.shl"
        case .i32x4ShrS: return "i32x4.shr_s"
        case .i32x4ShrU: return "i32x4.shr_u"
        case .i32x4Add: return "i32x4.add"
        case .i32x4Sub: return "i32x4.sub"
        case .i32x4Mul: return "i32x4.mul"
        case .i32x4MinS: return "i32x4.min_s"
        case .i32x4MinU: return "i32x4.min_u"
        case .i32x4MaxS: return "i32x4.max_s"
        case .i32x4MaxU: return "i32x4.max_u"
        case .i32x4DotI16x8S: return "i32x4.dot_i16x8_s"
        case .i32x4ExtmulLowI16x8S: return "i32x4.extmul_low_i16x8_s"
        case .i32x4ExtmulHighI16x8S: return "i32x4.extmul_high_i16x8_s"
        case .i32x4ExtmulLowI16x8U: return "i32x4.extmul_low_i16x8_u"
        case .i32x4ExtmulHighI16x8U: return "i32x4.extmul_high_i16x8_u"
        case .i64x2Abs: return "i64x2.abs"
        case .i64x2Neg: return "i64x2.neg"
        case .i64x2AllTrue: return "i64x2.all_true"
        case .i64x2Bitmask: return "i64x2.bitmask"
        case .i64x2ExtendLowI32x4S: return "i64x2.extend_low_i32x4_s"
        case .i64x2ExtendHighI32x4S: return "i64x2.extend_high_i32x4_s"
        case .i64x2ExtendLowI32x4U: return "i64x2.extend_low_i32x4_u"
        case .i64x2ExtendHighI32x4U: return "i64x2.extend_high_i32x4_u"
        case .i64x2Shl: return "i64x2.shl"
        case .i64x2ShrS: return "i64x2.shr_s"
        case .i64x2ShrU: return "i64x2.shr_u"
        case .i64x2Add: return "i64x2.add"
        case .i64x2Sub: return "i64x2.sub"
        case .i64x2Mul: return "i64x2.mul"
        case .i64x2Eq: return "i64x2.eq"
        case .i64x2Ne: return "i64x2.ne"
        case .i64x2LtS: return "i64x2.lt_s"
        case .i64x2GtS: return "i64x2.gt_s"
        case .i64x2LeS: return "i64x2.le_s"
        case .i64x2GeS: return "i64x2.ge_s"
        case .i64x2ExtmulLowI32x4S: return "i64x2.extmul_low_i32x4_s"
        case .i64x2ExtmulHighI32x4S: return "i64x2.extmul_high_i32x4_s"
        case .i64x2ExtmulLowI32x4U: return "i64x2.extmul_low_i32x4_u"
        case .i64x2ExtmulHighI32x4U: return "i64x2.extmul_high_i32x4_u"
        case .f32x4Abs: return "f32x4.abs"
        case .f32x4Neg: return "f32x4.neg"
        case .f32x4Sqrt: return "f32x4.sqrt"
        case .f32x4Add: return "f32x4.add"
        case .f32x4Sub: return "f32x4.sub"
        case .f32x4Mul: return "f32x4.mul"
        case .f32x4Div: return "f32x4.div"
        case .f32x4Min: return "f32x4.min"
        case .f32x4Max: return "f32x4.max"
        case .f32x4Pmin: return "f32x4.pmin"
        case .f32x4Pmax: return "f32x4.pmax"
        case .f64x2Abs: return "f64x2.abs"
        case .f64x2Neg: return "f64x2.neg"
        case .f64x2Sqrt: return "f64x2.sqrt"
        case .f64x2Add: return "f64x2.add"
        case .f64x2Sub: return "f64x2.sub"
        case .f64x2Mul: return "f64x2.mul"
        case .f64x2Div: return "f64x2.div"
        case .f64x2Min: return "f64x2.min"
        case .f64x2Max: return "f64x2.max"
        case .f64x2Pmin: return "f64x2.pmin"
        case .f64x2Pmax: return "f64x2.pmax"
        case .i32x4TruncSatF32x4S: return "i32x4.trunc_sat_f32x4_s"
        case .i32x4TruncSatF32x4U: return "i32x4.trunc_sat_f32x4_u"
        case .f32x4ConvertI32x4S: return "f32x4.convert_i32x4_s"
        case .f32x4ConvertI32x4U: return "f32x4.convert_i32x4_u"
        case .i32x4TruncSatF64x2SZero: return "i32x4.trunc_sat_f64x2_s_zero"
        case .i32x4TruncSatF64x2UZero: return "i32x4.trunc_sat_f64x2_u_zero"
        case .f64x2ConvertLowI32x4S: return "f64x2.convert_low_i32x4_s"
        case .f64x2ConvertLowI32x4U: return "f64x2.convert_low_i32x4_u"
        }
    }
}

/// `v128.load` and the extending, splatting and zero-filling loads (`i32 -> v128`); raw
/// values are the 0xFD subopcodes. `v128.store` is `Instruction.v128Store`.
public enum SIMDLoadOperation: UInt32, Equatable, Hashable, Sendable, CaseIterable {
    case v128Load = 0x00
    case v128Load8x8S = 0x01
    case v128Load8x8U = 0x02
    case v128Load16x4S = 0x03
    case v128Load16x4U = 0x04
    case v128Load32x2S = 0x05
    case v128Load32x2U = 0x06
    case v128Load8Splat = 0x07
    case v128Load16Splat = 0x08
    case v128Load32Splat = 0x09
    case v128Load64Splat = 0x0A
    case v128Load32Zero = 0x5C
    case v128Load64Zero = 0x5D

    /// What the load does with the bytes it reads.
    public enum Kind: Equatable, Sendable {
        /// All 16 bytes (`v128.load`).
        case full
        /// 8 bytes, each half-width element sign- or zero-extended into a lane of `shape`.
        case extend(SIMDShape, signed: Bool)
        /// One lane's worth of bytes replicated into every lane of `shape`.
        case splat(SIMDShape)
        /// One 32- or 64-bit scalar into lane 0; the other bytes are zero.
        case zeroExtend
    }

    public var kind: Kind {
        switch self {
        case .v128Load: return .full
        case .v128Load8x8S: return .extend(.i16x8, signed: true)
        case .v128Load8x8U: return .extend(.i16x8, signed: false)
        case .v128Load16x4S: return .extend(.i32x4, signed: true)
        case .v128Load16x4U: return .extend(.i32x4, signed: false)
        case .v128Load32x2S: return .extend(.i64x2, signed: true)
        case .v128Load32x2U: return .extend(.i64x2, signed: false)
        case .v128Load8Splat: return .splat(.i8x16)
        case .v128Load16Splat: return .splat(.i16x8)
        case .v128Load32Splat: return .splat(.i32x4)
        case .v128Load64Splat: return .splat(.i64x2)
        case .v128Load32Zero, .v128Load64Zero: return .zeroExtend
        }
    }

    /// Bytes read from memory (the bounds check covers `offset ..< offset + memoryByteWidth`).
    public var memoryByteWidth: Int {
        switch self {
        case .v128Load: return 16
        case .v128Load8x8S, .v128Load8x8U, .v128Load16x4S, .v128Load16x4U,
             .v128Load32x2S, .v128Load32x2U, .v128Load64Splat, .v128Load64Zero:
            return 8
        case .v128Load8Splat: return 1
        case .v128Load16Splat: return 2
        case .v128Load32Splat, .v128Load32Zero: return 4
        }
    }

    /// log2 of the natural alignment: the largest valid `align` immediate.
    public var naturalAlignment: UInt32 {
        switch self {
        case .v128Load: return 4
        case .v128Load8x8S, .v128Load8x8U, .v128Load16x4S, .v128Load16x4U,
             .v128Load32x2S, .v128Load32x2U, .v128Load64Splat, .v128Load64Zero:
            return 3
        case .v128Load8Splat: return 0
        case .v128Load16Splat: return 1
        case .v128Load32Splat, .v128Load32Zero: return 2
        }
    }

    public var name: String {
        switch self {
        case .v128Load: return "v128.load"
        case .v128Load8x8S: return "v128.load8x8_s"
        case .v128Load8x8U: return "v128.load8x8_u"
        case .v128Load16x4S: return "v128.load16x4_s"
        case .v128Load16x4U: return "v128.load16x4_u"
        case .v128Load32x2S: return "v128.load32x2_s"
        case .v128Load32x2U: return "v128.load32x2_u"
        case .v128Load8Splat: return "v128.load8_splat"
        case .v128Load16Splat: return "v128.load16_splat"
        case .v128Load32Splat: return "v128.load32_splat"
        case .v128Load64Splat: return "v128.load64_splat"
        case .v128Load32Zero: return "v128.load32_zero"
        case .v128Load64Zero: return "v128.load64_zero"
        }
    }
}

/// The lane width of `v128.loadN_lane` / `v128.storeN_lane`. Raw values are the load
/// subopcodes (0x54–0x57); the store subopcodes are 4 higher (0x58–0x5B).
public enum SIMDLaneMemoryOperation: UInt32, Equatable, Hashable, Sendable, CaseIterable {
    case lane8 = 0x54
    case lane16 = 0x55
    case lane32 = 0x56
    case lane64 = 0x57

    public init?(loadSubopcode: UInt32) {
        self.init(rawValue: loadSubopcode)
    }

    public init?(storeSubopcode: UInt32) {
        guard storeSubopcode >= 4 else { return nil }
        self.init(rawValue: storeSubopcode - 4)
    }

    public var loadSubopcode: UInt32 { rawValue }
    public var storeSubopcode: UInt32 { rawValue + 4 }

    /// The integer shape whose lanes are accessed.
    public var shape: SIMDShape {
        switch self {
        case .lane8: return .i8x16
        case .lane16: return .i16x8
        case .lane32: return .i32x4
        case .lane64: return .i64x2
        }
    }

    /// Number of lanes: valid lane indices are `0 ..< laneCount`.
    public var laneCount: Int { shape.laneCount }

    /// Bytes read or written, which is also the natural alignment.
    public var memoryByteWidth: Int { shape.laneByteWidth }

    /// log2 of the natural alignment: the largest valid `align` immediate.
    public var naturalAlignment: UInt32 { rawValue - 0x54 }

    public var loadName: String {
        switch self {
        case .lane8: return "v128.load8_lane"
        case .lane16: return "v128.load16_lane"
        case .lane32: return "v128.load32_lane"
        case .lane64: return "v128.load64_lane"
        }
    }

    public var storeName: String {
        switch self {
        case .lane8: return "v128.store8_lane"
        case .lane16: return "v128.store16_lane"
        case .lane32: return "v128.store32_lane"
        case .lane64: return "v128.store64_lane"
        }
    }
}

/// extract_lane / replace_lane; raw values are the 0xFD subopcodes.
public enum SIMDLaneOperation: UInt32, Equatable, Hashable, Sendable, CaseIterable {
    case i8x16ExtractLaneS = 0x15
    case i8x16ExtractLaneU = 0x16
    case i8x16ReplaceLane = 0x17
    case i16x8ExtractLaneS = 0x18
    case i16x8ExtractLaneU = 0x19
    case i16x8ReplaceLane = 0x1A
    case i32x4ExtractLane = 0x1B
    case i32x4ReplaceLane = 0x1C
    case i64x2ExtractLane = 0x1D
    case i64x2ReplaceLane = 0x1E
    case f32x4ExtractLane = 0x1F
    case f32x4ReplaceLane = 0x20
    case f64x2ExtractLane = 0x21
    case f64x2ReplaceLane = 0x22

    /// How the lane is accessed.
    public enum Kind: Equatable, Sendable {
        /// `v128 -> t`, an i8/i16 lane sign-extended to i32.
        case extractSigned
        /// `v128 -> t`, an i8/i16 lane zero-extended to i32.
        case extractUnsigned
        /// `v128 -> t`, a lane as wide as its scalar type.
        case extract
        /// `v128 t -> v128`
        case replace
    }

    public var shape: SIMDShape {
        switch self {
        case .i8x16ExtractLaneS, .i8x16ExtractLaneU, .i8x16ReplaceLane: return .i8x16
        case .i16x8ExtractLaneS, .i16x8ExtractLaneU, .i16x8ReplaceLane: return .i16x8
        case .i32x4ExtractLane, .i32x4ReplaceLane: return .i32x4
        case .i64x2ExtractLane, .i64x2ReplaceLane: return .i64x2
        case .f32x4ExtractLane, .f32x4ReplaceLane: return .f32x4
        case .f64x2ExtractLane, .f64x2ReplaceLane: return .f64x2
        }
    }

    public var kind: Kind {
        switch self {
        case .i8x16ExtractLaneS, .i16x8ExtractLaneS: return .extractSigned
        case .i8x16ExtractLaneU, .i16x8ExtractLaneU: return .extractUnsigned
        case .i32x4ExtractLane, .i64x2ExtractLane, .f32x4ExtractLane, .f64x2ExtractLane: return .extract
        case .i8x16ReplaceLane, .i16x8ReplaceLane, .i32x4ReplaceLane, .i64x2ReplaceLane,
             .f32x4ReplaceLane, .f64x2ReplaceLane:
            return .replace
        }
    }

    public var isReplace: Bool { kind == .replace }

    /// Number of lanes: valid lane indices are `0 ..< laneCount`.
    public var laneCount: Int { shape.laneCount }

    /// The scalar type extracted or inserted.
    public var scalarType: ValueType { shape.scalarType }

    public var name: String {
        switch self {
        case .i8x16ExtractLaneS: return "i8x16.extract_lane_s"
        case .i8x16ExtractLaneU: return "i8x16.extract_lane_u"
        case .i8x16ReplaceLane: return "i8x16.replace_lane"
        case .i16x8ExtractLaneS: return "i16x8.extract_lane_s"
        case .i16x8ExtractLaneU: return "i16x8.extract_lane_u"
        case .i16x8ReplaceLane: return "i16x8.replace_lane"
        case .i32x4ExtractLane: return "i32x4.extract_lane"
        case .i32x4ReplaceLane: return "i32x4.replace_lane"
        case .i64x2ExtractLane: return "i64x2.extract_lane"
        case .i64x2ReplaceLane: return "i64x2.replace_lane"
        case .f32x4ExtractLane: return "f32x4.extract_lane"
        case .f32x4ReplaceLane: return "f32x4.replace_lane"
        case .f64x2ExtractLane: return "f64x2.extract_lane"
        case .f64x2ReplaceLane: return "f64x2.replace_lane"
        }
    }
}

/// Shared, immutable operand/result lists, so typing a SIMD instruction allocates nothing.
enum SIMDTypeLists {
    static let none: [ValueType] = []
    static let i32: [ValueType] = [.i32]
    static let i64: [ValueType] = [.i64]
    static let f32: [ValueType] = [.f32]
    static let f64: [ValueType] = [.f64]
    static let v128: [ValueType] = [.v128]
    static let v128v128: [ValueType] = [.v128, .v128]
    static let v128v128v128: [ValueType] = [.v128, .v128, .v128]
    static let v128i32: [ValueType] = [.v128, .i32]
    static let v128i64: [ValueType] = [.v128, .i64]
    static let v128f32: [ValueType] = [.v128, .f32]
    static let v128f64: [ValueType] = [.v128, .f64]
    static let i32v128: [ValueType] = [.i32, .v128]

    /// `[type]` for a scalar or vector type.
    static func single(_ type: ValueType) -> [ValueType] {
        switch type {
        case .i32: return i32
        case .i64: return i64
        case .f32: return f32
        case .f64: return f64
        case .v128: return v128
        case .funcref, .externref: return [type]
        }
    }

    /// `[v128, type]`: the operands of a replace_lane.
    static func v128With(_ type: ValueType) -> [ValueType] {
        switch type {
        case .i32: return v128i32
        case .i64: return v128i64
        case .f32: return v128f32
        case .f64: return v128f64
        case .v128: return v128v128
        case .funcref, .externref: return [.v128, type]
        }
    }
}
