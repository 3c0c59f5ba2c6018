import WasmCompiler
import WasmFrontEnd

/// An external value: what a module imports and exports.
public enum Extern {
    case function(Func)
    case table(Table)
    case memory(Memory)
    case global(WasmGlobal)

    /// Whether the object belongs to `store` (memories belong to any store).
    func belongs(to store: Store) -> Bool {
        switch self {
        case .function(let function): return function.store === store
        case .table(let table): return table.store === store
        case .memory: return true
        case .global(let global): return global.store === store
        }
    }

    public var kind: ExternalKind {
        switch self {
        case .function: return .function
        case .table: return .table
        case .memory: return .memory
        case .global: return .global
        }
    }
}

/// An export as the store keeps it (entities, so that instances do not retain the store).
enum ExternEntity {
    case function(FunctionEntity)
    case table(TableEntity)
    case memory(Memory)
    case global(GlobalEntity)

    func handle(_ store: Store) -> Extern {
        switch self {
        case .function(let entity): return .function(Func(store: store, entity: entity))
        case .table(let entity): return .table(Table(store: store, entity: entity))
        case .memory(let memory): return .memory(memory)
        case .global(let entity): return .global(WasmGlobal(store: store, entity: entity))
        }
    }
}

/// An instantiated module. A handle: it keeps its store (and so the instance) alive.
public struct Instance {
    let store: Store
    let entity: InstanceEntity

    public var module: WasmModule { entity.module }

    /// The export called `name`.
    public func export(_ name: String) -> Extern? { entity.exportsByName[ExactName(name)]?.handle(store) }

    public func function(_ name: String) -> Func? {
        if case .function(let function) = export(name) { return function }
        return nil
    }

    public func memory(_ name: String) -> Memory? {
        if case .memory(let memory) = export(name) { return memory }
        return nil
    }

    public func table(_ name: String) -> Table? {
        if case .table(let table) = export(name) { return table }
        return nil
    }

    public func global(_ name: String) -> WasmGlobal? {
        if case .global(let global) = export(name) { return global }
        return nil
    }

    /// All exports in declaration order.
    public var exports: [(name: String, value: Extern)] {
        module.module.exports.compactMap { entry in export(entry.name).map { (entry.name, $0) } }
    }
}

/// Private layout of a `VMContext` after `VMContextLayout.headerSize`.
enum InstanceContextLayout {
    /// Unretained `InstanceEntity`: how builtins find the runtime object from the vmctx.
    static let instance = VMContextLayout.headerSize
    static let size = instance + 8
}

/// The store-owned state of an instance: its functions, tables, memories and globals, and the
/// `VMContext` its compiled code runs with.
final class InstanceEntity {
    let module: WasmModule
    let store: Unmanaged<Store>
    let vmctx: UnsafeMutableRawPointer
    /// `VMFuncRef` entries, one per function index.
    let functionArray: UnsafeMutableRawPointer
    private let globalArray: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private let tableArray: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private let memoryArray: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private let typeIDArray: UnsafeMutablePointer<UInt64>
    private let vmData: VMDataAllocator

    private(set) var functions: [FunctionEntity] = []
    private(set) var tables: [TableEntity] = []
    private(set) var memories: [Memory] = []
    private(set) var globals: [GlobalEntity] = []
    /// Element segments evaluated to raw references; emptied by `elem.drop`.
    var elementSegments: [[UInt64]] = []
    /// Data segment ranges in the module bytes; emptied by `data.drop`.
    var dataSegments: [Range<Int>] = []
    private(set) var exportsByName: [ExactName: ExternEntity] = [:]

    private init(store: Store, module: WasmModule) {
        self.module = module
        self.store = Unmanaged.passUnretained(store)
        let decoded = module.module
        let functionCount = decoded.importedFunctionCount + decoded.functionTypeIndices.count
        let vmData = store.engine.vmData
        self.vmData = vmData
        vmctx = vmData.allocateZeroed(byteCount: InstanceContextLayout.size)
        functionArray = vmData.allocateZeroed(byteCount: max(functionCount, 1) * VMFuncRefLayout.size)
        globalArray = vmData.allocate(capacity: decoded.importedGlobalCount + decoded.globals.count,
                                      of: UnsafeMutableRawPointer.self)
        tableArray = vmData.allocate(capacity: decoded.importedTableCount + decoded.tables.count,
                                     of: UnsafeMutableRawPointer.self)
        memoryArray = vmData.allocate(capacity: decoded.importedMemoryCount + decoded.memories.count,
                                      of: UnsafeMutableRawPointer.self)
        typeIDArray = vmData.allocate(capacity: module.typeIDs.count, of: UInt64.self)
        for (index, id) in module.typeIDs.enumerated() { typeIDArray[index] = id }

        vmctx.storeBytes(of: store.context, toByteOffset: VMContextLayout.storeContext, as: UnsafeMutableRawPointer.self)
        vmctx.storeBytes(of: functionArray, toByteOffset: VMContextLayout.functions, as: UnsafeMutableRawPointer.self)
        vmctx.storeBytes(of: globalArray, toByteOffset: VMContextLayout.globals,
                         as: UnsafeMutablePointer<UnsafeMutableRawPointer>.self)
        vmctx.storeBytes(of: tableArray, toByteOffset: VMContextLayout.tables,
                         as: UnsafeMutablePointer<UnsafeMutableRawPointer>.self)
        vmctx.storeBytes(of: memoryArray, toByteOffset: VMContextLayout.memories,
                         as: UnsafeMutablePointer<UnsafeMutableRawPointer>.self)
        vmctx.storeBytes(of: typeIDArray, toByteOffset: VMContextLayout.typeIDs, as: UnsafeMutablePointer<UInt64>.self)
        vmctx.storeBytes(of: store.engine.builtins, toByteOffset: VMContextLayout.builtins,
                         as: UnsafeMutablePointer<UnsafeRawPointer?>.self)
    }

