import WasmCompiler
import WasmFrontEnd

/// A running set of programs, services and libraries resolved from a `ProgramImage`, all in
/// one store: each service is one instance, each program one instance, each library a fresh
/// instance per importer. Calls from an importer into a service go through generated
/// cross-program trampolines (`VMCrossCallContextLayout`): no host code runs on that path.
///
/// When a call traps inside a service, the caller gets status `CrossCallStatus.trapped | kind`
/// and the service is marked failed: later calls return `serviceFailed` at once, until the
/// host calls `restart`, which instantiates the service afresh (new memory, start function
/// run again) and points every importer's trampoline context at the new instance.
public final class ProgramSystem {
    public let store: Store
    public let graph: ProgramGraph
    private let host: Linker
    private var compiled: [ExactName: WasmModule] = [:]
    private var instances: [ExactName: Instance] = [:]
    private var services: [ExactName: ServiceRecord] = [:]
    private var links: [CrossCallLink] = []
    private var trampolines: [CodeMemory] = []
    private var contexts: [UnsafeMutableRawPointer] = []
    /// A zero-length `VMMemory`: the caller memory of a trampoline until its importer exists.
    private let emptyMemory: UnsafeMutableRawPointer

    private final class ServiceRecord {
        var instance: Instance
        /// `VMServiceStateLayout`.
        let state: UnsafeMutableRawPointer

        init(instance: Instance, state: UnsafeMutableRawPointer) {
            self.instance = instance
            self.state = state
        }
    }

    /// One import of a service function by one instance.
    private struct CrossCallLink {
        var context: UnsafeMutableRawPointer
        var service: String
        var export: String
    }

    /// Resolves `image` (see `ProgramGraph.resolve`) with the host functions `host` defines,
    /// then instantiates services in dependency order and then programs.
    public init(store: Store, image: ProgramImage, manifest: CapabilityManifest, host: Linker = Linker())
        throws(ProgramError)
    {
        self.store = store
        self.host = host
        graph = try ProgramGraph.resolve(image, manifest: manifest) { module, name in
            guard case .function(let function)? = host.resolve(module: module, name: name) else { return nil }
            return function.type
        }
        emptyMemory = store.engine.vmData.allocateZeroed(byteCount: VMMemoryLayout.size)
        for name in graph.instantiationOrder {
            guard let node = graph.node(name) else { throw .unknownProgram(name) }
            let instance = try instantiate(node)
            instances[ExactName(name)] = instance
            if node.kind == .service {
                let state = store.engine.vmData.allocateZeroed(byteCount: VMServiceStateLayout.size)
                contexts.append(state)
                services[ExactName(name)] = ServiceRecord(instance: instance, state: state)
            }
        }
    }

    deinit {
        let vmData = store.engine.vmData
        for context in contexts { vmData.deallocate(context) }
        vmData.deallocate(emptyMemory)
    }

    /// The instance of a program or service.
    public func instance(_ name: String) -> Instance? { instances[ExactName(name)] }

    /// Running, or failed with the trap kind that failed it; nil if `name` is not a service.
    public func serviceFailure(_ name: String) -> (failed: Bool, trap: TrapKind?)? {
        guard let service = services[ExactName(name)] else { return nil }
        let failed = service.state.load(fromByteOffset: VMServiceStateLayout.failed, as: UInt32.self) != 0
        let kind = service.state.load(fromByteOffset: VMServiceStateLayout.trapKind, as: UInt32.self)
        return (failed, failed ? TrapKind(rawValue: kind) : nil)
    }

    /// Instantiates service `name` afresh and directs every importer to the new instance.
    public func restart(_ name: String) throws(ProgramError) {
        guard let service = services[ExactName(name)], let node = graph.node(name) else { throw .unknownProgram(name) }
        let instance = try instantiate(node)
        service.instance = instance
        instances[ExactName(name)] = instance
        for link in links where ExactName(link.service) == ExactName(name) {
            try point(link.context, at: instance, export: link.export, service: name)
        }
        service.state.storeBytes(of: UInt32(0), toByteOffset: VMServiceStateLayout.failed, as: UInt32.self)
        service.state.storeBytes(of: UInt32(0), toByteOffset: VMServiceStateLayout.trapKind, as: UInt32.self)
    }

