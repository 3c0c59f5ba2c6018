/// The module-level facts a function body is checked against (the spec's context `C`,
/// core spec §3.1.1): the index spaces of functions, tables, memories and globals (imports
/// first), the element segment types, the number of data segments and the set of functions
/// that `ref.func` may name (`C.refs`).
///
/// Built by `ValidationContext(validating:)`, which first validates everything in the module
/// except the function bodies; the compiler builds one per module, then runs a
/// `FunctionValidator` per body in its code-generation loop.
public struct ValidationContext: Sendable {
    /// The module's type section.
    public let types: [FunctionType]
    /// Type index of every function in the function index space (imports first).
    public let functionTypeIndices: [UInt32]
    public let importedFunctionCount: Int
    /// Every table in the table index space (imports first).
    public let tables: [TableType]
    /// Every memory in the memory index space (imports first); at most one in 2.0.
    public let memories: [MemoryType]
    /// Every global in the global index space (imports first).
    public let globals: [GlobalType]
    public let importedGlobalCount: Int
    /// The reference type of each element segment.
    public let elementTypes: [ReferenceType]
    /// The number of data segments known to function bodies: the data count section's
    /// value, or the data section's length when there is no data count section.
    public let dataCount: Int
    /// `C.refs`: functions named in element segments, exports or global initialisers.
    public let declaredFunctionReferences: FunctionIndexSet

    public var functionCount: Int { functionTypeIndices.count }

    /// The type of function `index` (function index space), or nil if there is none.
    public func functionType(_ index: UInt32) -> FunctionType? {
        guard let typeIndex = typeIndex(ofFunction: index) else { return nil }
        return types[Int(typeIndex)]
    }

    /// The type index of function `index`; always a valid index into `types`.
    public func typeIndex(ofFunction index: UInt32) -> UInt32? {
        guard Int(index) < functionTypeIndices.count else { return nil }
        return functionTypeIndices[Int(index)]
    }

    /// Whether `ref.func index` may appear in a function body.
    public func isDeclaredReference(_ index: UInt32) -> Bool {
        declaredFunctionReferences.contains(index)
    }

    /// Validates every part of `module` except the function bodies and collects the context.
    /// Errors use the spec test suite's wording ("unknown type", "type mismatch", …).
    public init(validating module: Module) throws(WasmError) {
        var builder = ContextBuilder(module: module)
        try builder.run()
        types = module.types
        functionTypeIndices = builder.functionTypeIndices
        importedFunctionCount = builder.importedFunctionCount
        tables = builder.tables
        memories = builder.memories
        globals = builder.globals
        importedGlobalCount = builder.importedGlobalCount
        elementTypes = module.elements.map { $0.type }
        dataCount = module.dataCount.map { Int($0) } ?? module.data.count
        declaredFunctionReferences = builder.references
    }
}

/// A set of function indices stored as a bit vector (no hashing, bounded by the number of
/// functions in the module).
public struct FunctionIndexSet: Sendable {
    private var words: [UInt64]

    public init(capacity: Int) {
        words = [UInt64](repeating: 0, count: (max(capacity, 0) + 63) / 64)
    }

    /// Inserts `index`; indices beyond the capacity are ignored.
    public mutating func insert(_ index: UInt32) {
        let word = Int(index / 64)
        guard word < words.count else { return }
        words[word] |= 1 << UInt64(index % 64)
    }

    public func contains(_ index: UInt32) -> Bool {
        let word = Int(index / 64)
        guard word < words.count else { return false }
        return words[word] & (1 << UInt64(index % 64)) != 0
    }
}

/// Largest number of 64 KiB pages a 32-bit memory may declare.
let maximumMemoryPages: UInt64 = 65536

/// Performs the module-level checks in the spec's order of concerns and gathers the index
/// spaces. Function bodies are not looked at.
private struct ContextBuilder {
    let module: Module
    var functionTypeIndices: [UInt32] = []
    var importedFunctionCount = 0
    var tables: [TableType] = []
    var memories: [MemoryType] = []
    var globals: [GlobalType] = []
    var importedGlobalCount = 0
    var references: FunctionIndexSet

