/// v128 code for the generator's SIMD functions: constants, splats, lanes, integer and float lane
/// arithmetic, conversions, shuffles, and the SIMD loads and stores.
///
/// WebAssembly 2.0 SIMD is deterministic except for the NaNs float lane arithmetic makes (any
/// payload and sign). So every v128 that integer code, memory, a local, a global or the host sees
/// is deterministic: float lane arithmetic canonicalises its NaN lanes, except when its consumer
/// is float lane code of the same shape that cannot reveal a payload itself (more arithmetic,
/// comparisons, trunc_sat, extract_lane into a scalar float, which scalar code treats like any
/// float). Scalar floats entering lanes (splat, replace_lane) are canonicalised like stores.
extension ModuleGenerator {
    /// A float lane shape, with its instructions (0xFD subopcodes).
    enum FloatShape: CaseIterable {
        case f32x4, f64x2

        var scalar: DiffType { self == .f32x4 ? .f32 : .f64 }
        var laneCount: Int { self == .f32x4 ? 4 : 2 }
        /// The other shape; `conversionFromOther` is demote (to f32x4) or promote (to f64x2).
        var other: FloatShape { self == .f32x4 ? .f64x2 : .f32x4 }
        var conversionFromOther: UInt32 { self == .f32x4 ? 0x5E : 0x5F }
        var splat: UInt32 { self == .f32x4 ? 0x13 : 0x14 }
        var extractLane: UInt32 { self == .f32x4 ? 0x1F : 0x21 }
        var replaceLane: UInt32 { self == .f32x4 ? 0x20 : 0x22 }
        var equal: UInt32 { self == .f32x4 ? 0x41 : 0x47 }
        /// eq ne lt gt le ge.
        var comparisons: [UInt32] { self == .f32x4 ? [0x41, 0x42, 0x43, 0x44, 0x45, 0x46] : [0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C] }
        /// ceil floor trunc nearest sqrt.
        var unaryArithmetic: [UInt32] { self == .f32x4 ? [0x67, 0x68, 0x69, 0x6A, 0xE3] : [0x74, 0x75, 0x7A, 0x94, 0xEF] }
        /// add sub mul div min max.
        var binaryArithmetic: [UInt32] { self == .f32x4 ? [0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9] : [0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5] }
        /// abs neg: they only touch the sign bit, so NaN payloads pass through unchanged.
        var signOperations: [UInt32] { self == .f32x4 ? [0xE0, 0xE1] : [0xEC, 0xED] }
        /// pmin pmax: they select one operand's lane bitwise.
        var pseudoMinMax: [UInt32] { self == .f32x4 ? [0xEA, 0xEB] : [0xF6, 0xF7] }
        /// trunc_sat to i32x4, signed and unsigned (from f64x2 with zeroed high lanes).
        var truncateSaturate: [UInt32] { self == .f32x4 ? [0xF8, 0xF9] : [0xFC, 0xFD] }

        /// The canonical NaN in every lane.
        var canonicalNaNs: [UInt8] {
            self == .f32x4 ? ModuleGenerator.laneBytes(Array(repeating: 0x7FC0_0000, count: 4), width: 4)
                : ModuleGenerator.laneBytes(Array(repeating: 0x7FF8_0000_0000_0000, count: 2), width: 8)
        }
    }

    // MARK: Integer and bitwise instructions (0xFD subopcodes)