    deinit {
        vmData.deallocate(vmctx)
        vmData.deallocate(functionArray)
        vmData.deallocate(globalArray)
        vmData.deallocate(tableArray)
        vmData.deallocate(memoryArray)
        vmData.deallocate(typeIDArray)
    }

    /// The instance behind a `VMContext` (used by builtins).
    static func from(vmctx: UnsafeMutableRawPointer) -> InstanceEntity {
        let opaque = vmctx.load(fromByteOffset: InstanceContextLayout.instance, as: UnsafeRawPointer.self)
        return Unmanaged<InstanceEntity>.fromOpaque(opaque).takeUnretainedValue()
    }

    func memory(at index: UInt32) -> Memory? { Int(index) < memories.count ? memories[Int(index)] : nil }
    func table(at index: UInt32) -> TableEntity? { Int(index) < tables.count ? tables[Int(index)] : nil }

    /// Address of `VMFuncRef` entry `index` (the value of `ref.func index`).
    func functionReference(_ index: UInt32) -> UInt64 {
        UInt64(UInt(bitPattern: functionArray + Int(index) * VMFuncRefLayout.size))
    }

    // MARK: Instantiation

    /// Instantiates `module` with `imports` given in the order of the module's imports
    /// (core spec §4.5.4). The store keeps the instance even when initialisation traps
    /// part-way, because tables and memories it shares may already refer to it.
    static func instantiate(store: Store, module: WasmModule, imports: [Extern]) throws(InstantiationError) -> Instance {
        let decoded = module.module
        guard imports.count == decoded.imports.count else {
            throw InstantiationError(kind: .unlinkable, message: "unknown import")
        }
        for (entry, value) in zip(decoded.imports, imports) {
            try checkImport(entry, value, module: module)
        }

        for value in imports {
            guard value.belongs(to: store) else {
                throw InstantiationError(kind: .unlinkable, message: "incompatible import type",
                                         detail: "import from another store")
            }
        }
        let instance = InstanceEntity(store: store, module: module)
        store.instances.append(instance)
        instance.vmctx.storeBytes(of: UnsafeRawPointer(Unmanaged.passUnretained(instance).toOpaque()),
                                  toByteOffset: InstanceContextLayout.instance, as: UnsafeRawPointer.self)
        try instance.allocate(store: store, imports: imports)
        try instance.initializeSegments(store: store)
        if let start = decoded.start {
            guard Int(start) < instance.functions.count else { throw unreachableError() }
            do throws(Trap) {
                _ = try instance.functions[Int(start)].call([], store: store)
            } catch {
                throw InstantiationError.trapped(error)
            }
        }
        return Instance(store: store, entity: instance)
    }

    private static func unreachableError() -> InstantiationError {
        InstantiationError(kind: .unlinkable, message: "module does not match its validation")
    }

    private static func checkImport(_ entry: Import, _ value: Extern, module: WasmModule) throws(InstantiationError) {
        let detail = entry.module + "." + entry.name
        let incompatible = InstantiationError(kind: .unlinkable, message: "incompatible import type", detail: detail)
        switch (entry.descriptor, value) {
        case (.function(let typeIndex), .function(let function)):
            guard let expected = module.type(typeIndex), expected == function.type else { throw incompatible }
        case (.table(let expected), .table(let table)):
            guard expected.elementType == table.elementType,
                  limitsMatch(actualMin: table.count, actualMax: table.maximum, expected: expected.limits)
            else { throw incompatible }
        case (.memory(let expected), .memory(let memory)):
            guard limitsMatch(actualMin: memory.pageCount, actualMax: memory.maximumPages, expected: expected.limits)
            else { throw incompatible }
        case (.global(let expected), .global(let global)):
            guard expected == global.type else { throw incompatible }
        default:
            throw incompatible
        }
    }