    init(module: Module) {
        self.module = module
        references = FunctionIndexSet(capacity: 0)
    }

    mutating func run() throws(WasmError) {
        try collectImports()
        for typeIndex in module.functionTypeIndices {
            // The decoder does not keep per-entry offsets of the function section.
            try checkTypeIndex(typeIndex, at: 0)
            functionTypeIndices.append(typeIndex)
        }
        references = FunctionIndexSet(capacity: functionTypeIndices.count)
        for table in module.tables {
            try checkTableType(table, at: 0)
            tables.append(table)
        }
        for memory in module.memories {
            try checkMemoryType(memory, at: 0)
            memories.append(memory)
        }
        if memories.count > 1 {
            throw .invalid("multiple memories", at: 0)
        }
        try collectReferences()
        for global in module.globals {
            try checkConstantExpression(global.initializer, type: global.type.valueType)
            globals.append(global.type)
        }
        try checkElements()
        try checkData()
        try checkStart()
        try checkExports()
    }

    // MARK: Imports and types

    mutating func collectImports() throws(WasmError) {
        for entry in module.imports {
            switch entry.descriptor {
            case .function(let typeIndex):
                try checkTypeIndex(typeIndex, at: 0)
                functionTypeIndices.append(typeIndex)
            case .table(let table):
                try checkTableType(table, at: 0)
                tables.append(table)
            case .memory(let memory):
                try checkMemoryType(memory, at: 0)
                memories.append(memory)
            case .global(let global):
                globals.append(global)
            }
        }
        importedFunctionCount = functionTypeIndices.count
        importedGlobalCount = globals.count
    }

    func checkTypeIndex(_ index: UInt32, at offset: Int) throws(WasmError) {
        guard Int(index) < module.types.count else {
            throw .invalid("unknown type " + String(index), at: offset)
        }
    }

    func checkTableType(_ table: TableType, at offset: Int) throws(WasmError) {
        try checkLimits(table.limits, bound: UInt64(UInt32.max), at: offset,
                        tooLarge: "table size must be at most 2^32-1")
    }

    func checkMemoryType(_ memory: MemoryType, at offset: Int) throws(WasmError) {
        if memory.isShared {
            throw .invalid("shared memories are not supported", at: offset)
        }
        try checkLimits(memory.limits, bound: maximumMemoryPages, at: offset,
                        tooLarge: "memory size must be at most 65536 pages (4GiB)")
    }

    func checkLimits(_ limits: Limits, bound: UInt64, at offset: Int, tooLarge: String) throws(WasmError) {
        guard limits.min <= bound else { throw .invalid(tooLarge, at: offset) }
        if let max = limits.max {
            guard max <= bound else { throw .invalid(tooLarge, at: offset) }
            guard limits.min <= max else {
                throw .invalid("size minimum must not be greater than maximum", at: offset)
            }
        }
    }

    // MARK: Declared function references (C.refs)

    /// `C.refs` holds every function index that occurs outside function bodies and the start
    /// function: in element segments, exports and global initialisers.
    mutating func collectReferences() throws(WasmError) {
        for global in module.globals {
            noteReferences(in: global.initializer)
        }
        for segment in module.elements {
            switch segment.items {
            case .functionIndices(let indices):
                for index in indices { references.insert(index) }
            case .expressions(let expressions):
                for expression in expressions { noteReferences(in: expression) }
            }
        }
        for export in module.exports where export.kind == .function {
            references.insert(export.index)
        }
    }

    mutating func noteReferences(in expression: ConstantExpression) {
        for instruction in expression.instructions {
            if case .refFunc(let index) = instruction { references.insert(index) }
        }
    }

    // MARK: Constant expressions