    /// v128 → v128: not; i8x16 abs neg popcnt; extadd_pairwise; abs neg and extend_{low,high}_{s,u}
    /// of i16x8, i32x4, i64x2.
    static let integerUnary: [UInt32] = [
        0x4D, 0x60, 0x61, 0x62, 0x7C, 0x7D, 0x7E, 0x7F,
        0x80, 0x81, 0x87, 0x88, 0x89, 0x8A,
        0xA0, 0xA1, 0xA7, 0xA8, 0xA9, 0xAA,
        0xC0, 0xC1, 0xC7, 0xC8, 0xC9, 0xCA,
    ]
    /// f32x4.convert_i32x4_{s,u}, f64x2.convert_low_i32x4_{s,u}: rounded or exact, never NaN.
    static let integerToFloat: [UInt32] = [0xFA, 0xFB, 0xFE, 0xFF]
    /// v128 v128 → v128: and andnot or xor; then per shape narrow, add/sub (saturating too), mul,
    /// min/max, avgr_u, q15mulr_sat_s, extmul_{low,high}_{s,u}, dot.
    static let integerBinary: [UInt32] = [
        0x4E, 0x4F, 0x50, 0x51,
        0x65, 0x66, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x76, 0x77, 0x78, 0x79, 0x7B,
        0x82, 0x85, 0x86, 0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9B,
        0x9C, 0x9D, 0x9E, 0x9F,
        0xAE, 0xB1, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xBC, 0xBD, 0xBE, 0xBF,
        0xCE, 0xD1, 0xD5, 0xDC, 0xDD, 0xDE, 0xDF,
    ]
    /// eq ne lt gt le ge (signed and unsigned) of i8x16, i16x8, i32x4; i64x2 has the signed ones.
    static let integerComparisons: [UInt32] = Array(0x23...0x40) + Array(0xD6...0xDB)
    /// shl shr_s shr_u with their lane width in bits.
    static let shifts: [(UInt32, Int)] = [
        (0x6B, 8), (0x6C, 8), (0x6D, 8), (0x8B, 16), (0x8C, 16), (0x8D, 16),
        (0xAB, 32), (0xAC, 32), (0xAD, 32), (0xCB, 64), (0xCC, 64), (0xCD, 64),
    ]
    /// v128 → i32: any_true, then all_true and bitmask of i8x16, i16x8, i32x4, i64x2.
    static let tests: [UInt32] = [0x53, 0x63, 0x64, 0x83, 0x84, 0xA3, 0xA4, 0xC3, 0xC4]
    /// extract_lane to i32, with the lane count: i8x16 s/u, i16x8 s/u, i32x4.
    static let integerExtracts: [(UInt32, Int)] = [(0x15, 16), (0x16, 16), (0x18, 8), (0x19, 8), (0x1B, 4)]
    /// splat from each scalar type.
    static let splats: [(UInt32, DiffType)] = [(0x0F, .i32), (0x10, .i32), (0x11, .i32), (0x12, .i64), (0x13, .f32), (0x14, .f64)]
    /// replace_lane: subopcode, lane count, scalar type.
    static let replaceLanes: [(UInt32, Int, DiffType)] = [
        (0x17, 16, .i32), (0x1A, 8, .i32), (0x1C, 4, .i32), (0x1E, 2, .i64), (0x20, 4, .f32), (0x22, 2, .f64),
    ]
    /// Loads with their natural alignment: v128.load, load8x8/16x4/32x2 s/u, load8/16/32/64_splat,
    /// load32_zero, load64_zero.
    static let loads: [(UInt32, Int)] = [
        (0x00, 4), (0x01, 3), (0x02, 3), (0x03, 3), (0x04, 3), (0x05, 3), (0x06, 3),
        (0x07, 0), (0x08, 1), (0x09, 2), (0x0A, 3), (0x5C, 2), (0x5D, 3),
    ]
    /// load{8,16,32,64}_lane and store{8,16,32,64}_lane.
    static let laneAccesses: [(load: UInt32, store: UInt32, alignment: Int, lanes: Int)] = [
        (0x54, 0x58, 0, 16), (0x55, 0x59, 1, 8), (0x56, 0x5A, 2, 4), (0x57, 0x5B, 3, 2),
    ]

    // MARK: Constants

    /// `values` as little-endian lanes of `width` bytes (truncated to the lane).
    static func laneBytes(_ values: [UInt64], width: Int) -> [UInt8] {
        var writer = ByteWriter()
        for value in values { writer.littleEndian(value, count: width) }
        return writer.bytes
    }