    // MARK: Instantiation

    private func compiledModule(_ node: ProgramGraph.Node) throws(ProgramError) -> WasmModule {
        if let module = compiled[ExactName(node.name)] { return module }
        let module: WasmModule
        do throws(WasmError) {
            let image = try compileCode(module: node.module, engine: store.engine)
            module = try WasmModule(engine: store.engine, module: node.module, image: image)
        } catch {
            throw .invalidModule(module: node.name, message: error.description)
        }
        compiled[ExactName(node.name)] = module
        return module
    }

    /// Instantiates `node` with its imports: library instances made for it, trampolines into
    /// services, host functions.
    private func instantiate(_ node: ProgramGraph.Node) throws(ProgramError) -> Instance {
        let module = try compiledModule(node)
        var libraries: [ExactName: Instance] = [:]
        var imports: [Extern] = []
        var pendingContexts: [UnsafeMutableRawPointer] = []
        for entry in node.module.imports {
            guard let dependency = DependencyName(importModule: entry.module) else {
                guard let value = host.resolve(module: entry.module, name: entry.name) else {
                    throw .unresolvedImport(importer: node.name, module: entry.module, name: entry.name)
                }
                imports.append(value)
                continue
            }
            guard let target = graph.node(dependency.name) else {
                throw .missingModule(importer: node.name, dependency: dependency.name)
            }
            switch target.kind {
            case .library:
                let library: Instance
                if let existing = libraries[ExactName(target.name)] {
                    library = existing
                } else {
                    library = try instantiate(target)
                    libraries[ExactName(target.name)] = library
                }
                guard let value = library.export(entry.name) else {
                    throw .missingExport(importer: node.name, dependency: target.name, name: entry.name)
                }
                imports.append(value)
            case .service:
                let (function, context) = try crossCallFunction(to: target, export: entry.name, importer: node.name)
                pendingContexts.append(context)
                imports.append(.function(function))
            case .program:
                throw .notImportable(importer: node.name, dependency: target.name)
            }
        }
        let instance: Instance
        do throws(InstantiationError) {
            instance = try store.instantiate(module, imports: imports)
        } catch {
            throw .instantiationFailed(module: node.name, message: error.description)
        }
        if let memory = instance.entity.memory(at: 0) {
            for context in pendingContexts {
                context.storeBytes(of: memory.vmMemory, toByteOffset: VMCrossCallContextLayout.callerMemory,
                                   as: UnsafeMutableRawPointer.self)
            }
        }
        if node.kind == .service, let area = node.interface.bufferArea {
            // Memories never shrink: a buffer area inside the memory now stays inside it.
            guard let memory = instance.entity.memory(at: 0),
                  memory.contains(offset: UInt64(area.offset), count: UInt64(area.capacity))
            else { throw .invalidInterface(module: node.name, message: "buffer area is outside the memory") }
        }
        return instance
    }

