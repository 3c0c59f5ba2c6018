/// Packed SSE/SSSE3/SSE4.1/SSE4.2 instructions for 128-bit vectors (WebAssembly SIMD).
/// Every form is legacy-encoded: `[66|F2|F3] [REX] 0F [38|3A] op ModRM [imm8]`.
extension X64Assembler {
    /// `op xmm, xmm/m128`. Memory operands of these forms must be 16-byte aligned (except the
    /// loads named `…u` and the 64-bit/32-bit loads), so generated code uses registers or
    /// frame slots for them.
    public enum VectorOperation: CaseIterable, Sendable {
        // SSE2 integer
        case paddb, paddw, paddd, paddq, psubb, psubw, psubd, psubq
        case paddsb, paddsw, paddusb, paddusw, psubsb, psubsw, psubusb, psubusw
        case pmullw, pmulhw, pmulhuw, pmuludq, pmaddwd
        case pand, pandn, por, pxor
        case pcmpeqb, pcmpeqw, pcmpeqd, pcmpgtb, pcmpgtw, pcmpgtd
        case pminub, pmaxub, pminsw, pmaxsw, pavgb, pavgw
        /// Shifts by the count in the low 64 bits of the source.
        case psllw, pslld, psllq, psrlw, psrld, psrlq, psraw, psrad
        case punpcklbw, punpcklwd, punpckldq, punpcklqdq, punpckhbw, punpckhwd, punpckhdq, punpckhqdq
        case packsswb, packuswb, packssdw
        // SSE/SSE2 floating point
        case addps, addpd, subps, subpd, mulps, mulpd, divps, divpd
        case minps, minpd, maxps, maxpd, sqrtps, sqrtpd
        case andps, andpd, andnps, andnpd, orps, orpd, xorps, xorpd
        case cvtdq2ps, cvttps2dq, cvtdq2pd, cvttpd2dq, cvtps2pd, cvtpd2ps
        case unpcklps, unpckhps, unpcklpd, unpckhpd, movlhps, movhlps
        // SSSE3
        case pshufb, pmaddubsw, pmulhrsw, pabsb, pabsw, pabsd
        // SSE4.1
        case pmovsxbw, pmovsxwd, pmovsxdq, pmovzxbw, pmovzxwd, pmovzxdq
        case pmuldq, pmulld, pcmpeqq, packusdw
        case pminsb, pminsd, pminuw, pminud, pmaxsb, pmaxsd, pmaxuw, pmaxud
        case ptest
        /// `pblendvb xmm, xmm/m128, <xmm0>`: the mask is implicitly xmm0.
        case pblendvb
        // SSE4.2
        case pcmpgtq