    /// The 16 bytes of an interesting v128 constant: edge values lane by lane in some shape, or
    /// one value in every lane (constants with equal halves take their own path in Apus).
    static func interestingVector(rng: inout SplitMix64) -> [UInt8] {
        switch rng.below(8) {
        case 0: return laneBytes((0..<16).map { _ in interestingInteger(bits: 8, rng: &rng) }, width: 1)
        case 1: return laneBytes((0..<8).map { _ in interestingInteger(bits: 16, rng: &rng) }, width: 2)
        case 2: return laneBytes((0..<4).map { _ in interestingInteger(bits: 32, rng: &rng) }, width: 4)
        case 3: return laneBytes((0..<2).map { _ in interestingInteger(bits: 64, rng: &rng) }, width: 8)
        case 4: return laneBytes((0..<4).map { _ in UInt64(interestingFloat32(rng: &rng)) }, width: 4)
        case 5: return laneBytes((0..<2).map { _ in interestingFloat64(rng: &rng) }, width: 8)
        case 6: return laneBytes(Array(repeating: interestingInteger(bits: 32, rng: &rng), count: 4), width: 4)
        default: return laneBytes([rng.next(), rng.next()], width: 8)
        }
    }

    mutating func emitSIMD(_ subopcode: UInt32) { state.code.simd(subopcode) }

    mutating func vectorConstant(_ bytes: [UInt8]) {
        emitSIMD(0x0C)
        state.code.append(bytes)
    }

    /// A lane index immediate.
    private mutating func laneIndex(below count: Int) { emit(UInt8(rng.below(count))) }

    // MARK: v128 expressions

    /// v128 from one v128: integer lane operations, conversions, float lanes.
    mutating func vectorUnary(depth: Int) {
        switch rng.below(8) {
        case 0, 1, 2, 3:
            expression(.v128, depth: depth); emitSIMD(rng.pick(Self.integerUnary))
        case 4:
            expression(.v128, depth: depth); emitSIMD(rng.pick(Self.integerToFloat))
        case 5:
            // NaN lanes saturate to 0 whatever their payload.
            let shape = rng.pick(FloatShape.allCases)
            floatOperand(shape, depth: depth); emitSIMD(rng.pick(shape.truncateSaturate))
        default:
            floatLanes(rng.pick(FloatShape.allCases), depth: depth, mayLeaveNaNs: false)
        }
    }

    /// v128 from several operands: lane arithmetic, comparisons, bitselect, shifts, shuffles.
    mutating func vectorBinary(depth: Int) {
        switch rng.below(13) {
        case 0, 1, 2, 3:
            expression(.v128, depth: depth); expression(.v128, depth: depth); emitSIMD(rng.pick(Self.integerBinary))
        case 4, 12:
            expression(.v128, depth: depth); expression(.v128, depth: depth); emitSIMD(rng.pick(Self.integerComparisons))
        case 5:
            // NaN lanes compare unordered whatever their payload.
            let shape = rng.pick(FloatShape.allCases)
            floatOperand(shape, depth: depth); floatOperand(shape, depth: depth); emitSIMD(rng.pick(shape.comparisons))
        case 6:
            expression(.v128, depth: depth); expression(.v128, depth: depth); expression(.v128, depth: depth)
            emitSIMD(0x52)  // v128.bitselect
        case 7, 8: shift(depth: depth)
        case 9: shuffle(depth: depth)
        case 10: swizzle(depth: depth)
        default: floatLanes(rng.pick(FloatShape.allCases), depth: depth, mayLeaveNaNs: false)
        }
    }

    /// v128 built from scalars: a constant, a splat, a replaced lane.
    mutating func vectorFromScalars(depth: Int) {
        switch rng.below(3) {
        case 0:
            vectorConstant(Self.interestingVector(rng: &rng))
        case 1:
            let (subopcode, scalar) = rng.pick(Self.splats)
            expression(scalar, depth: depth); canonicalize(scalar)
            emitSIMD(subopcode)
        default:
            let (subopcode, lanes, scalar) = rng.pick(Self.replaceLanes)
            expression(.v128, depth: depth)
            expression(scalar, depth: depth); canonicalize(scalar)
            emitSIMD(subopcode); laneIndex(below: lanes)
        }
    }