    /// A function for `importer` whose code is a trampoline into `service.export`.
    private func crossCallFunction(to service: ProgramGraph.Node, export: String, importer: String)
        throws(ProgramError) -> (Func, UnsafeMutableRawPointer)
    {
        guard let record = services[ExactName(service.name)] else {
            // Services are instantiated in dependency order, so this means a bug in the order.
            throw .unknownProgram(service.name)
        }
        guard let exported = ProgramGraph.exportedFunctionType(service.module, export) else {
            throw .missingExport(importer: importer, dependency: service.name, name: export)
        }
        let shape = crossCallShape(exported, buffers: service.interface.bufferParameters(of: export))
        guard let trampolineCode = compileCrossCallTrampolines([shape]),
              let memory = CodeMemory(platform: store.engine.platform,
                                      image: CodeImage(code: trampolineCode.code))
        else { throw .instantiationFailed(module: importer, message: "cannot generate a cross-program trampoline") }
        trampolines.append(memory)

        let vmData = store.engine.vmData
        let context = vmData.allocateZeroed(byteCount: VMCrossCallContextLayout.size)
        contexts.append(context)
        context.storeBytes(of: store.context, toByteOffset: VMCrossCallContextLayout.storeContext,
                           as: UnsafeMutableRawPointer.self)
        context.storeBytes(of: record.state, toByteOffset: VMCrossCallContextLayout.serviceState,
                           as: UnsafeMutableRawPointer.self)
        context.storeBytes(of: emptyMemory, toByteOffset: VMCrossCallContextLayout.callerMemory,
                           as: UnsafeMutableRawPointer.self)
        try point(context, at: record.instance, export: export, service: service.name)
        links.append(CrossCallLink(context: context, service: service.name, export: export))

        let importType = ProgramGraph.importType(for: exported, kind: .service)
        let function = store.createFunction(type: importType) { _, _ throws(Trap) in
            throw Trap(message: "a cross-program import can only be called from wasm")
        }
        // Wasm callers (the importer's function array, tables) reach the trampoline directly.
        function.entity.funcRef.storeBytes(of: UnsafeRawPointer(memory.address(Int(trampolineCode.entries[0]))),
                                           toByteOffset: VMFuncRefLayout.code, as: UnsafeRawPointer?.self)
        function.entity.funcRef.storeBytes(of: UnsafeRawPointer(context), toByteOffset: VMFuncRefLayout.vmctx,
                                           as: UnsafeRawPointer.self)
        return (function, context)
    }

    /// Sets the callee fields of a trampoline context to `instance`'s export.
    private func point(_ context: UnsafeMutableRawPointer, at instance: Instance, export: String, service: String)
        throws(ProgramError)
    {
        guard let function = instance.function(export) else {
            throw .missingExport(importer: service, dependency: service, name: export)
        }
        let funcRef = function.entity.funcRef
        let code = funcRef.load(fromByteOffset: VMFuncRefLayout.code, as: UnsafeRawPointer?.self)
        let vmctx = funcRef.load(fromByteOffset: VMFuncRefLayout.vmctx, as: UnsafeRawPointer?.self)
        context.storeBytes(of: code, toByteOffset: VMCrossCallContextLayout.calleeCode, as: UnsafeRawPointer?.self)
        context.storeBytes(of: vmctx, toByteOffset: VMCrossCallContextLayout.calleeVMContext, as: UnsafeRawPointer?.self)
        let memory = instance.entity.memory(at: 0)?.vmMemory ?? emptyMemory
        context.storeBytes(of: memory, toByteOffset: VMCrossCallContextLayout.calleeMemory,
                           as: UnsafeMutableRawPointer.self)
        guard let node = graph.node(service) else { return }
        let area = node.interface.bufferArea ?? (0, 0)
        context.storeBytes(of: UInt64(area.offset), toByteOffset: VMCrossCallContextLayout.bufferAreaOffset,
                           as: UInt64.self)
        context.storeBytes(of: UInt64(area.capacity), toByteOffset: VMCrossCallContextLayout.bufferAreaCapacity,
                           as: UInt64.self)
    }

    /// Slot positions of `type`'s parameters and buffers (a v128 takes two slots).
    private func crossCallShape(_ type: FunctionType, buffers: [BufferParameter]) -> CrossCallShape {
        var slotOfParameter: [Int] = []
        var slot = 0
        for parameter in type.parameters {
            slotOfParameter.append(slot)
            slot += parameter == .v128 ? 2 : 1
        }
        let described = buffers.compactMap { buffer -> CrossCallBuffer? in
            guard buffer.pointer + 1 < slotOfParameter.count else { return nil }
            return CrossCallBuffer(pointerSlot: slotOfParameter[buffer.pointer],
                                   lengthSlot: slotOfParameter[buffer.pointer + 1], direction: buffer.direction)
        }
        return CrossCallShape(parameterSlots: FunctionEntity.slots(type.parameters),
                              resultSlots: FunctionEntity.slots(type.results), buffers: described)
    }
}