        /// Mandatory prefix, opcode bytes (most significant first) and their count.
        var encoding: (prefix: UInt8?, opcode: UInt32, length: Int) {
            switch self {
            case .paddb: return (0x66, 0x0FFC, 2)
            case .paddw: return (0x66, 0x0FFD, 2)
            case .paddd: return (0x66, 0x0FFE, 2)
            case .paddq: return (0x66, 0x0FD4, 2)
            case .psubb: return (0x66, 0x0FF8, 2)
            case .psubw: return (0x66, 0x0FF9, 2)
            case .psubd: return (0x66, 0x0FFA, 2)
            case .psubq: return (0x66, 0x0FFB, 2)
            case .paddsb: return (0x66, 0x0FEC, 2)
            case .paddsw: return (0x66, 0x0FED, 2)
            case .paddusb: return (0x66, 0x0FDC, 2)
            case .paddusw: return (0x66, 0x0FDD, 2)
            case .psubsb: return (0x66, 0x0FE8, 2)
            case .psubsw: return (0x66, 0x0FE9, 2)
            case .psubusb: return (0x66, 0x0FD8, 2)
            case .psubusw: return (0x66, 0x0FD9, 2)
            case .pmullw: return (0x66, 0x0FD5, 2)
            case .pmulhw: return (0x66, 0x0FE5, 2)
            case .pmulhuw: return (0x66, 0x0FE4, 2)
            case .pmuludq: return (0x66, 0x0FF4, 2)
            case .pmaddwd: return (0x66, 0x0FF5, 2)
            case .pand: return (0x66, 0x0FDB, 2)
            case .pandn: return (0x66, 0x0FDF, 2)
            case .por: return (0x66, 0x0FEB, 2)
            case .pxor: return (0x66, 0x0FEF, 2)
            case .pcmpeqb: return (0x66, 0x0F74, 2)
            case .pcmpeqw: return (0x66, 0x0F75, 2)
            case .pcmpeqd: return (0x66, 0x0F76, 2)
            case .pcmpgtb: return (0x66, 0x0F64, 2)
            case .pcmpgtw: return (0x66, 0x0F65, 2)
            case .pcmpgtd: return (0x66, 0x0F66, 2)
            case .pminub: return (0x66, 0x0FDA, 2)
            case .pmaxub: return (0x66, 0x0FDE, 2)
            case .pminsw: return (0x66, 0x0FEA, 2)
            case .pmaxsw: return (0x66, 0x0FEE, 2)
            case .pavgb: return (0x66, 0x0FE0, 2)
            case .pavgw: return (0x66, 0x0FE3, 2)
            case .psllw: return (0x66, 0x0FF1, 2)
            case .pslld: return (0x66, 0x0FF2, 2)
            case .psllq: return (0x66, 0x0FF3, 2)
            case .psrlw: return (0x66, 0x0FD1, 2)
            case .psrld: return (0x66, 0x0FD2, 2)
            case .psrlq: return (0x66, 0x0FD3, 2)
            case .psraw: return (0x66, 0x0FE1, 2)
            case .psrad: return (0x66, 0x0FE2, 2)
            case .punpcklbw: return (0x66, 0x0F60, 2)
            case .punpcklwd: return (0x66, 0x0F61, 2)
            case .punpckldq: return (0x66, 0x0F62, 2)
            case .punpcklqdq: return (0x66, 0x0F6C, 2)
            case .punpckhbw: return (0x66, 0x0F68, 2)
            case .punpckhwd: return (0x66, 0x0F69, 2)
            case .punpckhdq: return (0x66, 0x0F6A, 2)
            case .punpckhqdq: return (0x66, 0x0F6D, 2)
            case .packsswb: return (0x66, 0x0F63, 2)
            case .packuswb: return (0x66, 0x0F67, 2)
            case .packssdw: return (0x66, 0x0F6B, 2)
            case .addps: return (nil, 0x0F58, 2)
            case .addpd: return (0x66, 0x0F58, 2)
            case .subps: return (nil, 0x0F5C, 2)
            case .subpd: return (0x66, 0x0F5C, 2)
            case .mulps: return (nil, 0x0F59, 2)
            case .mulpd: return (0x66, 0x0F59, 2)
            case .divps: return (nil, 0x0F5E, 2)
            case .divpd: return (0x66, 0x0F5E, 2)
            case .minps: return (nil, 0x0F5D, 2)
            case .minpd: return (0x66, 0x0F5D, 2)
            case .maxps: return (nil, 0x0F5F, 2)
            case .maxpd: return (0x66, 0x0F5F, 2)
            case .sqrtps: return (nil, 0x0F51, 2)
            case .sqrtpd: return (0x66, 0x0F51, 2)
            case .andps: return (nil, 0x0F54, 2)
            case .andpd: return (0x66, 0x0F54, 2)
            case .andnps: return (nil, 0x0F55, 2)
            case .andnpd: return (0x66, 0x0F55, 2)
            case .orps: return (nil, 0x0F56, 2)
            case .orpd: return (0x66, 0x0F56, 2)
            case .xorps: return (nil, 0x0F57, 2)
            case .xorpd: return (0x66, 0x0F57, 2)
            case .cvtdq2ps: return (nil, 0x0F5B, 2)
            case .cvttps2dq: return (0xF3, 0x0F5B, 2)
            case .cvtdq2pd: return (0xF3, 0x0FE6, 2)
            case .cvttpd2dq: return (0x66, 0x0FE6, 2)
            case .cvtps2pd: return (nil, 0x0F5A, 2)
            case .cvtpd2ps: return (0x66, 0x0F5A, 2)
            case .unpcklps: return (nil, 0x0F14, 2)
            case .unpckhps: return (nil, 0x0F15, 2)
            case .unpcklpd: return (0x66, 0x0F14, 2)
            case .unpckhpd: return (0x66, 0x0F15, 2)
            case .movlhps: return (nil, 0x0F16, 2)
            case .movhlps: return (nil, 0x0F12, 2)
            case .pshufb: return (0x66, 0x0F3800, 3)
            case .pmaddubsw: return (0x66, 0x0F3804, 3)
            case .pmulhrsw: return (0x66, 0x0F380B, 3)
            case .pabsb: return (0x66, 0x0F381C, 3)
            case .pabsw: return (0x66, 0x0F381D, 3)
            case .pabsd: return (0x66, 0x0F381E, 3)
            case .pblendvb: return (0x66, 0x0F3810, 3)
            case .ptest: return (0x66, 0x0F3817, 3)
            case .pmovsxbw: return (0x66, 0x0F3820, 3)
            case .pmovsxwd: return (0x66, 0x0F3823, 3)
            case .pmovsxdq: return (0x66, 0x0F3825, 3)
            case .pmuldq: return (0x66, 0x0F3828, 3)
            case .pcmpeqq: return (0x66, 0x0F3829, 3)
            case .packusdw: return (0x66, 0x0F382B, 3)
            case .pmovzxbw: return (0x66, 0x0F3830, 3)
            case .pmovzxwd: return (0x66, 0x0F3833, 3)
            case .pmovzxdq: return (0x66, 0x0F3835, 3)
            case .pcmpgtq: return (0x66, 0x0F3837, 3)
            case .pminsb: return (0x66, 0x0F3838, 3)
            case .pminsd: return (0x66, 0x0F3839, 3)
            case .pminuw: return (0x66, 0x0F383A, 3)
            case .pminud: return (0x66, 0x0F383B, 3)
            case .pmaxsb: return (0x66, 0x0F383C, 3)
            case .pmaxsd: return (0x66, 0x0F383D, 3)
            case .pmaxuw: return (0x66, 0x0F383E, 3)
            case .pmaxud: return (0x66, 0x0F383F, 3)
            case .pmulld: return (0x66, 0x0F3840, 3)
            }
        }
    }