    /// A scalar read from a v128: a lane, or any_true / all_true / bitmask.
    mutating func scalarFromVector(_ type: DiffType, depth: Int) {
        switch type {
        case .i32:
            expression(.v128, depth: depth)
            if rng.chance(1, 2) {
                emitSIMD(rng.pick(Self.tests))
            } else {
                let (subopcode, lanes) = rng.pick(Self.integerExtracts)
                emitSIMD(subopcode); laneIndex(below: lanes)
            }
        case .i64:
            expression(.v128, depth: depth); emitSIMD(0x1D); laneIndex(below: 2)
        case .f32, .f64:
            // A scalar float may hold any NaN: scalar code canonicalises where its bits show.
            let shape: FloatShape = type == .f32 ? .f32x4 : .f64x2
            floatOperand(shape, depth: depth); emitSIMD(shape.extractLane); laneIndex(below: shape.laneCount)
        case .v128:
            preconditionFailure("scalarFromVector makes scalars")
        }
    }

    /// A shift by an arbitrary i32 count (the count is taken modulo the lane width).
    private mutating func shift(depth: Int) {
        let (subopcode, laneBits) = rng.pick(Self.shifts)
        expression(.v128, depth: depth)
        if rng.chance(1, 2) {
            let counts = [0, 1, laneBits - 1, laneBits, laneBits + 1, 2 * laneBits - 1, -1, Int(Int32.min), rng.below(256)]
            emit(0x41); state.code.signed(Int64(rng.pick(counts)))
        } else {
            expression(.i32, depth: depth)
        }
        emitSIMD(subopcode)
    }

    /// i8x16.shuffle: random lanes of both operands, of one, or whole dwords of one (the pshufd form).
    private mutating func shuffle(depth: Int) {
        expression(.v128, depth: depth); expression(.v128, depth: depth)
        emitSIMD(0x0D)
        let base = rng.chance(1, 2) ? 0 : 16
        switch rng.below(3) {
        case 0:
            for _ in 0..<4 {
                let dword = base + 4 * rng.below(4)
                for byte in 0..<4 { emit(UInt8(dword + byte)) }
            }
        case 1:
            for _ in 0..<16 { emit(UInt8(base + rng.below(16))) }
        default:
            for _ in 0..<16 { emit(UInt8(rng.below(32))) }
        }
    }

    /// i8x16.swizzle. Selector lanes of 16 or more pick zero, so constant selectors are mostly in range.
    private mutating func swizzle(depth: Int) {
        expression(.v128, depth: depth)
        if rng.chance(1, 2) {
            vectorConstant((0..<16).map { _ in UInt8(rng.chance(3, 4) ? rng.below(16) : rng.pick([16, 31, 0x70, 0x7F, 0x80, 0xFF])) })
        } else {
            expression(.v128, depth: depth)
        }
        emitSIMD(0x0E)
    }

    // MARK: Float lanes

