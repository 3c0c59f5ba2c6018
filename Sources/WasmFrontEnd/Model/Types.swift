/// WebAssembly types (core spec §2.3), shared by the decoder, validator, compiler and runtime.

/// A value type. Raw values are the binary encodings.
public enum ValueType: UInt8, Equatable, Hashable, Sendable {
    case i32 = 0x7F
    case i64 = 0x7E
    case f32 = 0x7D
    case f64 = 0x7C
    case v128 = 0x7B
    case funcref = 0x70
    case externref = 0x6F

    public var isReference: Bool { self == .funcref || self == .externref }
    public var isNumeric: Bool { !isReference && self != .v128 }

    /// The text-format name ("i32", "funcref", …).
    public var name: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .funcref: return "funcref"
        case .externref: return "externref"
        }
    }
}

/// A reference type: the element type of tables and element segments.
public enum ReferenceType: UInt8, Equatable, Hashable, Sendable {
    case funcref = 0x70
    case externref = 0x6F

    public var valueType: ValueType { self == .funcref ? .funcref : .externref }
}

public struct FunctionType: Equatable, Hashable, Sendable {
    public var parameters: [ValueType]
    public var results: [ValueType]

    public init(parameters: [ValueType], results: [ValueType]) {
        self.parameters = parameters
        self.results = results
    }
}

/// Size limits of a memory (in 64 KiB pages) or a table (in elements).
public struct Limits: Equatable, Sendable {
    public var min: UInt64
    public var max: UInt64?

    public init(min: UInt64, max: UInt64? = nil) {
        self.min = min
        self.max = max
    }
}

public struct TableType: Equatable, Sendable {
    public var elementType: ReferenceType
    public var limits: Limits

    public init(elementType: ReferenceType, limits: Limits) {
        self.elementType = elementType
        self.limits = limits
    }
}

public struct MemoryType: Equatable, Sendable {
    public var limits: Limits
    /// Threads proposal flag; decoded so it can be rejected with a clear message.
    public var isShared: Bool

    public init(limits: Limits, isShared: Bool = false) {
        self.limits = limits
        self.isShared = isShared
    }
}

public struct GlobalType: Equatable, Sendable {
    public var valueType: ValueType
    public var isMutable: Bool

    public init(valueType: ValueType, isMutable: Bool) {
        self.valueType = valueType
        self.isMutable = isMutable
    }
}

/// The type of a block, loop or if.
public enum BlockType: Equatable, Sendable {
    case empty
    case value(ValueType)
    case typeIndex(UInt32)
}