    public mutating func vector(_ operation: VectorOperation, _ destination: X64XMM, _ source: X64XMM) {
        let (prefix, opcode, length) = operation.encoding
        emitModRM(prefix: prefix, opcode: opcode, opcodeLength: length, reg: destination.rawValue,
                  rm: .register(source.rawValue))
    }

    /// The memory form; the operand must be 16-byte aligned (or 8 bytes for pmovsx/pmovzx).
    public mutating func vector(_ operation: VectorOperation, _ destination: X64XMM, _ source: X64Memory) {
        let (prefix, opcode, length) = operation.encoding
        emitModRM(prefix: prefix, opcode: opcode, opcodeLength: length, reg: destination.rawValue,
                  rm: .memory(source))
    }

    /// `op xmm, xmm/m128, imm8`.
    public enum VectorImmediateOperation: CaseIterable, Sendable {
        case pshufd, pshuflw, pshufhw, shufps, shufpd, cmpps, cmppd
        /// SSSE3.
        case palignr
        /// SSE4.1.
        case roundps, roundpd, pblendw, blendps, blendpd, insertps

        var encoding: (prefix: UInt8?, opcode: UInt32, length: Int) {
            switch self {
            case .pshufd: return (0x66, 0x0F70, 2)
            case .pshuflw: return (0xF2, 0x0F70, 2)
            case .pshufhw: return (0xF3, 0x0F70, 2)
            case .shufps: return (nil, 0x0FC6, 2)
            case .shufpd: return (0x66, 0x0FC6, 2)
            case .cmpps: return (nil, 0x0FC2, 2)
            case .cmppd: return (0x66, 0x0FC2, 2)
            case .palignr: return (0x66, 0x0F3A0F, 3)
            case .roundps: return (0x66, 0x0F3A08, 3)
            case .roundpd: return (0x66, 0x0F3A09, 3)
            case .blendps: return (0x66, 0x0F3A0C, 3)
            case .blendpd: return (0x66, 0x0F3A0D, 3)
            case .pblendw: return (0x66, 0x0F3A0E, 3)
            case .insertps: return (0x66, 0x0F3A21, 3)
            }
        }
    }

