import WasmCompiler
import WasmFrontEnd

/// What a host function's body receives besides its arguments.
public struct Caller {
    /// The store the call runs in (to call back into wasm, read memories, …).
    public let store: Store
}

/// A host function body: arguments in, results out (their types must match the declared
/// function type), or a `Trap` to abort the wasm code that called it.
public typealias HostFunctionBody = (Caller, [Value]) throws(Trap) -> [Value]

/// A function of a store: defined by a wasm instance, or by the host. A handle: it keeps its
/// store (and so the function) alive.
public struct Func {
    let store: Store
    let entity: FunctionEntity

    public var type: FunctionType { entity.type }

    /// True for functions defined by the host.
    public var isHostFunction: Bool {
        if case .host = entity.kind { return true }
        return false
    }

    /// Calls the function. Arguments must match the parameter types.
    public func call(_ arguments: [Value]) throws(Trap) -> [Value] {
        try entity.call(arguments, store: store)
    }
}

extension Func: Equatable {
    public static func == (lhs: Func, rhs: Func) -> Bool { lhs.entity === rhs.entity }
}

/// The store-owned state of a function.
final class FunctionEntity {
    enum Kind {
        case wasm(instance: Unmanaged<InstanceEntity>, functionIndex: UInt32)
        case host(HostFunctionBody)
    }

    let type: FunctionType
    let kind: Kind
    /// The canonical `VMFuncRef` of the function: `ref.func`/tables hold its address.
    let funcRef: UnsafeMutableRawPointer
    /// For host functions: the `VMHostFunctionContext` (dispatcher, then this object).
    let hostContext: UnsafeMutableRawPointer?
    let store: Unmanaged<Store>
    /// Where a host function's own VM data came from (nil for wasm functions, whose
    /// `VMFuncRef` belongs to their instance).
    private let vmData: VMDataAllocator?

    /// A wasm function: `funcRef` is an entry of the defining instance's function array.
    init(store: Store, type: FunctionType, instance: InstanceEntity, functionIndex: UInt32,
         funcRef: UnsafeMutableRawPointer) {
        self.store = Unmanaged.passUnretained(store)
        self.type = type
        kind = .wasm(instance: Unmanaged.passUnretained(instance), functionIndex: functionIndex)
        self.funcRef = funcRef
        hostContext = nil
        vmData = nil
    }

    /// A host function with its own `VMFuncRef` and `VMHostFunctionContext`.
    init(store: Store, type: FunctionType, body: @escaping HostFunctionBody) {
        self.store = Unmanaged.passUnretained(store)
        self.type = type
        kind = .host(body)
        let vmData = store.engine.vmData
        self.vmData = vmData
        funcRef = vmData.allocateZeroed(byteCount: VMFuncRefLayout.size)
        let context = vmData.allocate(byteCount: HostContextLayout.size)
        hostContext = context
        context.storeBytes(of: store.engine.platform.hostCallGate(for: hostDispatcherAddress()),
                           toByteOffset: VMHostFunctionContextLayout.dispatcher,
                           as: UnsafeRawPointer.self)
        context.storeBytes(of: UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()),
                           toByteOffset: HostContextLayout.function, as: UnsafeRawPointer.self)
        funcRef.storeBytes(of: store.engine.hostCallStub, toByteOffset: VMFuncRefLayout.code, as: UnsafeRawPointer?.self)
        funcRef.storeBytes(of: UnsafeRawPointer(context), toByteOffset: VMFuncRefLayout.vmctx, as: UnsafeRawPointer.self)
        funcRef.storeBytes(of: store.engine.typeID(of: type), toByteOffset: VMFuncRefLayout.typeID, as: UInt64.self)
    }

    deinit {
        // (The store may be mid-deinit here: use the allocator kept at creation.)
        if let hostContext, let vmData {
            vmData.deallocate(hostContext)
            vmData.deallocate(funcRef)
        }
    }

    func call(_ arguments: [Value], store: Store) throws(Trap) -> [Value] {
        guard arguments.count == type.parameters.count else {
            throw Trap(message: "wrong number of arguments: expected " + String(type.parameters.count)
                + ", got " + String(arguments.count))
        }
        for (argument, parameter) in zip(arguments, type.parameters) where argument.type != parameter {
            throw Trap(message: "argument type mismatch: expected " + parameter.name + ", got " + argument.type.name)
        }
        switch kind {
        case .host(let body):
            let results = try body(Caller(store: store), arguments)
            try checkResults(results)
            return results
        case .wasm:
            return try store.enterWasm(self, arguments)
        }
    }

    func checkResults(_ results: [Value]) throws(Trap) {
        guard results.count == type.results.count,
              !zip(results, type.results).contains(where: { $0.0.type != $0.1 })
        else { throw Trap(message: "host function returned values of the wrong type") }
    }

    /// Number of 8-byte value slots a call needs: max(params, results), a v128 counts twice.
    var slotCount: Int {
        max(FunctionEntity.slots(type.parameters), FunctionEntity.slots(type.results))
    }

    static func slots(_ types: [ValueType]) -> Int { VMValueSlots.count(types) }
}

/// Private layout of a host function's context after `VMHostFunctionContextLayout.headerSize`.
enum HostContextLayout {
    /// Unretained `FunctionEntity`.
    static let function = VMHostFunctionContextLayout.headerSize
    static let size = function + 8
}

/// Called by the host-call stub: `values` are the caller's argument/result slots.
/// Returns 0, or non-zero after leaving the error in the store for the activation.
private func hostDispatcher(_ context: UnsafeMutableRawPointer, _ values: UnsafeMutableRawPointer) -> UInt32 {
    let opaque = context.load(fromByteOffset: HostContextLayout.function, as: UnsafeRawPointer.self)
    let function = Unmanaged<FunctionEntity>.fromOpaque(opaque).takeUnretainedValue()
    let store = function.store.takeUnretainedValue()
    guard case .host(let body) = function.kind else { return TrapKind.hostTrap.rawValue }
    let arguments = store.readSlots(values, types: function.type.parameters)
    do throws(Trap) {
        let results = try body(Caller(store: store), arguments)
        try function.checkResults(results)
        store.writeSlots(values, results)
        return 0
    } catch {
        store.pendingTrap = error
        return TrapKind.hostTrap.rawValue
    }
}

private func hostDispatcherAddress() -> UnsafeRawPointer {
    let function: @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> UInt32 = hostDispatcher
    return unsafeBitCast(function, to: UnsafeRawPointer.self)
}
