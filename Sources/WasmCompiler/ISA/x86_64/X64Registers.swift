/// x86_64 registers and memory operands used by `X64Assembler`.

/// A 64-bit general-purpose register; the raw value is its hardware number (REX.B/R/X carry
/// bit 3). The same number names the 32/16/8-bit views (`eax`, `ax`, `al`, …, `r8b`).
public enum X64GPR: UInt8, CaseIterable, Equatable, Hashable, Sendable {
    case rax = 0, rcx, rdx, rbx, rsp, rbp, rsi, rdi
    case r8, r9, r10, r11, r12, r13, r14, r15

    /// The low three bits, as placed in ModRM / SIB / opcode.
    var low3: UInt8 { rawValue & 7 }
    /// Bit 3, carried by a REX prefix.
    var high: Bool { rawValue >= 8 }

    /// The register's 64-bit name (for diagnostics and tests).
    public var name: String {
        switch self {
        case .rax: return "rax"
        case .rcx: return "rcx"
        case .rdx: return "rdx"
        case .rbx: return "rbx"
        case .rsp: return "rsp"
        case .rbp: return "rbp"
        case .rsi: return "rsi"
        case .rdi: return "rdi"
        default: return "r" + String(rawValue)
        }
    }
}

/// An SSE register.
public enum X64XMM: UInt8, CaseIterable, Equatable, Hashable, Sendable {
    case xmm0 = 0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7
    case xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15

    var low3: UInt8 { rawValue & 7 }
    var high: Bool { rawValue >= 8 }
}

/// Operand size of a general-purpose instruction.
public enum X64OperandSize: Equatable, Sendable {
    case bits8, bits16, bits32, bits64
}

/// A memory operand: `[base + index*scale + displacement]`, or `[rip + label]`.
public struct X64Memory: Equatable, Sendable {
    public var base: X64GPR?
    public var index: X64GPR?
    /// 1, 2, 4 or 8.
    public var scale: UInt8
    public var displacement: Int32
    /// RIP-relative to a label (base and index are nil).
    public var ripLabel: X64Label?

    public init(base: X64GPR, index: X64GPR? = nil, scale: UInt8 = 1, displacement: Int32 = 0) {
        precondition(index != .rsp, "rsp cannot be an index register")
        precondition(scale == 1 || scale == 2 || scale == 4 || scale == 8, "invalid scale")
        self.base = base
        self.index = index
        self.scale = scale
        self.displacement = displacement
        self.ripLabel = nil
    }

    /// `[rip + label + displacement]`.
    public init(rip label: X64Label, displacement: Int32 = 0) {
        self.base = nil
        self.index = nil
        self.scale = 1
        self.displacement = displacement
        self.ripLabel = label
    }

    /// `[base + displacement]`.
    public static func at(_ base: X64GPR, _ displacement: Int32 = 0) -> X64Memory {
        X64Memory(base: base, displacement: displacement)
    }
}

/// A position in the code buffer, bound once; jumps to it are resolved when both ends are known.
public struct X64Label: Equatable, Hashable, Sendable {
    public let id: Int
}

/// x86 condition codes (the low nibble of `Jcc` / `SETcc` / `CMOVcc`).
public enum X64Condition: UInt8, Equatable, Sendable {
    case overflow = 0, noOverflow = 1
    case below = 2, aboveOrEqual = 3        // unsigned <, >=  (carry set / clear)
    case equal = 4, notEqual = 5
    case belowOrEqual = 6, above = 7        // unsigned <=, >
    case sign = 8, notSign = 9
    case parity = 10, noParity = 11
    case less = 12, greaterOrEqual = 13     // signed
    case lessOrEqual = 14, greater = 15

    /// The opposite condition.
    public var inverted: X64Condition { X64Condition(rawValue: rawValue ^ 1)! }
}