    /// Float lanes of `shape`. Unless `mayLeaveNaNs` (the consumer is float lane code of `shape`
    /// that hides NaN payloads), arithmetic results have their NaN lanes canonicalised.
    mutating func floatLanes(_ shape: FloatShape, depth: Int, mayLeaveNaNs: Bool) {
        state.budget -= 1
        switch rng.below(10) {
        case 0, 1:
            floatOperand(shape, depth: depth); emitSIMD(rng.pick(shape.unaryArithmetic))
        case 2, 3, 4:
            floatOperand(shape, depth: depth); floatOperand(shape, depth: depth); emitSIMD(rng.pick(shape.binaryArithmetic))
        case 5:
            floatOperand(shape.other, depth: depth); emitSIMD(shape.conversionFromOther)
        case 6, 7:
            if rng.chance(1, 2) {
                bitMoveOperand(shape, depth: depth, mayLeaveNaNs: mayLeaveNaNs); emitSIMD(rng.pick(shape.signOperations))
            } else {
                bitMoveOperand(shape, depth: depth, mayLeaveNaNs: mayLeaveNaNs)
                bitMoveOperand(shape, depth: depth, mayLeaveNaNs: mayLeaveNaNs)
                emitSIMD(rng.pick(shape.pseudoMinMax))
            }
            return
        default:
            // From scalars: canonicalised like a store, unless the NaN may stay.
            if rng.chance(1, 2) {
                expression(shape.scalar, depth: depth)
                if !mayLeaveNaNs { canonicalize(shape.scalar) }
                emitSIMD(shape.splat)
            } else {
                bitMoveOperand(shape, depth: depth, mayLeaveNaNs: mayLeaveNaNs)
                expression(shape.scalar, depth: depth)
                if !mayLeaveNaNs { canonicalize(shape.scalar) }
                emitSIMD(shape.replaceLane); laneIndex(below: shape.laneCount)
            }
            return
        }
        if !mayLeaveNaNs { canonicalizeLanes(shape) }
    }

    /// An operand of code that moves float lane bits without arithmetic (abs, neg, pmin, pmax,
    /// replace_lane): its lanes come out as deterministic as this operand goes in.
    private mutating func bitMoveOperand(_ shape: FloatShape, depth: Int, mayLeaveNaNs: Bool) {
        if mayLeaveNaNs { floatOperand(shape, depth: depth) } else { expression(.v128, depth: depth) }
    }

    /// An operand of float lane code of `shape`, which may hold NaNs of any payload: often float
    /// arithmetic of that shape left uncanonicalised, so chains of lane arithmetic meet directly.
    mutating func floatOperand(_ shape: FloatShape, depth: Int) {
        if depth > 0 && rng.chance(1, 2) {
            floatLanes(shape, depth: depth - 1, mayLeaveNaNs: true)
        } else {
            expression(.v128, depth: depth)
        }
    }

    /// Replaces the NaN lanes of the v128 on top of the stack by the canonical NaN:
    /// bitselect(x, canonical, x == x), as x == x is false exactly in NaN lanes.
    mutating func canonicalizeLanes(_ shape: FloatShape) {
        let scratch = newLocal(.v128)
        state.hidden.insert(scratch)
        emit(0x22); state.code.unsigned(scratch)
        vectorConstant(shape.canonicalNaNs)
        emit(0x20); state.code.unsigned(scratch)
        emit(0x20); state.code.unsigned(scratch)
        emitSIMD(shape.equal)
        emitSIMD(0x52)  // v128.bitselect
    }

    // MARK: Memory

    /// A SIMD load (whole, extending, splat, zero-filling, or into one lane) at an address that
    /// may be in or out of bounds or straddle the end of memory.
    mutating func vectorLoad(depth: Int) {
        address(depth: depth)
        if rng.chance(3, 4) {
            let (subopcode, alignment) = rng.pick(Self.loads)
            emitSIMD(subopcode); memoryArgument(naturalAlignment: alignment)
        } else {
            let access = rng.pick(Self.laneAccesses)
            expression(.v128, depth: depth)
            emitSIMD(access.load); memoryArgument(naturalAlignment: access.alignment); laneIndex(below: access.lanes)
        }
    }

    /// v128.store or a store of one lane (a statement).
    mutating func vectorStore(depth: Int) {
        address(depth: depth)
        expression(.v128, depth: depth)
        if rng.chance(2, 3) {
            emitSIMD(0x0B); memoryArgument(naturalAlignment: 4)
        } else {
            let access = rng.pick(Self.laneAccesses)
            emitSIMD(access.store); memoryArgument(naturalAlignment: access.alignment); laneIndex(below: access.lanes)
        }
    }
}
