import WasmCompiler
import WasmFrontEnd

/// Owns every instance, function, table, memory and global created in it, and the
/// `VMStoreContext` their compiled code shares. Objects handed out by a store are valid only
/// while the store lives.
public final class Store {
    public let engine: Engine
    /// The `VMStoreContext` (stack limit, current activation).
    let context: UnsafeMutableRawPointer
    var instances: [InstanceEntity] = []
    var hostFunctions: [FunctionEntity] = []
    var tables: [TableEntity] = []
    var globals: [GlobalEntity] = []
    var memories: [Memory] = []
    /// Every `VMFuncRef` address the store handed to compiled code → its function.
    var functionsByReference: [UInt: FunctionEntity] = [:]
    /// The error of a host function called from wasm, waiting for its activation to unwind.
    var pendingTrap: Trap?

    public init(engine: Engine) {
        self.engine = engine
        context = engine.vmData.allocateZeroed(byteCount: VMStoreContextLayout.size)
    }

    deinit {
        // Functions and instances reference each other unretained; drop them together.
        instances.removeAll()
        hostFunctions.removeAll()
        engine.vmData.deallocate(context)
    }

    // MARK: Creating host objects

    /// A host function callable from wasm (through imports) and from the host.
    public func createFunction(type: FunctionType, body: @escaping HostFunctionBody) -> Func {
        let function = FunctionEntity(store: self, type: type, body: body)
        hostFunctions.append(function)
        functionsByReference[UInt(bitPattern: function.funcRef)] = function
        return Func(store: self, entity: function)
    }

    /// A table whose elements start as `initialValue`; nil past the engine's limits or if the
    /// value does not fit the element type.
    public func createTable(type: TableType, initialValue: Value? = nil) -> Table? {
        let raw: UInt64
        if let initialValue {
            guard let encoded = rawReference(initialValue, type: type.elementType) else { return nil }
            raw = encoded
        } else {
            raw = 0
        }
        guard let table = TableEntity(store: self, type: type, initialValue: raw) else { return nil }
        tables.append(table)
        return Table(store: self, entity: table)
    }

    /// A memory of `type.limits.min` pages; nil past the engine's limits.
    public func createMemory(type: MemoryType) -> Memory? {
        guard let memory = Memory(engine: engine, type: type) else { return nil }
        memories.append(memory)
        return memory
    }

    /// A global holding `value`; nil if the value does not have the global's type.
    public func createGlobal(type: GlobalType, value: Value) -> WasmGlobal? {
        guard value.type == type.valueType, let raw = rawSlot(value) else { return nil }
        let global = GlobalEntity(type: type, raw: raw, vmData: engine.vmData)
        globals.append(global)
        return WasmGlobal(store: self, entity: global)
    }

    // MARK: Value representations

    /// A value as a 16-byte slot/cell image; nil for a function of another store.
    func rawSlot(_ value: Value) -> V128? {
        switch value {
        case .i32(let bits): return V128(low: UInt64(bits), high: 0)
        case .i64(let bits): return V128(low: bits, high: 0)
        case .f32(let bits): return V128(low: UInt64(bits), high: 0)
        case .f64(let bits): return V128(low: bits, high: 0)
        case .v128(let vector): return vector
        case .funcref, .externref:
            guard let raw = rawReference(value, type: value.type == .funcref ? .funcref : .externref) else {
                return nil
            }
            return V128(low: raw, high: 0)
        }
    }

    func value(ofRawSlot raw: V128, type: ValueType) -> Value {
        switch type {
        case .i32: return .i32(UInt32(truncatingIfNeeded: raw.low))
        case .i64: return .i64(raw.low)
        case .f32: return .f32(UInt32(truncatingIfNeeded: raw.low))
        case .f64: return .f64(raw.low)
        case .v128: return .v128(raw)
        case .funcref: return value(ofRawReference: raw.low, type: .funcref)
        case .externref: return value(ofRawReference: raw.low, type: .externref)
        }
    }

    /// The 8-byte table/slot encoding of a reference; nil if `value` is not of `type` or is a
    /// function of another store.
    func rawReference(_ value: Value, type: ReferenceType) -> UInt64? {
        switch (value, type) {
        case (.funcref(let function), .funcref):
            guard let function else { return 0 }
            guard function.store === self else { return nil }
            return UInt64(UInt(bitPattern: function.entity.funcRef))
        case (.externref(let reference), .externref):
            return ExternReference.encode(reference)
        default:
            return nil
        }
    }

    func value(ofRawReference raw: UInt64, type: ReferenceType) -> Value {
        switch type {
        case .funcref:
            guard raw != 0, let entity = functionsByReference[UInt(raw)] else { return .funcref(nil) }
            return .funcref(Func(store: self, entity: entity))
        case .externref:
            return .externref(ExternReference.decode(raw))
        }
    }

