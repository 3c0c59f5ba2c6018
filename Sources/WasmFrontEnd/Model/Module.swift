/// The decoded form of a WebAssembly module (core spec §2.5). Function bodies and data are
/// kept as byte ranges into `bytes`, so decoding does not copy code; the validator and the
/// compiler read bodies with `InstructionReader` in a single pass.
public struct Module: Sendable {
    /// The whole binary the module was decoded from.
    public var bytes: [UInt8]

    public var types: [FunctionType] = []
    public var imports: [Import] = []
    /// Type index of each function *defined* by the module (function section).
    public var functionTypeIndices: [UInt32] = []
    public var tables: [TableType] = []
    public var memories: [MemoryType] = []
    public var globals: [Global] = []
    public var exports: [Export] = []
    public var start: UInt32?
    public var elements: [ElementSegment] = []
    /// The data count section's value, if present.
    public var dataCount: UInt32?
    /// Bodies of the defined functions, in the same order as `functionTypeIndices`.
    public var functionBodies: [FunctionBody] = []
    public var data: [DataSegment] = []
    public var customSections: [CustomSection] = []
    /// Decoded `name` custom section, if present and well-formed.
    public var names: NameSection?

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}

extension Module {
    public var importedFunctionCount: Int { imports.count { if case .function = $0.descriptor { return true } else { return false } } }
    public var importedTableCount: Int { imports.count { if case .table = $0.descriptor { return true } else { return false } } }
    public var importedMemoryCount: Int { imports.count { if case .memory = $0.descriptor { return true } else { return false } } }
    public var importedGlobalCount: Int { imports.count { if case .global = $0.descriptor { return true } else { return false } } }
}

public enum ExternalKind: UInt8, Equatable, Sendable {
    case function = 0
    case table = 1
    case memory = 2
    case global = 3

    public var name: String {
        switch self {
        case .function: return "func"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        }
    }
}

public enum ImportDescriptor: Equatable, Sendable {
    case function(typeIndex: UInt32)
    case table(TableType)
    case memory(MemoryType)
    case global(GlobalType)

    public var kind: ExternalKind {
        switch self {
        case .function: return .function
        case .table: return .table
        case .memory: return .memory
        case .global: return .global
        }
    }
}

public struct Import: Equatable, Sendable {
    public var module: String
    public var name: String
    public var descriptor: ImportDescriptor

    public init(module: String, name: String, descriptor: ImportDescriptor) {
        self.module = module
        self.name = name
        self.descriptor = descriptor
    }
}

public struct Export: Equatable, Sendable {
    public var name: String
    public var kind: ExternalKind
    public var index: UInt32

    public init(name: String, kind: ExternalKind, index: UInt32) {
        self.name = name
        self.kind = kind
        self.index = index
    }
}

/// A constant expression (global initialisers, segment offsets, element items), decoded
/// up to and including its final `end`.
public struct ConstantExpression: Equatable, Sendable {
    public var instructions: [Instruction]
    /// Offset of the first instruction in the module binary.
    public var offset: Int

    public init(instructions: [Instruction], offset: Int) {
        self.instructions = instructions
        self.offset = offset
    }
}

public struct Global: Equatable, Sendable {
    public var type: GlobalType
    public var initializer: ConstantExpression

    public init(type: GlobalType, initializer: ConstantExpression) {
        self.type = type
        self.initializer = initializer
    }
}

public enum ElementMode: Equatable, Sendable {
    case passive
    case active(table: UInt32, offset: ConstantExpression)
    case declarative
}

public enum ElementItems: Equatable, Sendable {
    /// The `funcidx` vector forms (element kinds 0–3).
    case functionIndices([UInt32])
    /// The expression forms (kinds 4–7).
    case expressions([ConstantExpression])

    public var count: Int {
        switch self {
        case .functionIndices(let indices): return indices.count
        case .expressions(let expressions): return expressions.count
        }
    }
}

public struct ElementSegment: Equatable, Sendable {
    public var type: ReferenceType
    public var items: ElementItems
    public var mode: ElementMode
    /// Offset of the segment in the module binary (for error messages).
    public var offset: Int

    public init(type: ReferenceType, items: ElementItems, mode: ElementMode, offset: Int) {
        self.type = type
        self.items = items
        self.mode = mode
        self.offset = offset
    }
}

public enum DataMode: Equatable, Sendable {
    case passive
    case active(memory: UInt32, offset: ConstantExpression)
}

public struct DataSegment: Equatable, Sendable {
    public var mode: DataMode
    /// The segment's bytes, as a range into `Module.bytes`.
    public var range: Range<Int>

    public init(mode: DataMode, range: Range<Int>) {
        self.mode = mode
        self.range = range
    }
}

/// A run of locals of one type, as declared in a function body.
public struct LocalRun: Equatable, Sendable {
    public var count: UInt32
    public var type: ValueType

    public init(count: UInt32, type: ValueType) {
        self.count = count
        self.type = type
    }
}

public struct FunctionBody: Equatable, Sendable {
    public var locals: [LocalRun]
    /// Total number of declared locals (excluding parameters); bounded by the decoder.
    public var localCount: Int
    /// The instructions of the body, ending with the final `end`, as a range into `Module.bytes`.
    public var code: Range<Int>

    public init(locals: [LocalRun], localCount: Int, code: Range<Int>) {
        self.locals = locals
        self.localCount = localCount
        self.code = code
    }
}

public struct CustomSection: Equatable, Sendable {
    public var name: String
    /// The section's payload after its name, as a range into `Module.bytes`.
    public var range: Range<Int>

    public init(name: String, range: Range<Int>) {
        self.name = name
        self.range = range
    }
}

/// The `name` custom section (module, function and local names), used for backtraces.
public struct NameSection: Equatable, Sendable {
    public var moduleName: String?
    public var functionNames: [UInt32: String] = [:]
    /// Local names per function index.
    public var localNames: [UInt32: [UInt32: String]] = [:]

    public init() {}
}