    /// Limits subtyping (core spec §4.5.3.2 "Limits").
    private static func limitsMatch(actualMin: UInt64, actualMax: UInt64?, expected: Limits) -> Bool {
        guard actualMin >= expected.min else { return false }
        guard let expectedMax = expected.max else { return true }
        guard let actualMax else { return false }
        return actualMax <= expectedMax
    }

    private func resourceError(_ what: String) -> InstantiationError {
        InstantiationError(kind: .resourceExhausted, message: "cannot allocate " + what)
    }

    private func allocate(store: Store, imports: [Extern]) throws(InstantiationError) {
        let decoded = module.module
        // Imports first, in order, within each index space.
        for value in imports {
            switch value {
            case .function(let function):
                let entry = functionArray + functions.count * VMFuncRefLayout.size
                entry.copyMemory(from: function.entity.funcRef, byteCount: VMFuncRefLayout.size)
                store.functionsByReference[UInt(bitPattern: entry)] = function.entity
                functions.append(function.entity)
            case .table(let table):
                tableArray[tables.count] = table.entity.vmTable
                tables.append(table.entity)
            case .memory(let memory):
                memoryArray[memories.count] = memory.vmMemory
                memories.append(memory)
            case .global(let global):
                globalArray[globals.count] = global.entity.cell
                globals.append(global.entity)
            }
        }
        // Defined functions share the module's code and run with this instance's context.
        for (definedIndex, typeIndex) in decoded.functionTypeIndices.enumerated() {
            let index = functions.count
            let entry = functionArray + index * VMFuncRefLayout.size
            guard let type = module.type(typeIndex) else { throw InstanceEntity.unreachableError() }
            entry.storeBytes(of: module.codeAddress(definedIndex: definedIndex), toByteOffset: VMFuncRefLayout.code,
                             as: UnsafeRawPointer?.self)
            entry.storeBytes(of: UnsafeRawPointer(vmctx), toByteOffset: VMFuncRefLayout.vmctx, as: UnsafeRawPointer.self)
            entry.storeBytes(of: module.typeIDs[Int(typeIndex)], toByteOffset: VMFuncRefLayout.typeID, as: UInt64.self)
            let function = FunctionEntity(store: store, type: type, instance: self, functionIndex: UInt32(index),
                                          funcRef: entry)
            store.functionsByReference[UInt(bitPattern: entry)] = function
            functions.append(function)
        }
        for type in decoded.tables {
            guard let table = TableEntity(store: store, type: type, initialValue: 0) else { throw resourceError("table") }
            tableArray[tables.count] = table.vmTable
            tables.append(table)
        }
        for type in decoded.memories {
            guard let memory = Memory(engine: store.engine, type: type) else { throw resourceError("memory") }
            memoryArray[memories.count] = memory.vmMemory
            memories.append(memory)
        }
        for global in decoded.globals {
            let raw = try evaluate(global.initializer)
            let created = GlobalEntity(type: global.type, raw: raw, vmData: store.engine.vmData)
            globalArray[globals.count] = created.cell
            globals.append(created)
        }
        for entry in decoded.exports {
            let index = Int(entry.index)
            let value: ExternEntity?
            switch entry.kind {
            case .function: value = index < functions.count ? .function(functions[index]) : nil
            case .table: value = index < tables.count ? .table(tables[index]) : nil
            case .memory: value = index < memories.count ? .memory(memories[index]) : nil
            case .global: value = index < globals.count ? .global(globals[index]) : nil
            }
            guard let value else { throw InstanceEntity.unreachableError() }
            exportsByName[ExactName(entry.name)] = value
        }
        // Element segments are evaluated to references at instantiation (§4.5.4 step 9).
        for segment in decoded.elements {
            var references: [UInt64] = []
            switch segment.items {
            case .functionIndices(let indices):
                for index in indices {
                    guard Int(index) < functions.count else { throw InstanceEntity.unreachableError() }
                    references.append(functionReference(index))
                }
            case .expressions(let expressions):
                for expression in expressions { references.append(try evaluate(expression).low) }
            }
            elementSegments.append(references)
        }
        dataSegments = decoded.data.map { $0.range }
    }