    func readSlots(_ slots: UnsafeMutableRawPointer, types: [ValueType]) -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(types.count)
        var offset = 0
        for type in types {
            let low = slots.load(fromByteOffset: offset, as: UInt64.self)
            var high: UInt64 = 0
            if type == .v128 {
                high = slots.load(fromByteOffset: offset + 8, as: UInt64.self)
                offset += 16
            } else {
                offset += 8
            }
            values.append(value(ofRawSlot: V128(low: low, high: high), type: type))
        }
        return values
    }

    /// Writes values to consecutive slots (types were checked by the caller).
    func writeSlots(_ slots: UnsafeMutableRawPointer, _ values: [Value]) {
        var offset = 0
        for value in values {
            let raw = rawSlot(value) ?? V128(low: 0, high: 0)
            slots.storeBytes(of: raw.low, toByteOffset: offset, as: UInt64.self)
            offset += 8
            if value.type == .v128 {
                slots.storeBytes(of: raw.high, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
        }
    }

    // MARK: Calling into wasm

    private var stackLimit: UInt64 {
        get { context.load(fromByteOffset: VMStoreContextLayout.stackLimit, as: UInt64.self) }
        set { context.storeBytes(of: newValue, toByteOffset: VMStoreContextLayout.stackLimit, as: UInt64.self) }
    }

    private var activation: UnsafeMutableRawPointer? {
        get { context.load(fromByteOffset: VMStoreContextLayout.activation, as: UnsafeMutableRawPointer?.self) }
        set {
            context.storeBytes(of: newValue, toByteOffset: VMStoreContextLayout.activation,
                               as: UnsafeMutableRawPointer?.self)
        }
    }

    /// The lowest stack address wasm may use when entered from the current frame.
    private func computeStackLimit() -> UInt64 {
        let platform = engine.platform
        let bounds = platform.currentStackBounds()
        let sp = platform.currentStackPointer()
        let configuration = engine.configuration
        let floor = bounds.low &+ UInt(configuration.hostStackReserveBytes)
        let budget = sp >= UInt(configuration.maxWasmStackBytes) ? sp - UInt(configuration.maxWasmStackBytes) : 0
        return UInt64(max(floor, budget))
    }

    /// Calls a wasm function through the entry trampoline (types already checked).
    func enterWasm(_ function: FunctionEntity, _ arguments: [Value]) throws(Trap) -> [Value] {
        guard let trampolineAddress = engine.entryTrampoline else {
            throw Trap(message: "no entry trampoline: the compiler is not available")
        }
        let code = function.funcRef.load(fromByteOffset: VMFuncRefLayout.code, as: UnsafeRawPointer?.self)
        let vmctx = function.funcRef.load(fromByteOffset: VMFuncRefLayout.vmctx, as: UnsafeMutableRawPointer?.self)
        guard let code, let vmctx else { throw Trap(message: "function has no compiled code") }
        let slotCount = max(function.slotCount, 1)
        let vmData = engine.vmData
        let slots = vmData.allocateZeroed(byteCount: slotCount * 8)
        defer { vmData.deallocate(slots) }
        writeSlots(slots, arguments)

        let record = vmData.allocateZeroed(byteCount: ActivationRecordLayout.size)
        defer { vmData.deallocate(record) }
        let platform = engine.platform
        let previousThreadActivation = platform.currentActivation
        record.storeBytes(of: previousThreadActivation, toByteOffset: ActivationRecordLayout.previous,
                          as: UnsafeMutableRawPointer?.self)
        let previousStoreActivation = activation
        let previousLimit = stackLimit
        if previousStoreActivation == nil { stackLimit = computeStackLimit() }
        activation = record
        platform.currentActivation = record
        pendingTrap = nil

        typealias Trampoline = @convention(c) (
            UnsafeMutableRawPointer, UnsafeRawPointer, UnsafeMutableRawPointer, UInt64, UnsafeMutableRawPointer
        ) -> UInt32
        let trapCode = platform.callEntry(trampolineAddress, vmctx: vmctx, code: code, values: slots,
                                          slotCount: UInt64(slotCount), activation: record)
            ?? unsafeBitCast(trampolineAddress, to: Trampoline.self)(vmctx, code, slots, UInt64(slotCount), record)

        platform.currentActivation = previousThreadActivation
        activation = previousStoreActivation
        stackLimit = previousLimit

        if trapCode != 0 {
            throw makeTrap(code: trapCode, record: record)
        }
        return readSlots(slots, types: function.type.results)
    }

    private func makeTrap(code: UInt32, record: UnsafeMutableRawPointer) -> Trap {
        let frames = backtrace(record)
        let kind = TrapKind(rawValue: code)
        if kind == .hostTrap, var pending = pendingTrap {
            pendingTrap = nil
            pending.backtrace += frames
            return pending
        }
        guard let kind else { return Trap(message: "unknown trap code " + String(code)) }
        return Trap(kind: kind, backtrace: frames)
    }

    /// Symbolises the program counters the trap handler recorded.
    private func backtrace(_ record: UnsafeMutableRawPointer) -> [BacktraceFrame] {
        let count = min(Int(record.load(fromByteOffset: ActivationRecordLayout.backtraceCount, as: UInt32.self)),
                        ActivationRecordLayout.backtraceCapacity)
        var frames: [BacktraceFrame] = []
        for index in 0..<count {
            let pc = record.load(fromByteOffset: ActivationRecordLayout.backtrace + 8 * index, as: UInt64.self)
            // Return addresses point after the call; look up the call instruction itself.
            let lookup = index == 0 ? UInt(pc) : UInt(pc) &- 1
            if let frame = symbolize(pc: lookup, exact: UInt(pc)) { frames.append(frame) }
        }
        return frames
    }

    func symbolize(pc: UInt, exact: UInt) -> BacktraceFrame? {
        var seen: [ObjectIdentifier] = []
        for instance in instances {
            let module = instance.module
            let id = ObjectIdentifier(module)
            if seen.contains(id) { continue }
            seen.append(id)
            if let frame = module.symbolize(pc: pc, exact: exact) { return frame }
        }
        return nil
    }
}
