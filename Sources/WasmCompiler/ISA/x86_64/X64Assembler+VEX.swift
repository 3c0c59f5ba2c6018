/// VEX-encoded AVX, AVX2 and FMA forms of the 128-bit vector instructions (VEX.L = 0). The
/// destination is separate from both sources, so no copy is needed to keep an operand alive,
/// and memory operands need no alignment. Only used when CPUID and XCR0 report AVX state.
extension X64Assembler {
    /// `C5`/`C4` prefix, opcode, then the operands. `map` is 1 (0F), 2 (0F 38) or 3 (0F 3A);
    /// `pp` encodes the legacy prefix (0 none, 1 66, 2 F3, 3 F2); `vvvv` names the extra source
    /// register (0 when the form has none, which encodes as 1111).
    mutating func emitVEX(map: UInt8, pp: UInt8, w: Bool = false, vvvv: UInt8, opcode: UInt8, reg: UInt8,
                          rm: RM, immediate: Immediate = .none) {
        // R, X, B and vvvv are stored inverted.
        let r: UInt8 = reg & 8 == 0 ? 0x80 : 0
        var x: UInt8 = 0x40
        var b: UInt8 = 0x20
        switch rm {
        case .register(let number):
            if number & 8 != 0 { b = 0 }
        case .memory(let memory):
            if memory.base?.high == true { b = 0 }
            if memory.index?.high == true { x = 0 }
        }
        let inverseSource = (~vvvv & 0x0F) << 3
        if map == 1 && !w && x != 0 && b != 0 {
            emit(0xC5)
            emit(r | inverseSource | pp)
        } else {
            emit(0xC4)
            emit(r | x | b | map)
            emit((w ? 0x80 : 0) | inverseSource | pp)
        }
        emit(opcode)
        emitOperands(reg: reg, rm: rm, immediate: immediate)
    }

    /// The VEX fields of a legacy encoding `[prefix] 0F [38|3A] op`.
    private static func vexFields(prefix: UInt8?, opcode: UInt32, length: Int) -> (map: UInt8, pp: UInt8, opcode: UInt8) {
        let pp: UInt8
        switch prefix {
        case 0x66: pp = 1
        case 0xF3: pp = 2
        case 0xF2: pp = 3
        default: pp = 0
        }
        var map: UInt8 = 1
        if length == 3 { map = (opcode >> 8) & 0xFF == 0x38 ? 2 : 3 }
        return (map, pp, UInt8(truncatingIfNeeded: opcode))
    }

    /// `v<op> xmm, xmm, xmm/m128`: `destination = first op second`. For the one-source forms
    /// (`isSingleSource`) use `vex(_:_:_:)` instead.
    public mutating func vex(_ operation: VectorOperation, _ destination: X64XMM, _ first: X64XMM, _ second: X64XMM) {
        precondition(!operation.isSingleSource && operation != .pblendvb, "not a two-source VEX form")
        let (prefix, opcode, length) = operation.encoding
        let fields = Self.vexFields(prefix: prefix, opcode: opcode, length: length)
        emitVEX(map: fields.map, pp: fields.pp, vvvv: first.rawValue, opcode: fields.opcode,
                reg: destination.rawValue, rm: .register(second.rawValue))
    }

    public mutating func vex(_ operation: VectorOperation, _ destination: X64XMM, _ first: X64XMM, _ second: X64Memory) {
        precondition(!operation.isSingleSource && operation != .pblendvb, "not a two-source VEX form")
        let (prefix, opcode, length) = operation.encoding
        let fields = Self.vexFields(prefix: prefix, opcode: opcode, length: length)
        emitVEX(map: fields.map, pp: fields.pp, vvvv: first.rawValue, opcode: fields.opcode,
                reg: destination.rawValue, rm: .memory(second))
    }

    /// `v<op> xmm, xmm/m128` for the one-source forms (square roots, conversions, extensions,
    /// absolute values, `vptest`).
    public mutating func vex(_ operation: VectorOperation, _ destination: X64XMM, _ source: X64XMM) {
        precondition(operation.isSingleSource, "a two-source form needs two sources")
        let (prefix, opcode, length) = operation.encoding
        let fields = Self.vexFields(prefix: prefix, opcode: opcode, length: length)
        emitVEX(map: fields.map, pp: fields.pp, vvvv: 0, opcode: fields.opcode, reg: destination.rawValue,
                rm: .register(source.rawValue))
    }

    /// `v<op> xmm, xmm, xmm, imm8` (shuffles, compares, blends, `vinsertps`, `vpalignr`); the
    /// one-source forms (`vpshufd`, `vpshuflw`, `vpshufhw`, `vroundps`, `vroundpd`) ignore `first`.
    public mutating func vex(_ operation: VectorImmediateOperation, _ destination: X64XMM, _ first: X64XMM,
                             _ second: X64XMM, immediate: UInt8) {
        let (prefix, opcode, length) = operation.encoding
        let fields = Self.vexFields(prefix: prefix, opcode: opcode, length: length)
        emitVEX(map: fields.map, pp: fields.pp, vvvv: operation.isSingleSource ? 0 : first.rawValue,
                opcode: fields.opcode, reg: destination.rawValue, rm: .register(second.rawValue),
                immediate: .imm8(immediate))
    }