    /// Runs the active element and data segments in order, then drops active and
    /// declarative ones (§4.5.4 steps 13–14). Stops at the first out-of-bounds segment.
    private func initializeSegments(store: Store) throws(InstantiationError) {
        let decoded = module.module
        for (index, segment) in decoded.elements.enumerated() {
            switch segment.mode {
            case .passive:
                continue
            case .declarative:
                elementSegments[index] = []
            case .active(let tableIndex, let offsetExpression):
                let offset = try evaluate(offsetExpression).low & 0xFFFF_FFFF
                let length = UInt64(elementSegments[index].count)
                let trap = tableInit(table: tableIndex, segment: UInt32(index), destination: offset, source: 0,
                                     length: length)
                if let trap { throw InstantiationError.trapped(Trap(kind: trap)) }
                elementSegments[index] = []
            }
        }
        for (index, segment) in decoded.data.enumerated() {
            guard case .active(let memoryIndex, let offsetExpression) = segment.mode else { continue }
            let offset = try evaluate(offsetExpression).low & 0xFFFF_FFFF
            let length = UInt64(dataSegments[index].count)
            let trap = memoryInit(memory: memoryIndex, segment: UInt32(index), destination: offset, source: 0,
                                  length: length)
            if let trap { throw InstantiationError.trapped(Trap(kind: trap)) }
            dataSegments[index] = 0..<0
        }
    }

    /// Evaluates a constant expression to its 16-byte slot image. Supports the 2.0 forms and
    /// the extended-constant arithmetic (`i32/i64.add/sub/mul`).
    func evaluate(_ expression: ConstantExpression) throws(InstantiationError) -> V128 {
        var stack: [V128] = []
        func binary(_ operation: (UInt64, UInt64) -> UInt64, mask: UInt64) throws(InstantiationError) {
            guard stack.count >= 2 else { throw InstanceEntity.unreachableError() }
            let right = stack.removeLast().low
            let left = stack.removeLast().low
            stack.append(V128(low: operation(left, right) & mask, high: 0))
        }
        for instruction in expression.instructions {
            switch instruction {
            case .i32Const(let value): stack.append(V128(low: UInt64(UInt32(bitPattern: value)), high: 0))
            case .i64Const(let value): stack.append(V128(low: UInt64(bitPattern: value), high: 0))
            case .f32Const(let bits): stack.append(V128(low: UInt64(bits), high: 0))
            case .f64Const(let bits): stack.append(V128(low: bits, high: 0))
            case .v128Const(let vector): stack.append(vector)
            case .refNull: stack.append(V128(low: 0, high: 0))
            case .refFunc(let index):
                guard Int(index) < functions.count else { throw InstanceEntity.unreachableError() }
                stack.append(V128(low: functionReference(index), high: 0))
            case .globalGet(let index):
                guard Int(index) < globals.count else { throw InstanceEntity.unreachableError() }
                stack.append(globals[Int(index)].rawValue)
            case .numeric(.i32Add): try binary({ $0 &+ $1 }, mask: 0xFFFF_FFFF)
            case .numeric(.i32Sub): try binary({ $0 &- $1 }, mask: 0xFFFF_FFFF)
            case .numeric(.i32Mul): try binary({ $0 &* $1 }, mask: 0xFFFF_FFFF)
            case .numeric(.i64Add): try binary({ $0 &+ $1 }, mask: UInt64.max)
            case .numeric(.i64Sub): try binary({ $0 &- $1 }, mask: UInt64.max)
            case .numeric(.i64Mul): try binary({ $0 &* $1 }, mask: UInt64.max)
            case .end: break
            default: throw InstantiationError(kind: .unlinkable, message: "constant expression required")
            }
        }
        guard let result = stack.last else { throw InstanceEntity.unreachableError() }
        return result
    }

    // MARK: Bulk operations (shared by instantiation and builtins)

    func tableInit(table tableIndex: UInt32, segment: UInt32, destination: UInt64, source: UInt64,
                   length: UInt64) -> TrapKind? {
        guard let table = table(at: tableIndex), Int(segment) < elementSegments.count else { return .tableOutOfBounds }
        let references = elementSegments[Int(segment)]
        guard inBounds(source, length, UInt64(references.count)), inBounds(destination, length, table.count) else {
            return .tableOutOfBounds
        }
        for step in 0..<Int(length) {
            table.elements[Int(destination) + step] = references[Int(source) + step]
        }
        return nil
    }

    func memoryInit(memory memoryIndex: UInt32, segment: UInt32, destination: UInt64, source: UInt64,
                    length: UInt64) -> TrapKind? {
        guard let memory = memory(at: memoryIndex), Int(segment) < dataSegments.count else { return .memoryOutOfBounds }
        let range = dataSegments[Int(segment)]
        guard inBounds(source, length, UInt64(range.count)), memory.contains(offset: destination, count: length) else {
            return .memoryOutOfBounds
        }
        if length > 0 {
            module.module.bytes.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress {
                    (memory.baseAddress + Int(destination)).copyMemory(
                        from: base + range.lowerBound + Int(source), byteCount: Int(length))
                }
            }
        }
        return nil
    }
}

/// Whether `start ..< start + length` fits in `0 ..< size`.
func inBounds(_ start: UInt64, _ length: UInt64, _ size: UInt64) -> Bool {
    let (end, overflow) = start.addingReportingOverflow(length)
    return !overflow && end <= size
}
