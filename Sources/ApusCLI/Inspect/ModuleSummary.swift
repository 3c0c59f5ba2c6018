import WasmFrontEnd

/// What `apus inspect` shows about a decoded module, in a form that renders to text or JSON.
public struct ModuleSummary: Equatable {
    public struct Function: Equatable {
        public var index: UInt32
        public var name: String?
        public var typeIndex: UInt32
        public var type: String
        /// `module.name` for an imported function.
        public var importedFrom: String?
        /// Size of the body's instructions (after the local declarations); nil when imported.
        public var codeSize: Int?
    }

    public struct Import: Equatable {
        public var module: String
        public var name: String
        public var kind: String
        /// The imported item's type in text-format syntax, e.g. `(func (param i32) (result i32))`.
        public var type: String
        /// `module.name type`: the capability the program asks its host for.
        public var capability: String { module + "." + name + " " + type }
    }

    public struct Export: Equatable {
        public var name: String
        public var kind: String
        public var index: UInt32
    }

    public struct Entity: Equatable {
        public var index: UInt32
        public var description: String
        public var isImported: Bool
    }

    public struct CustomSection: Equatable {
        public var name: String
        public var size: Int
    }

    public var size: Int
    public var types: [String]
    public var imports: [Import]
    public var exports: [Export]
    public var memories: [Entity]
    public var tables: [Entity]
    public var globals: [Entity]
    public var functions: [Function]
    public var customSections: [CustomSection]
    public var start: UInt32?
    public var moduleName: String?
    /// Kind, version and dependencies as a program (see `ProgramSummary`).
    public var program: ProgramSummary

    public init(_ module: Module) {
        program = ProgramSummary(module)
        size = module.bytes.count
        moduleName = module.names?.moduleName
        types = module.types.map(TextSyntax.functionType)
        imports = module.imports.map { item in
            Import(module: item.module, name: item.name, kind: item.descriptor.kind.name,
                   type: TextSyntax.importType(item.descriptor, in: module))
        }
        exports = module.exports.map { Export(name: $0.name, kind: $0.kind.name, index: $0.index) }

        var memories: [Entity] = []
        var tables: [Entity] = []
        var globals: [Entity] = []
        var functions: [Function] = []
        for item in module.imports {
            let origin = item.module + "." + item.name
            switch item.descriptor {
            case .function(let typeIndex):
                functions.append(Function(
                    index: UInt32(functions.count), name: module.names?.functionNames[UInt32(functions.count)],
                    typeIndex: typeIndex, type: TextSyntax.functionType(at: typeIndex, in: module),
                    importedFrom: origin, codeSize: nil))
            case .table(let type):
                tables.append(Entity(index: UInt32(tables.count), description: TextSyntax.tableType(type), isImported: true))
            case .memory(let type):
                memories.append(Entity(index: UInt32(memories.count), description: TextSyntax.memoryType(type), isImported: true))
            case .global(let type):
                globals.append(Entity(index: UInt32(globals.count), description: TextSyntax.globalType(type), isImported: true))
            }
        }
        for (position, typeIndex) in module.functionTypeIndices.enumerated() {
            let index = UInt32(functions.count)
            let body = position < module.functionBodies.count ? module.functionBodies[position] : nil
            functions.append(Function(
                index: index, name: module.names?.functionNames[index], typeIndex: typeIndex,
                type: TextSyntax.functionType(at: typeIndex, in: module),
                importedFrom: nil, codeSize: body?.code.count))
        }
        for type in module.tables {
            tables.append(Entity(index: UInt32(tables.count), description: TextSyntax.tableType(type), isImported: false))
        }
        for type in module.memories {
            memories.append(Entity(index: UInt32(memories.count), description: TextSyntax.memoryType(type), isImported: false))
        }
        for global in module.globals {
            let text = TextSyntax.globalType(global.type) + " = " + TextSyntax.constantExpression(global.initializer)
            globals.append(Entity(index: UInt32(globals.count), description: text, isImported: false))
        }
        self.memories = memories
        self.tables = tables
        self.globals = globals
        self.functions = functions
        customSections = module.customSections.map { CustomSection(name: $0.name, size: $0.range.count) }
        start = module.start
    }
}

/// Text-format spellings of types and constant expressions.
enum TextSyntax {
    static func functionType(_ type: FunctionType) -> String {
        var text = "(func"
        if !type.parameters.isEmpty { text += " (param " + type.parameters.map(\.name).joined(separator: " ") + ")" }
        if !type.results.isEmpty { text += " (result " + type.results.map(\.name).joined(separator: " ") + ")" }
        return text + ")"
    }

    static func functionType(at index: UInt32, in module: Module) -> String {
        guard Int(index) < module.types.count else { return "(func (type " + String(index) + "))" }
        return functionType(module.types[Int(index)])
    }

    static func limits(_ limits: Limits) -> String {
        var text = String(limits.min)
        if let max = limits.max { text += " " + String(max) }
        return text
    }

    static func tableType(_ type: TableType) -> String {
        "(table " + limits(type.limits) + " " + type.elementType.valueType.name + ")"
    }

    static func memoryType(_ type: MemoryType) -> String {
        "(memory " + limits(type.limits) + (type.isShared ? " shared" : "") + ")"
    }

    static func globalType(_ type: GlobalType) -> String {
        type.isMutable ? "(global (mut " + type.valueType.name + "))" : "(global " + type.valueType.name + ")"
    }

    static func importType(_ descriptor: ImportDescriptor, in module: Module) -> String {
        switch descriptor {
        case .function(let typeIndex): return functionType(at: typeIndex, in: module)
        case .table(let type): return tableType(type)
        case .memory(let type): return memoryType(type)
        case .global(let type): return globalType(type)
        }
    }

    static func constantExpression(_ expression: ConstantExpression) -> String {
        let parts = expression.instructions.compactMap { instruction -> String? in
            switch instruction {
            case .i32Const(let value): return "i32.const " + String(value)
            case .i64Const(let value): return "i64.const " + String(value)
            case .f32Const(let bits): return "f32.const " + String(Float(bitPattern: bits))
            case .f64Const(let bits): return "f64.const " + String(Double(bitPattern: bits))
            case .v128Const(let value): return "v128.const i64x2 " + String(value.low) + " " + String(value.high)
            case .refNull(let type): return "ref.null " + (type == .funcref ? "func" : "extern")
            case .refFunc(let function): return "ref.func " + String(function)
            case .globalGet(let index): return "global.get " + String(index)
            case .end: return nil
            default: return "…"
            }
        }
        return parts.isEmpty ? "(empty)" : parts.joined(separator: " ")
    }
}