    public mutating func vector(_ operation: VectorImmediateOperation, _ destination: X64XMM, _ source: X64XMM, immediate: UInt8) {
        let (prefix, opcode, length) = operation.encoding
        emitModRM(prefix: prefix, opcode: opcode, opcodeLength: length, reg: destination.rawValue,
                  rm: .register(source.rawValue), immediate: .imm8(immediate))
    }

    /// `cmpps`/`cmppd` predicates.
    public enum FloatComparison: UInt8, Sendable {
        case equal = 0, less = 1, lessOrEqual = 2, unordered = 3, notEqual = 4, notLess = 5, notLessOrEqual = 6, ordered = 7
    }

    /// Shifts of every lane by an immediate: `66 0F 71/72/73 /n ib`.
    public enum VectorShiftImmediate: CaseIterable, Sendable {
        case psllw, pslld, psllq, psrlw, psrld, psrlq, psraw, psrad
        /// Whole-register byte shifts.
        case pslldq, psrldq

        var encoding: (opcode: UInt32, extension: UInt8) {
            switch self {
            case .psrlw: return (0x0F71, 2)
            case .psraw: return (0x0F71, 4)
            case .psllw: return (0x0F71, 6)
            case .psrld: return (0x0F72, 2)
            case .psrad: return (0x0F72, 4)
            case .pslld: return (0x0F72, 6)
            case .psrlq: return (0x0F73, 2)
            case .psrldq: return (0x0F73, 3)
            case .psllq: return (0x0F73, 6)
            case .pslldq: return (0x0F73, 7)
            }
        }
    }

    public mutating func vectorShift(_ operation: VectorShiftImmediate, _ register: X64XMM, by count: UInt8) {
        let (opcode, digit) = operation.encoding
        emitModRM(prefix: 0x66, opcode: opcode, opcodeLength: 2, reg: digit, rm: .register(register.rawValue),
                  immediate: .imm8(count))
    }

    // MARK: Moves

    /// `movdqu xmm, m128` (no alignment needed).
    public mutating func movdqu(_ destination: X64XMM, _ source: X64Memory) {
        emitModRM(prefix: 0xF3, opcode: 0x0F6F, opcodeLength: 2, reg: destination.rawValue, rm: .memory(source))
    }

    /// `movdqu m128, xmm`.
    public mutating func movdqu(_ destination: X64Memory, _ source: X64XMM) {
        emitModRM(prefix: 0xF3, opcode: 0x0F7F, opcodeLength: 2, reg: source.rawValue, rm: .memory(destination))
    }

    /// `movq xmm, m64` (zeroes the upper half).
    public mutating func movq(_ destination: X64XMM, _ source: X64Memory) {
        emitModRM(prefix: 0xF3, opcode: 0x0F7E, opcodeLength: 2, reg: destination.rawValue, rm: .memory(source))
    }

    /// `movq xmm, xmm`: the low half, upper half zeroed.
    public mutating func movq(_ destination: X64XMM, _ source: X64XMM) {
        emitModRM(prefix: 0xF3, opcode: 0x0F7E, opcodeLength: 2, reg: destination.rawValue, rm: .register(source.rawValue))
    }

    /// `movq m64, xmm`.
    public mutating func movq(_ destination: X64Memory, _ source: X64XMM) {
        emitModRM(prefix: 0x66, opcode: 0x0FD6, opcodeLength: 2, reg: source.rawValue, rm: .memory(destination))
    }

    /// `movd xmm, m32` (zeroes the upper lanes).
    public mutating func movd(_ destination: X64XMM, _ source: X64Memory) {
        emitModRM(prefix: 0x66, opcode: 0x0F6E, opcodeLength: 2, reg: destination.rawValue, rm: .memory(source))
    }

    /// `movd m32, xmm`.
    public mutating func movd(_ destination: X64Memory, _ source: X64XMM) {
        emitModRM(prefix: 0x66, opcode: 0x0F7E, opcodeLength: 2, reg: source.rawValue, rm: .memory(destination))
    }

    // MARK: Lanes and masks

    /// `pmovmskb r32, xmm`: the top bit of every byte.
    public mutating func pmovmskb(_ destination: X64GPR, _ source: X64XMM) {
        emitModRM(prefix: 0x66, opcode: 0x0FD7, opcodeLength: 2, reg: destination.rawValue, rm: .register(source.rawValue))
    }