    /// A constant expression must consist of constant instructions only (`t.const`,
    /// `ref.null`, `ref.func`, `global.get` of an imported immutable global) and leave
    /// exactly one value of `type`.
    func checkConstantExpression(_ expression: ConstantExpression, type: ValueType) throws(WasmError) {
        let offset = expression.offset
        var produced: ValueType?
        var count = 0
        for instruction in expression.instructions {
            let result: ValueType
            switch instruction {
            case .end:
                continue
            case .i32Const: result = .i32
            case .i64Const: result = .i64
            case .f32Const: result = .f32
            case .f64Const: result = .f64
            case .v128Const: result = .v128
            case .refNull(let referenceType): result = referenceType.valueType
            case .refFunc(let index):
                guard Int(index) < functionTypeIndices.count else {
                    throw .invalid("unknown function " + String(index), at: offset)
                }
                result = .funcref
            case .globalGet(let index):
                // Only imported globals are visible to constant expressions in 2.0.
                guard Int(index) < importedGlobalCount else {
                    throw .invalid("unknown global " + String(index), at: offset)
                }
                let global = globals[Int(index)]
                guard !global.isMutable else {
                    throw .invalid("constant expression required", at: offset)
                }
                result = global.valueType
            default:
                throw .invalid("constant expression required", at: offset)
            }
            produced = result
            count += 1
        }
        guard count == 1, produced == type else {
            throw .invalid("type mismatch", at: offset)
        }
    }

    // MARK: Segments

    func checkElements() throws(WasmError) {
        for segment in module.elements {
            switch segment.items {
            case .functionIndices(let indices):
                for index in indices where Int(index) >= functionTypeIndices.count {
                    throw .invalid("unknown function " + String(index), at: segment.offset)
                }
                if segment.type != .funcref {
                    throw .invalid("type mismatch", at: segment.offset)
                }
            case .expressions(let expressions):
                for expression in expressions {
                    try checkConstantExpression(expression, type: segment.type.valueType)
                }
            }
            if case .active(let tableIndex, let offsetExpression) = segment.mode {
                guard Int(tableIndex) < tables.count else {
                    throw .invalid("unknown table " + String(tableIndex), at: segment.offset)
                }
                try checkConstantExpression(offsetExpression, type: .i32)
                guard tables[Int(tableIndex)].elementType == segment.type else {
                    throw .invalid("type mismatch", at: segment.offset)
                }
            }
        }
    }

    func checkData() throws(WasmError) {
        for segment in module.data {
            guard case .active(let memoryIndex, let offsetExpression) = segment.mode else { continue }
            guard Int(memoryIndex) < memories.count else {
                throw .invalid("unknown memory " + String(memoryIndex), at: offsetExpression.offset)
            }
            try checkConstantExpression(offsetExpression, type: .i32)
        }
    }

    // MARK: Start and exports

    func checkStart() throws(WasmError) {
        guard let start = module.start else { return }
        guard Int(start) < functionTypeIndices.count else {
            throw .invalid("unknown function " + String(start), at: 0)
        }
        let type = module.types[Int(functionTypeIndices[Int(start)])]
        guard type.parameters.isEmpty, type.results.isEmpty else {
            throw .invalid("start function must have type [] -> []", at: 0)
        }
    }

    func checkExports() throws(WasmError) {
        for export in module.exports {
            let count: Int
            switch export.kind {
            case .function: count = functionTypeIndices.count
            case .table: count = tables.count
            case .memory: count = memories.count
            case .global: count = globals.count
            }
            guard Int(export.index) < count else {
                throw .invalid("unknown " + export.kind.spaceName + " " + String(export.index), at: 0)
            }
        }
        // Names compare by their UTF-8 bytes (no Unicode normalisation, as the spec says).
        var names = module.exports.map { Array($0.name.utf8) }
        names.sort { $0.lexicographicallyPrecedes($1) }
        for index in names.indices.dropFirst() where names[index] == names[index - 1] {
            throw .invalid("duplicate export name", at: 0)
        }
    }
}

extension ExternalKind {
    /// The index space's name as the spec's error messages spell it ("unknown function 3").
    var spaceName: String {
        switch self {
        case .function: return "function"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        }
    }
}
