/// An x86_64 machine-code encoder: a growing code buffer, labels with fixups, and one method
/// per instruction form the baseline compiler needs. Methods are named after the mnemonic with
/// Intel operand order (destination first). Nothing here allocates per instruction beyond the
/// buffer itself.
public struct X64Assembler {
    /// The code emitted so far.
    public private(set) var bytes: [UInt8] = []
    /// Offset of each label, or -1 while unbound.
    private var labelOffsets: [Int] = []
    private var fixups: [Fixup] = []

    /// A pc-relative field that refers to a label.
    private struct Fixup {
        /// Offset of the relative field in `bytes`.
        var position: Int
        /// 1 (rel8) or 4 (rel32) bytes.
        var width: Int
        /// The offset the displacement is measured from (end of the instruction).
        var origin: Int
        var label: X64Label
        /// Added to the label's offset (RIP-relative operands with a displacement).
        var addend: Int
    }

    public init() {}

    /// The offset of the next byte.
    public var offset: Int { bytes.count }

    // MARK: Raw bytes and labels

    public mutating func emit(_ byte: UInt8) { bytes.append(byte) }

    public mutating func emit32(_ value: UInt32) {
        for shift in stride(from: 0 as UInt32, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    public mutating func emit64(_ value: UInt64) {
        for shift in stride(from: 0 as UInt64, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    /// Overwrites a 32-bit little-endian field emitted earlier (frame sizes known only at the end).
    public mutating func patch32(at position: Int, _ value: UInt32) {
        for index in 0..<4 { bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    public mutating func newLabel() -> X64Label {
        labelOffsets.append(-1)
        return X64Label(id: labelOffsets.count - 1)
    }

    /// Binds `label` to the current offset.
    public mutating func bind(_ label: X64Label) {
        precondition(labelOffsets[label.id] < 0, "label bound twice")
        labelOffsets[label.id] = bytes.count
    }

    public func isBound(_ label: X64Label) -> Bool { labelOffsets[label.id] >= 0 }

    /// The offset of a bound label.
    public func offset(of label: X64Label) -> Int? {
        let value = labelOffsets[label.id]
        return value >= 0 ? value : nil
    }

    /// Emits a 32-bit field holding `label - origin` (jump tables: entries relative to the table).
    public mutating func emitLabelOffset(_ label: X64Label, relativeTo origin: Int) {
        fixups.append(Fixup(position: bytes.count, width: 4, origin: origin, label: label, addend: 0))
        emit32(0)
    }

    /// Patches every label reference. Returns false if a label is unbound (a compiler bug).
    public mutating func resolveFixups() -> Bool {
        for fixup in fixups {
            let target = labelOffsets[fixup.label.id]
            guard target >= 0 else { return false }
            let distance = target + fixup.addend - fixup.origin
            if fixup.width == 1 {
                precondition(distance >= -128 && distance <= 127, "short jump out of range")
                bytes[fixup.position] = UInt8(truncatingIfNeeded: distance)
            } else {
                patch32(at: fixup.position, UInt32(truncatingIfNeeded: Int32(distance)))
            }
        }
        fixups.removeAll()
        return true
    }

    // MARK: Encoding core

    /// The r/m operand of a ModRM-encoded instruction.
    enum RM {
        /// A register by hardware number (GPR or XMM).
        case register(UInt8)
        case memory(X64Memory)
    }

    enum Immediate {
        case none
        case imm8(UInt8)
        case imm16(UInt16)
        case imm32(UInt32)

        var size: Int {
            switch self {
            case .none: return 0
            case .imm8: return 1
            case .imm16: return 2
            case .imm32: return 4
            }
        }
    }

    /// Emits `[prefix] [REX] opcode ModRM [SIB] [disp] [imm]`. `opcode` holds 1–3 bytes,
    /// most significant first (e.g. 0x0F_AF). `byteRegisters` forces a REX prefix when a register
    /// operand numbered 4–7 is used as a byte register (spl/bpl/sil/dil instead of ah/ch/dh/bh).
    mutating func emitModRM(
        prefix: UInt8? = nil, rexW: Bool = false, opcode: UInt32, opcodeLength: Int,
        reg: UInt8, rm: RM, immediate: Immediate = .none, byteRegisters: Bool = false
    ) {
        if let prefix { bytes.append(prefix) }
        var rex: UInt8 = rexW ? 0x48 : 0x40
        if reg & 8 != 0 { rex |= 0x04 }
        var forceREX = byteRegisters && reg >= 4 && reg < 8
        switch rm {
        case .register(let number):
            if number & 8 != 0 { rex |= 0x01 }
            if byteRegisters && number >= 4 && number < 8 { forceREX = true }
        case .memory(let memory):
            if let base = memory.base, base.high { rex |= 0x01 }
            if let index = memory.index, index.high { rex |= 0x02 }
        }
        if rex != 0x40 || forceREX { bytes.append(rex) }
        for index in stride(from: opcodeLength - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: opcode >> (8 * UInt32(index))))
        }
        emitOperands(reg: reg, rm: rm, immediate: immediate)
    }

    /// `ModRM [SIB] [disp] [imm]` after the opcode (shared by the legacy and VEX encodings).
    mutating func emitOperands(reg: UInt8, rm: RM, immediate: Immediate) {
        let regBits = (reg & 7) << 3
        switch rm {
        case .register(let number):
            bytes.append(0xC0 | regBits | (number & 7))
        case .memory(let memory):
            if let label = memory.ripLabel {
                bytes.append(regBits | 0x05)
                let position = bytes.count
                emit32(0)
                fixups.append(Fixup(position: position, width: 4, origin: position + 4 + immediate.size,
                                    label: label, addend: Int(memory.displacement)))
            } else if let base = memory.base {
                let displacement = memory.displacement
                let mod: UInt8
                if displacement == 0 && base.low3 != 5 {
                    mod = 0x00
                } else if displacement >= -128 && displacement <= 127 {
                    mod = 0x40
                } else {
                    mod = 0x80
                }
                if memory.index != nil || base.low3 == 4 {
                    bytes.append(mod | regBits | 0x04)
                    let scaleBits: UInt8
                    switch memory.scale {
                    case 1: scaleBits = 0
                    case 2: scaleBits = 1
                    case 4: scaleBits = 2
                    default: scaleBits = 3
                    }
                    let indexBits = memory.index?.low3 ?? 4
                    bytes.append(scaleBits << 6 | indexBits << 3 | base.low3)
                } else {
                    bytes.append(mod | regBits | base.low3)
                }
                if mod == 0x40 {
                    bytes.append(UInt8(bitPattern: Int8(truncatingIfNeeded: displacement)))
                } else if mod == 0x80 {
                    emit32(UInt32(bitPattern: displacement))
                }
            }
        }
        switch immediate {
        case .none: break
        case .imm8(let value): bytes.append(value)
        case .imm16(let value):
            bytes.append(UInt8(truncatingIfNeeded: value))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        case .imm32(let value): emit32(value)
        }
    }

    /// Operand-size prefix and REX.W for a GPR instruction of `size` (the 8-bit forms use a
    /// different opcode, chosen by the caller).
    private func sizing(_ size: X64OperandSize) -> (prefix: UInt8?, rexW: Bool) {
        switch size {
        case .bits8, .bits32: return (nil, false)
        case .bits16: return (0x66, false)
        case .bits64: return (nil, true)
        }
    }

    private mutating func gpr(_ size: X64OperandSize, _ opcode: UInt32, _ length: Int = 1, reg: UInt8, rm: RM,
                              immediate: Immediate = .none) {
        let (prefix, rexW) = sizing(size)
        emitModRM(prefix: prefix, rexW: rexW, opcode: opcode, opcodeLength: length, reg: reg, rm: rm,
                  immediate: immediate, byteRegisters: size == .bits8)
    }

    private static func fitsInt8(_ value: Int64) -> Bool { value >= -128 && value <= 127 }
    private static func fitsInt32(_ value: Int64) -> Bool { value >= Int64(Int32.min) && value <= Int64(Int32.max) }

    // MARK: Moves

    /// `mov dst, src` (register to register).
    public mutating func mov(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) {
        gpr(size, size == .bits8 ? 0x88 : 0x89, reg: source.rawValue, rm: .register(destination.rawValue))
    }

    /// `mov dst, [mem]` (8/16-bit loads leave the upper bits unchanged; prefer movzx).
    public mutating func mov(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64Memory) {
        gpr(size, size == .bits8 ? 0x8A : 0x8B, reg: destination.rawValue, rm: .memory(source))
    }

    /// `mov [mem], src`.
    public mutating func mov(_ size: X64OperandSize, _ destination: X64Memory, _ source: X64GPR) {
        gpr(size, size == .bits8 ? 0x88 : 0x89, reg: source.rawValue, rm: .memory(destination))
    }

    /// `xchg [mem], src`: swaps atomically (a memory operand implies the bus lock).
    public mutating func xchg(_ size: X64OperandSize, _ destination: X64Memory, _ source: X64GPR) {
        gpr(size, size == .bits8 ? 0x86 : 0x87, reg: source.rawValue, rm: .memory(destination))
    }

    /// `mov [mem], imm` (64-bit: the immediate is sign-extended from 32 bits).
    public mutating func mov(_ size: X64OperandSize, _ destination: X64Memory, immediate: Int32) {
        switch size {
        case .bits8:
            gpr(.bits8, 0xC6, reg: 0, rm: .memory(destination), immediate: .imm8(UInt8(truncatingIfNeeded: immediate)))
        case .bits16:
            gpr(.bits16, 0xC7, reg: 0, rm: .memory(destination), immediate: .imm16(UInt16(truncatingIfNeeded: immediate)))
        case .bits32, .bits64:
            gpr(size, 0xC7, reg: 0, rm: .memory(destination), immediate: .imm32(UInt32(bitPattern: immediate)))
        }
    }

    /// Loads a constant with the shortest flag-preserving encoding: `mov r32, imm32`
    /// (zero-extending), `mov r64, simm32`, or `movabs r64, imm64`. The 32-bit size keeps the
    /// upper half zero.
    public mutating func movImmediate(_ size: X64OperandSize, _ destination: X64GPR, _ value: UInt64) {
        let value = size == .bits64 ? value : UInt64(UInt32(truncatingIfNeeded: value))
        if value <= UInt64(UInt32.max) {
            if destination.high { bytes.append(0x41) }
            bytes.append(0xB8 + destination.low3)
            emit32(UInt32(value))
        } else if Self.fitsInt32(Int64(bitPattern: value)) {
            gpr(.bits64, 0xC7, reg: 0, rm: .register(destination.rawValue),
                immediate: .imm32(UInt32(truncatingIfNeeded: value)))
        } else {
            bytes.append(destination.high ? 0x49 : 0x48)
            bytes.append(0xB8 + destination.low3)
            emit64(value)
        }
    }

    /// `movabs r64, imm64` — always the 10-byte form.
    public mutating func movabs(_ destination: X64GPR, _ value: UInt64) {
        bytes.append(destination.high ? 0x49 : 0x48)
        bytes.append(0xB8 + destination.low3)
        emit64(value)
    }

    /// `movzx dst32/64, r/m8` or `r/m16` (`fromSize` is .bits8 or .bits16). A 32-bit
    /// destination also clears the upper half.
    public mutating func movzx(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR, from fromSize: X64OperandSize) {
        emitModRM(rexW: size == .bits64, opcode: fromSize == .bits8 ? 0x0FB6 : 0x0FB7, opcodeLength: 2,
                  reg: destination.rawValue, rm: .register(source.rawValue), byteRegisters: fromSize == .bits8)
    }

    public mutating func movzx(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64Memory, from fromSize: X64OperandSize) {
        emitModRM(rexW: size == .bits64, opcode: fromSize == .bits8 ? 0x0FB6 : 0x0FB7, opcodeLength: 2,
                  reg: destination.rawValue, rm: .memory(source))
    }

    /// `movsx dst, r/m8|r/m16`, or `movsxd dst64, r/m32` for `fromSize == .bits32`.
    public mutating func movsx(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR, from fromSize: X64OperandSize) {
        movsx(size, destination, rm: .register(source.rawValue), from: fromSize)
    }

    public mutating func movsx(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64Memory, from fromSize: X64OperandSize) {
        movsx(size, destination, rm: .memory(source), from: fromSize)
    }

    private mutating func movsx(_ size: X64OperandSize, _ destination: X64GPR, rm: RM, from fromSize: X64OperandSize) {
        switch fromSize {
        case .bits8:
            emitModRM(rexW: size == .bits64, opcode: 0x0FBE, opcodeLength: 2, reg: destination.rawValue, rm: rm,
                      byteRegisters: true)
        case .bits16:
            emitModRM(rexW: size == .bits64, opcode: 0x0FBF, opcodeLength: 2, reg: destination.rawValue, rm: rm)
        default:
            emitModRM(rexW: true, opcode: 0x63, opcodeLength: 1, reg: destination.rawValue, rm: rm)
        }
    }

    public mutating func lea(_ destination: X64GPR, _ source: X64Memory) {
        gpr(.bits64, 0x8D, reg: destination.rawValue, rm: .memory(source))
    }

    public mutating func lea(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64Memory) {
        gpr(size, 0x8D, reg: destination.rawValue, rm: .memory(source))
    }

    // MARK: Integer arithmetic

    /// The classic two-operand ALU operations; the raw value is the /digit of the 0x81 group.
    public enum ALUOperation: UInt8, Sendable {
        case add = 0, or = 1, adc = 2, sbb = 3, and = 4, sub = 5, xor = 6, cmp = 7
    }

    /// `op dst, src`.
    public mutating func alu(_ operation: ALUOperation, _ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) {
        let base = UInt32(operation.rawValue) << 3
        gpr(size, size == .bits8 ? base : base | 1, reg: source.rawValue, rm: .register(destination.rawValue))
    }

    /// `op dst, [mem]`.
    public mutating func alu(_ operation: ALUOperation, _ size: X64OperandSize, _ destination: X64GPR, _ source: X64Memory) {
        let base = UInt32(operation.rawValue) << 3
        gpr(size, size == .bits8 ? base | 2 : base | 3, reg: destination.rawValue, rm: .memory(source))
    }

    /// `op [mem], src`.
    public mutating func alu(_ operation: ALUOperation, _ size: X64OperandSize, _ destination: X64Memory, _ source: X64GPR) {
        let base = UInt32(operation.rawValue) << 3
        gpr(size, size == .bits8 ? base : base | 1, reg: source.rawValue, rm: .memory(destination))
    }

    /// `op dst, imm` (imm8 form when it fits; 64-bit immediates are sign-extended from 32 bits).
    public mutating func alu(_ operation: ALUOperation, _ size: X64OperandSize, _ destination: X64GPR, immediate: Int32) {
        alu(operation, size, rm: .register(destination.rawValue), immediate: immediate)
    }

    public mutating func alu(_ operation: ALUOperation, _ size: X64OperandSize, _ destination: X64Memory, immediate: Int32) {
        alu(operation, size, rm: .memory(destination), immediate: immediate)
    }

    private mutating func alu(_ operation: ALUOperation, _ size: X64OperandSize, rm: RM, immediate: Int32) {
        if size == .bits8 {
            gpr(.bits8, 0x80, reg: operation.rawValue, rm: rm, immediate: .imm8(UInt8(truncatingIfNeeded: immediate)))
        } else if Self.fitsInt8(Int64(immediate)) {
            gpr(size, 0x83, reg: operation.rawValue, rm: rm, immediate: .imm8(UInt8(truncatingIfNeeded: immediate)))
        } else if size == .bits16 {
            gpr(size, 0x81, reg: operation.rawValue, rm: rm, immediate: .imm16(UInt16(truncatingIfNeeded: immediate)))
        } else {
            gpr(size, 0x81, reg: operation.rawValue, rm: rm, immediate: .imm32(UInt32(bitPattern: immediate)))
        }
    }

    public mutating func add(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) { alu(.add, size, destination, source) }
    public mutating func sub(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) { alu(.sub, size, destination, source) }
    public mutating func cmp(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) { alu(.cmp, size, destination, source) }
    public mutating func xor(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) { alu(.xor, size, destination, source) }

    /// `test a, b`.
    public mutating func test(_ size: X64OperandSize, _ first: X64GPR, _ second: X64GPR) {
        gpr(size, size == .bits8 ? 0x84 : 0x85, reg: second.rawValue, rm: .register(first.rawValue))
    }

    /// `test r/m, imm`.
    public mutating func test(_ size: X64OperandSize, _ operand: X64GPR, immediate: Int32) {
        if size == .bits8 {
            gpr(.bits8, 0xF6, reg: 0, rm: .register(operand.rawValue), immediate: .imm8(UInt8(truncatingIfNeeded: immediate)))
        } else {
            gpr(size, 0xF7, reg: 0, rm: .register(operand.rawValue), immediate: .imm32(UInt32(bitPattern: immediate)))
        }
    }

    /// The 0xF7 group: unary operations and the rdx:rax multiply/divide.
    public enum UnaryOperation: UInt8, Sendable {
        case not = 2, neg = 3, mul = 4, imul = 5, div = 6, idiv = 7
    }

    public mutating func unary(_ operation: UnaryOperation, _ size: X64OperandSize, _ operand: X64GPR) {
        gpr(size, size == .bits8 ? 0xF6 : 0xF7, reg: operation.rawValue, rm: .register(operand.rawValue))
    }

    public mutating func unary(_ operation: UnaryOperation, _ size: X64OperandSize, _ operand: X64Memory) {
        gpr(size, size == .bits8 ? 0xF6 : 0xF7, reg: operation.rawValue, rm: .memory(operand))
    }

    /// `imul dst, src` (two-operand form).
    public mutating func imul(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) {
        gpr(size, 0x0FAF, 2, reg: destination.rawValue, rm: .register(source.rawValue))
    }

    public mutating func imul(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64Memory) {
        gpr(size, 0x0FAF, 2, reg: destination.rawValue, rm: .memory(source))
    }

    /// `imul dst, src, imm` (three-operand form).
    public mutating func imul(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR, immediate: Int32) {
        if Self.fitsInt8(Int64(immediate)) {
            gpr(size, 0x6B, reg: destination.rawValue, rm: .register(source.rawValue),
                immediate: .imm8(UInt8(truncatingIfNeeded: immediate)))
        } else {
            gpr(size, 0x69, reg: destination.rawValue, rm: .register(source.rawValue),
                immediate: .imm32(UInt32(bitPattern: immediate)))
        }
    }

    /// `cdq` (32-bit) or `cqo` (64-bit): sign-extend rax into rdx.
    public mutating func signExtendAccumulator(_ size: X64OperandSize) {
        if size == .bits64 { bytes.append(0x48) }
        bytes.append(0x99)
    }

    public mutating func inc(_ size: X64OperandSize, _ operand: X64GPR) {
        gpr(size, 0xFF, reg: 0, rm: .register(operand.rawValue))
    }

    public mutating func dec(_ size: X64OperandSize, _ operand: X64GPR) {
        gpr(size, 0xFF, reg: 1, rm: .register(operand.rawValue))
    }

    // MARK: Shifts and bit operations

    /// Shift/rotate group; the raw value is the /digit.
    public enum ShiftOperation: UInt8, Sendable {
        case rol = 0, ror = 1, shl = 4, shr = 5, sar = 7
    }

    /// `op dst, cl`.
    public mutating func shift(_ operation: ShiftOperation, _ size: X64OperandSize, _ operand: X64GPR) {
        gpr(size, size == .bits8 ? 0xD2 : 0xD3, reg: operation.rawValue, rm: .register(operand.rawValue))
    }

    /// `op dst, imm8` (the `D1` by-one form when the count is 1).
    public mutating func shift(_ operation: ShiftOperation, _ size: X64OperandSize, _ operand: X64GPR, immediate: UInt8) {
        if immediate == 1 {
            gpr(size, size == .bits8 ? 0xD0 : 0xD1, reg: operation.rawValue, rm: .register(operand.rawValue))
        } else {
            gpr(size, size == .bits8 ? 0xC0 : 0xC1, reg: operation.rawValue, rm: .register(operand.rawValue),
                immediate: .imm8(immediate))
        }
    }

    /// Bit test group (`0F BA /digit ib`).
    public enum BitTestOperation: UInt8, Sendable {
        case bt = 4, bts = 5, btr = 6, btc = 7
    }

    public mutating func bitTest(_ operation: BitTestOperation, _ size: X64OperandSize, _ operand: X64GPR, bit: UInt8) {
        gpr(size, 0x0FBA, 2, reg: operation.rawValue, rm: .register(operand.rawValue), immediate: .imm8(bit))
    }

    /// Bit counting: `lzcnt`/`tzcnt`/`popcnt` (F3-prefixed) and `bsr`/`bsf`.
    public enum BitCountOperation: Sendable {
        case lzcnt, tzcnt, popcnt, bsr, bsf
    }

    public mutating func bitCount(_ operation: BitCountOperation, _ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) {
        let prefix: UInt8?
        let opcode: UInt32
        switch operation {
        case .lzcnt: prefix = 0xF3; opcode = 0x0FBD
        case .tzcnt: prefix = 0xF3; opcode = 0x0FBC
        case .popcnt: prefix = 0xF3; opcode = 0x0FB8
        case .bsr: prefix = nil; opcode = 0x0FBD
        case .bsf: prefix = nil; opcode = 0x0FBC
        }
        emitModRM(prefix: prefix, rexW: size == .bits64, opcode: opcode, opcodeLength: 2,
                  reg: destination.rawValue, rm: .register(source.rawValue))
    }

    // MARK: Conditions

    /// `setcc r8` (writes the low byte only; zero-extend with movzx).
    public mutating func setcc(_ condition: X64Condition, _ destination: X64GPR) {
        emitModRM(opcode: 0x0F90 | UInt32(condition.rawValue), opcodeLength: 2, reg: 0,
                  rm: .register(destination.rawValue), byteRegisters: true)
    }

    public mutating func cmov(_ condition: X64Condition, _ size: X64OperandSize, _ destination: X64GPR, _ source: X64GPR) {
        gpr(size, 0x0F40 | UInt32(condition.rawValue), 2, reg: destination.rawValue, rm: .register(source.rawValue))
    }

    public mutating func cmov(_ condition: X64Condition, _ size: X64OperandSize, _ destination: X64GPR, _ source: X64Memory) {
        gpr(size, 0x0F40 | UInt32(condition.rawValue), 2, reg: destination.rawValue, rm: .memory(source))
    }

    // MARK: Control transfer

    /// Conditional jump to `label`: rel8 when the label is bound and near, or when `short` is
    /// requested for a forward jump over a small fixed sequence; rel32 otherwise.
    public mutating func jcc(_ condition: X64Condition, _ label: X64Label, short: Bool = false) {
        if let target = offset(of: label), Self.fitsInt8(Int64(target - (bytes.count + 2))) {
            bytes.append(0x70 | condition.rawValue)
            bytes.append(UInt8(truncatingIfNeeded: target - (bytes.count + 1)))
        } else if short && !isBound(label) {
            bytes.append(0x70 | condition.rawValue)
            bytes.append(0)
            fixups.append(Fixup(position: bytes.count - 1, width: 1, origin: bytes.count, label: label, addend: 0))
        } else {
            bytes.append(0x0F)
            bytes.append(0x80 | condition.rawValue)
            emit32(0)
            fixups.append(Fixup(position: bytes.count - 4, width: 4, origin: bytes.count, label: label, addend: 0))
        }
    }

    public mutating func jmp(_ label: X64Label, short: Bool = false) {
        if let target = offset(of: label), Self.fitsInt8(Int64(target - (bytes.count + 2))) {
            bytes.append(0xEB)
            bytes.append(UInt8(truncatingIfNeeded: target - (bytes.count + 1)))
        } else if short && !isBound(label) {
            bytes.append(0xEB)
            bytes.append(0)
            fixups.append(Fixup(position: bytes.count - 1, width: 1, origin: bytes.count, label: label, addend: 0))
        } else {
            bytes.append(0xE9)
            emit32(0)
            fixups.append(Fixup(position: bytes.count - 4, width: 4, origin: bytes.count, label: label, addend: 0))
        }
    }

    /// `jmp r64`.
    public mutating func jmp(_ target: X64GPR) {
        emitModRM(opcode: 0xFF, opcodeLength: 1, reg: 4, rm: .register(target.rawValue))
    }

    /// `jmp [mem]`.
    public mutating func jmp(_ target: X64Memory) {
        emitModRM(opcode: 0xFF, opcodeLength: 1, reg: 4, rm: .memory(target))
    }

    /// `call rel32` to a label.
    public mutating func call(_ label: X64Label) {
        bytes.append(0xE8)
        emit32(0)
        fixups.append(Fixup(position: bytes.count - 4, width: 4, origin: bytes.count, label: label, addend: 0))
    }

    /// `call r64`.
    public mutating func call(_ target: X64GPR) {
        emitModRM(opcode: 0xFF, opcodeLength: 1, reg: 2, rm: .register(target.rawValue))
    }

    /// `call [mem]`.
    public mutating func call(_ target: X64Memory) {
        emitModRM(opcode: 0xFF, opcodeLength: 1, reg: 2, rm: .memory(target))
    }

    public mutating func ret() { bytes.append(0xC3) }

    /// `leave` (`mov rsp, rbp; pop rbp`).
    public mutating func leave() { bytes.append(0xC9) }

    public mutating func push(_ register: X64GPR) {
        if register.high { bytes.append(0x41) }
        bytes.append(0x50 + register.low3)
    }

    public mutating func pop(_ register: X64GPR) {
        if register.high { bytes.append(0x41) }
        bytes.append(0x58 + register.low3)
    }

    public mutating func ud2() {
        bytes.append(0x0F)
        bytes.append(0x0B)
    }

    public mutating func int3() { bytes.append(0xCC) }

    public mutating func nop() { bytes.append(0x90) }

    /// `rep stosq`: stores rax to [rdi] rcx times, advancing rdi.
    public mutating func repStosq() {
        bytes.append(0xF3)
        bytes.append(0x48)
        bytes.append(0xAB)
    }

    // MARK: SSE scalar floating point

    /// Scalar precision of an SSE instruction.
    public enum FloatPrecision: Sendable {
        case single, double

        /// The mandatory prefix of the scalar forms (movss/addss: F3, movsd/addsd: F2).
        var scalarPrefix: UInt8 { self == .single ? 0xF3 : 0xF2 }
        /// The prefix of the packed/compare forms (ucomiss/andps: none, ucomisd/andpd: 66).
        var packedPrefix: UInt8? { self == .single ? nil : 0x66 }
    }

    /// Scalar arithmetic `op xmm, xmm/m`; the raw value is the second opcode byte.
    public enum FloatArithmetic: UInt8, Sendable {
        case sqrt = 0x51, add = 0x58, mul = 0x59, sub = 0x5C, min = 0x5D, div = 0x5E, max = 0x5F
    }

    public mutating func floatArithmetic(_ operation: FloatArithmetic, _ precision: FloatPrecision, _ destination: X64XMM, _ source: X64XMM) {
        emitModRM(prefix: precision.scalarPrefix, opcode: 0x0F00 | UInt32(operation.rawValue), opcodeLength: 2,
                  reg: destination.rawValue, rm: .register(source.rawValue))
    }

    public mutating func floatArithmetic(_ operation: FloatArithmetic, _ precision: FloatPrecision, _ destination: X64XMM, _ source: X64Memory) {
        emitModRM(prefix: precision.scalarPrefix, opcode: 0x0F00 | UInt32(operation.rawValue), opcodeLength: 2,
                  reg: destination.rawValue, rm: .memory(source))
    }

    /// Bitwise packed operations (`andps`/`andpd`, …); the raw value is the second opcode byte.
    public enum FloatBitwise: UInt8, Sendable {
        case and = 0x54, andn = 0x55, or = 0x56, xor = 0x57
    }

    public mutating func floatBitwise(_ operation: FloatBitwise, _ precision: FloatPrecision, _ destination: X64XMM, _ source: X64XMM) {
        emitModRM(prefix: precision.packedPrefix, opcode: 0x0F00 | UInt32(operation.rawValue), opcodeLength: 2,
                  reg: destination.rawValue, rm: .register(source.rawValue))
    }

    /// `movss`/`movsd xmm, xmm` (merges into the low lane).
    public mutating func movFloat(_ precision: FloatPrecision, _ destination: X64XMM, _ source: X64XMM) {
        emitModRM(prefix: precision.scalarPrefix, opcode: 0x0F10, opcodeLength: 2, reg: destination.rawValue,
                  rm: .register(source.rawValue))
    }

    /// `movss`/`movsd xmm, [mem]` (zeroes the upper lanes).
    public mutating func movFloat(_ precision: FloatPrecision, _ destination: X64XMM, _ source: X64Memory) {
        emitModRM(prefix: precision.scalarPrefix, opcode: 0x0F10, opcodeLength: 2, reg: destination.rawValue,
                  rm: .memory(source))
    }

    /// `movss`/`movsd [mem], xmm`.
    public mutating func movFloat(_ precision: FloatPrecision, _ destination: X64Memory, _ source: X64XMM) {
        emitModRM(prefix: precision.scalarPrefix, opcode: 0x0F11, opcodeLength: 2, reg: source.rawValue,
                  rm: .memory(destination))
    }

    /// `movaps xmm, xmm`: a full register copy.
    public mutating func movaps(_ destination: X64XMM, _ source: X64XMM) {
        emitModRM(opcode: 0x0F28, opcodeLength: 2, reg: destination.rawValue, rm: .register(source.rawValue))
    }

    /// `movd xmm, r32` / `movq xmm, r64` (size .bits32 or .bits64).
    public mutating func movToXMM(_ size: X64OperandSize, _ destination: X64XMM, _ source: X64GPR) {
        emitModRM(prefix: 0x66, rexW: size == .bits64, opcode: 0x0F6E, opcodeLength: 2, reg: destination.rawValue,
                  rm: .register(source.rawValue))
    }

    /// `movd r32, xmm` / `movq r64, xmm`.
    public mutating func movFromXMM(_ size: X64OperandSize, _ destination: X64GPR, _ source: X64XMM) {
        emitModRM(prefix: 0x66, rexW: size == .bits64, opcode: 0x0F7E, opcodeLength: 2, reg: source.rawValue,
                  rm: .register(destination.rawValue))
    }

    /// `ucomiss`/`ucomisd a, b`: ZF,PF,CF = 1,1,1 when unordered; CF = a < b; ZF = a == b.
    public mutating func ucomis(_ precision: FloatPrecision, _ first: X64XMM, _ second: X64XMM) {
        emitModRM(prefix: precision.packedPrefix, opcode: 0x0F2E, opcodeLength: 2, reg: first.rawValue,
                  rm: .register(second.rawValue))
    }

    public mutating func ucomis(_ precision: FloatPrecision, _ first: X64XMM, _ second: X64Memory) {
        emitModRM(prefix: precision.packedPrefix, opcode: 0x0F2E, opcodeLength: 2, reg: first.rawValue,
                  rm: .memory(second))
    }

    /// `cvtsi2ss`/`cvtsi2sd xmm, r32/r64` (signed integer source of `size`).
    public mutating func cvtIntToFloat(_ precision: FloatPrecision, _ destination: X64XMM, _ source: X64GPR, _ size: X64OperandSize) {
        emitModRM(prefix: precision.scalarPrefix, rexW: size == .bits64, opcode: 0x0F2A, opcodeLength: 2,
                  reg: destination.rawValue, rm: .register(source.rawValue))
    }

    /// `cvttss2si`/`cvttsd2si r32/r64, xmm` (truncating; 0x80…0 when out of range or NaN).
    public mutating func cvtFloatToInt(_ precision: FloatPrecision, _ destination: X64GPR, _ size: X64OperandSize, _ source: X64XMM) {
        emitModRM(prefix: precision.scalarPrefix, rexW: size == .bits64, opcode: 0x0F2C, opcodeLength: 2,
                  reg: destination.rawValue, rm: .register(source.rawValue))
    }

    /// `cvtss2sd` (from single) or `cvtsd2ss` (from double).
    public mutating func cvtFloatToFloat(from precision: FloatPrecision, _ destination: X64XMM, _ source: X64XMM) {
        emitModRM(prefix: precision.scalarPrefix, opcode: 0x0F5A, opcodeLength: 2, reg: destination.rawValue,
                  rm: .register(source.rawValue))
    }

    /// SSE4.1 rounding-control immediates (bit 3 suppresses the precision exception).
    public enum RoundingMode: UInt8, Sendable {
        case nearest = 0x08, floor = 0x09, ceil = 0x0A, trunc = 0x0B
    }

    /// `roundss`/`roundsd xmm, xmm, mode` (SSE4.1).
    public mutating func round(_ precision: FloatPrecision, _ destination: X64XMM, _ source: X64XMM, _ mode: RoundingMode) {
        emitModRM(prefix: 0x66, opcode: precision == .single ? 0x0F3A0A : 0x0F3A0B, opcodeLength: 3,
                  reg: destination.rawValue, rm: .register(source.rawValue), immediate: .imm8(mode.rawValue))
    }
}