    /// `movmskps`/`movmskpd r32, xmm`: the sign bit of every f32 / f64 lane.
    public mutating func movmsk(_ precision: FloatPrecision, _ destination: X64GPR, _ source: X64XMM) {
        emitModRM(prefix: precision.packedPrefix, opcode: 0x0F50, opcodeLength: 2, reg: destination.rawValue,
                  rm: .register(source.rawValue))
    }

    /// `pextrw r32, xmm, imm8` (SSE2, zero-extends).
    public mutating func pextrw(_ destination: X64GPR, _ source: X64XMM, lane: UInt8) {
        emitModRM(prefix: 0x66, opcode: 0x0FC5, opcodeLength: 2, reg: destination.rawValue,
                  rm: .register(source.rawValue), immediate: .imm8(lane))
    }

    /// `pinsrw xmm, r32, imm8` (SSE2).
    public mutating func pinsrw(_ destination: X64XMM, _ source: X64GPR, lane: UInt8) {
        emitModRM(prefix: 0x66, opcode: 0x0FC4, opcodeLength: 2, reg: destination.rawValue,
                  rm: .register(source.rawValue), immediate: .imm8(lane))
    }

    /// `pinsrw xmm, m16, imm8` (SSE2).
    public mutating func pinsrw(_ destination: X64XMM, _ source: X64Memory, lane: UInt8) {
        emitModRM(prefix: 0x66, opcode: 0x0FC4, opcodeLength: 2, reg: destination.rawValue,
                  rm: .memory(source), immediate: .imm8(lane))
    }

    /// Lane width of the SSE4.1 `pinsr*`/`pextr*` forms.
    public enum LaneWidth: Sendable {
        case byte, word, dword, qword
    }

    /// `pinsrb`/`pinsrd`/`pinsrq xmm, r, imm8` (SSE4.1; words use `pinsrw`).
    public mutating func pinsr(_ width: LaneWidth, _ destination: X64XMM, _ source: X64GPR, lane: UInt8) {
        if width == .word { pinsrw(destination, source, lane: lane); return }
        emitModRM(prefix: 0x66, rexW: width == .qword, opcode: width == .byte ? 0x0F3A20 : 0x0F3A22, opcodeLength: 3,
                  reg: destination.rawValue, rm: .register(source.rawValue), immediate: .imm8(lane))
    }

    /// `pinsrb`/`pinsrw`/`pinsrd`/`pinsrq xmm, m, imm8` (SSE4.1 except the word form).
    public mutating func pinsr(_ width: LaneWidth, _ destination: X64XMM, _ source: X64Memory, lane: UInt8) {
        if width == .word { pinsrw(destination, source, lane: lane); return }
        emitModRM(prefix: 0x66, rexW: width == .qword, opcode: width == .byte ? 0x0F3A20 : 0x0F3A22, opcodeLength: 3,
                  reg: destination.rawValue, rm: .memory(source), immediate: .imm8(lane))
    }

    private static func extractOpcode(_ width: LaneWidth) -> UInt32 {
        switch width {
        case .byte: return 0x0F3A14
        case .word: return 0x0F3A15
        case .dword, .qword: return 0x0F3A16
        }
    }

    /// `pextrb`/`pextrd`/`pextrq r, xmm, imm8` (SSE4.1; zero-extends; words use `pextrw`).
    public mutating func pextr(_ width: LaneWidth, _ destination: X64GPR, _ source: X64XMM, lane: UInt8) {
        if width == .word { pextrw(destination, source, lane: lane); return }
        emitModRM(prefix: 0x66, rexW: width == .qword, opcode: Self.extractOpcode(width), opcodeLength: 3,
                  reg: source.rawValue, rm: .register(destination.rawValue), immediate: .imm8(lane))
    }

    /// `pextrb`/`pextrw`/`pextrd`/`pextrq m, xmm, imm8` (SSE4.1).
    public mutating func pextr(_ width: LaneWidth, _ destination: X64Memory, _ source: X64XMM, lane: UInt8) {
        emitModRM(prefix: 0x66, rexW: width == .qword, opcode: Self.extractOpcode(width), opcodeLength: 3,
                  reg: source.rawValue, rm: .memory(destination), immediate: .imm8(lane))
    }
}