    /// `vpsllw … xmm, xmm, imm8`: `destination = source shifted by count` (the ModRM reg field
    /// holds the opcode extension, vvvv the destination).
    public mutating func vexShift(_ operation: VectorShiftImmediate, _ destination: X64XMM, _ source: X64XMM, by count: UInt8) {
        let (opcode, digit) = operation.encoding
        emitVEX(map: 1, pp: 1, vvvv: destination.rawValue, opcode: UInt8(truncatingIfNeeded: opcode), reg: digit,
                rm: .register(source.rawValue), immediate: .imm8(count))
    }

    /// Variable blends `vpblendvb`/`vblendvps`/`vblendvpd xmm, xmm, xmm, xmm`: each lane of the
    /// result is `second`'s where the top bit of `mask`'s lane is set, otherwise `first`'s.
    public enum VariableBlend: CaseIterable, Sendable {
        case vpblendvb, vblendvps, vblendvpd

        var opcode: UInt8 {
            switch self {
            case .vblendvps: return 0x4A
            case .vblendvpd: return 0x4B
            case .vpblendvb: return 0x4C
            }
        }
    }

    public mutating func vex(_ blend: VariableBlend, _ destination: X64XMM, _ first: X64XMM, _ second: X64XMM, mask: X64XMM) {
        emitVEX(map: 3, pp: 1, vvvv: first.rawValue, opcode: blend.opcode, reg: destination.rawValue,
                rm: .register(second.rawValue), immediate: .imm8(mask.rawValue << 4))
    }

    /// FMA3 `231` forms: `accumulator = ±(first · second) + accumulator`, rounded once.
    public enum FusedMultiplyAdd: CaseIterable, Sendable {
        case vfmadd231ps, vfmadd231pd, vfnmadd231ps, vfnmadd231pd

        var encoding: (w: Bool, opcode: UInt8) {
            switch self {
            case .vfmadd231ps: return (false, 0xB8)
            case .vfmadd231pd: return (true, 0xB8)
            case .vfnmadd231ps: return (false, 0xBC)
            case .vfnmadd231pd: return (true, 0xBC)
            }
        }
    }

    public mutating func vex(_ operation: FusedMultiplyAdd, _ accumulator: X64XMM, _ first: X64XMM, _ second: X64XMM) {
        let (w, opcode) = operation.encoding
        emitVEX(map: 2, pp: 1, w: w, vvvv: first.rawValue, opcode: opcode, reg: accumulator.rawValue,
                rm: .register(second.rawValue))
    }

    /// AVX2 broadcasts of the low lane into every lane (`vbroadcastss` from a register is AVX2 too).
    public enum Broadcast: CaseIterable, Sendable {
        case vpbroadcastb, vpbroadcastw, vpbroadcastd, vpbroadcastq, vbroadcastss

        var opcode: UInt8 {
            switch self {
            case .vpbroadcastb: return 0x78
            case .vpbroadcastw: return 0x79
            case .vpbroadcastd: return 0x58
            case .vpbroadcastq: return 0x59
            case .vbroadcastss: return 0x18
            }
        }
    }

    public mutating func vex(_ broadcast: Broadcast, _ destination: X64XMM, _ source: X64XMM) {
        emitVEX(map: 2, pp: 1, vvvv: 0, opcode: broadcast.opcode, reg: destination.rawValue, rm: .register(source.rawValue))
    }

    /// The memory form: reads one lane's bytes (1, 2, 4 or 8) with no alignment requirement.
    public mutating func vex(_ broadcast: Broadcast, _ destination: X64XMM, _ source: X64Memory) {
        emitVEX(map: 2, pp: 1, vvvv: 0, opcode: broadcast.opcode, reg: destination.rawValue, rm: .memory(source))
    }

    /// `vmovdqu xmm, m128` and `vmovdqu m128, xmm`.
    public mutating func vmovdqu(_ destination: X64XMM, _ source: X64Memory) {
        emitVEX(map: 1, pp: 2, vvvv: 0, opcode: 0x6F, reg: destination.rawValue, rm: .memory(source))
    }

    public mutating func vmovdqu(_ destination: X64Memory, _ source: X64XMM) {
        emitVEX(map: 1, pp: 2, vvvv: 0, opcode: 0x7F, reg: source.rawValue, rm: .memory(destination))
    }
}

extension X64Assembler.VectorOperation {
    /// Forms with one source operand: their VEX encodings leave vvvv unused.
    public var isSingleSource: Bool {
        switch self {
        case .sqrtps, .sqrtpd, .cvtdq2ps, .cvttps2dq, .cvtdq2pd, .cvttpd2dq, .cvtps2pd, .cvtpd2ps,
             .pabsb, .pabsw, .pabsd, .pmovsxbw, .pmovsxwd, .pmovsxdq, .pmovzxbw, .pmovzxwd, .pmovzxdq, .ptest:
            return true
        default:
            return false
        }
    }
}

extension X64Assembler.VectorImmediateOperation {
    /// Forms with one source operand besides the immediate.
    public var isSingleSource: Bool {
        switch self {
        case .pshufd, .pshuflw, .pshufhw, .roundps, .roundpd: return true
        default: return false
        }
    }
}
