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
///
/// The kernel runs services for programs that start later, each in its own task and store:
/// `init(…, programs: false, separateServiceStores: true)` starts only the services (each in a
/// store of its own, so calls from several CPUs into different services never share store
/// state), and `link(program:bytes:store:host:)` instantiates a program in its own store
/// against them.
public final class ProgramSystem {
    public let store: Store
    public let graph: ProgramGraph
    private let image: ProgramImage
    private let manifest: CapabilityManifest
    private let separateServiceStores: Bool
    private let host: Linker
    private var compiled: [ExactName: WasmModule] = [:]
    private var instances: [ExactName: Instance] = [:]
    private var services: [ExactName: ServiceRecord] = [:]
    private var links: [CrossCallLink] = []
    /// The imports of programs linked in foreign stores (`link`), by link number: `restart`
    /// repoints them too. A `LinkedProgram` removes its own when it goes.
    private var foreignLinks: [UInt64: [CrossCallLink]] = [:]
    private var nextForeignLink: UInt64 = 1
    private var trampolines: [CodeMemory] = []
    private var contexts: [UnsafeMutableRawPointer] = []
    /// A zero-length `VMMemory`: the caller memory of a trampoline until its importer exists.
    private let emptyMemory: UnsafeMutableRawPointer

    private final class ServiceRecord {
        var instance: Instance
        /// The store the instance lives in.
        var store: Store
        /// `VMServiceStateLayout`.
        let state: UnsafeMutableRawPointer

        init(instance: Instance, store: Store, state: UnsafeMutableRawPointer) {
            self.instance = instance
            self.store = store
            self.state = state
        }
    }

    /// A program instantiated by `link` in a store of its own, with what its imports of
    /// services need: keep it as long as the instance runs (the trampolines and their contexts
    /// go with it). Not thread-safe with `link` and `restart`: the host lets it go where it
    /// serialises those (the kernel: under its link lock).
    public final class LinkedProgram {
        public let instance: Instance
        fileprivate let trampolines: [CodeMemory]
        fileprivate let contexts: [UnsafeMutableRawPointer]
        fileprivate let vmData: VMDataAllocator
        /// The system that repoints its imports on `restart`, and the number it knows them by.
        private let system: ProgramSystem
        private let linkNumber: UInt64

        fileprivate init(instance: Instance, trampolines: [CodeMemory], contexts: [UnsafeMutableRawPointer],
                         vmData: VMDataAllocator, system: ProgramSystem, linkNumber: UInt64) {
            self.instance = instance
            self.trampolines = trampolines
            self.contexts = contexts
            self.vmData = vmData
            self.system = system
            self.linkNumber = linkNumber
        }

        deinit {
            system.foreignLinks.removeValue(forKey: linkNumber)
            for context in contexts { vmData.deallocate(context) }
        }
    }

    /// Trampolines and contexts made while instantiating one program in a foreign store.
    private final class ForeignLinks {
        var trampolines: [CodeMemory] = []
        var contexts: [UnsafeMutableRawPointer] = []
        var links: [CrossCallLink] = []
    }

    /// One import of a service function by one instance.
    private struct CrossCallLink {
        var context: UnsafeMutableRawPointer
        var service: String
        var export: String
    }

    /// Resolves `image` (see `ProgramGraph.resolve`) with the host functions `host` defines,
    /// then instantiates services in dependency order and then (unless `programs` is false)
    /// programs. With `separateServiceStores` each service gets a store of its own (same engine).
    public init(store: Store, image: ProgramImage, manifest: CapabilityManifest, host: Linker = Linker(),
                programs: Bool = true, separateServiceStores: Bool = false)
        throws(ProgramError)
    {
        self.store = store
        self.host = host
        self.image = image
        self.manifest = manifest
        self.separateServiceStores = separateServiceStores
        graph = try Self.resolve(image, manifest: manifest, host: host)
        emptyMemory = store.engine.vmData.allocateZeroed(byteCount: VMMemoryLayout.size)
        for name in graph.instantiationOrder {
            guard let node = graph.node(name) else { throw .unknownProgram(name) }
            guard programs || node.kind == .service else { continue }
            let home = node.kind == .service && separateServiceStores ? Store(engine: store.engine) : store
            let instance = try instantiate(node, in: home, host: host, graph: graph, foreign: nil)
            instances[ExactName(name)] = instance
            if node.kind == .service {
                let state = store.engine.vmData.allocateZeroed(byteCount: VMServiceStateLayout.size)
                contexts.append(state)
                services[ExactName(name)] = ServiceRecord(instance: instance, store: home, state: state)
            }
        }
    }

    private static func resolve(_ image: ProgramImage, manifest: CapabilityManifest, host: Linker)
        throws(ProgramError) -> ProgramGraph
    {
        try ProgramGraph.resolve(image, manifest: manifest) { module, name in
            guard case .function(let function)? = host.resolve(module: module, name: name) else { return nil }
            return function.type
        }
    }

    /// Instantiates program `name` (module `bytes`, not part of the image) in `store` with the
    /// host functions of `host`, against this system's running services: the image plus the
    /// program is resolved again (missing modules, versions, signatures, capabilities), its
    /// libraries are instantiated in `store`, and its imports of services become trampolines.
    public func link(program name: String, bytes: [UInt8], store: Store, host: Linker) throws(ProgramError)
        -> LinkedProgram
    {
        var extended = image
        extended.add(name: name, bytes: bytes)
        let extendedGraph = try Self.resolve(extended, manifest: manifest, host: host)
        guard let node = extendedGraph.node(name) else { throw .unknownProgram(name) }
        guard node.kind == .program else {
            throw .instantiationFailed(module: name, message: "it is a " + node.kind.name + ", not a program")
        }
        let foreign = ForeignLinks()
        let instance = try instantiate(node, in: store, host: host, graph: extendedGraph, foreign: foreign)
        let linkNumber = nextForeignLink
        nextForeignLink += 1
        if !foreign.links.isEmpty { foreignLinks[linkNumber] = foreign.links }
        return LinkedProgram(instance: instance, trampolines: foreign.trampolines, contexts: foreign.contexts,
                             vmData: store.engine.vmData, system: self, linkNumber: linkNumber)
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

    /// The names of the services, in instantiation order.
    public var serviceNames: [String] {
        graph.instantiationOrder.filter { services[ExactName($0)] != nil }
    }

    /// The service's `VMServiceStateLayout` record (user memory in the kernel): a host that
    /// restarts a service while other threads may call it takes its `busy` word first, so no
    /// call is inside the old instance while importers are repointed.
    public func serviceState(_ name: String) -> UnsafeMutableRawPointer? { services[ExactName(name)]?.state }

    /// Instantiates service `name` afresh and directs every importer to the new instance:
    /// those the system instantiated and the programs `link` made (while they live). On error
    /// the service keeps its old instance and stays failed.
    public func restart(_ name: String) throws(ProgramError) {
        guard let service = services[ExactName(name)], let node = graph.node(name) else { throw .unknownProgram(name) }
        let home = separateServiceStores ? Store(engine: store.engine) : store
        let instance = try instantiate(node, in: home, host: host, graph: graph, foreign: nil)
        service.store = home
        service.instance = instance
        instances[ExactName(name)] = instance
        for link in links where ExactName(link.service) == ExactName(name) {
            try point(link.context, at: instance, in: home, export: link.export, service: name)
        }
        for programLinks in foreignLinks.values {
            for link in programLinks where ExactName(link.service) == ExactName(name) {
                try point(link.context, at: instance, in: home, export: link.export, service: name)
            }
        }
        service.state.storeBytes(of: UInt32(0), toByteOffset: VMServiceStateLayout.failed, as: UInt32.self)
        service.state.storeBytes(of: UInt32(0), toByteOffset: VMServiceStateLayout.trapKind, as: UInt32.self)
    }

    // MARK: Instantiation

    /// The compiled module of `node` for `engine` (cached for the system's own engine).
    private func compiledModule(_ node: ProgramGraph.Node, engine: Engine) throws(ProgramError) -> WasmModule {
        let cacheable = engine === store.engine
        if cacheable, let module = compiled[ExactName(node.name)] { return module }
        let module: WasmModule
        do throws(WasmError) {
            let image = try compileCode(module: node.module, engine: engine)
            module = try WasmModule(engine: engine, module: node.module, image: image)
        } catch {
            throw .invalidModule(module: node.name, message: error.description)
        }
        if cacheable { compiled[ExactName(node.name)] = module }
        return module
    }

    /// Instantiates `node` in `store` with its imports: library instances made for it,
    /// trampolines into services, host functions of `host`. `foreign` collects what belongs to
    /// a program linked in a store the system does not own.
    private func instantiate(_ node: ProgramGraph.Node, in store: Store, host: Linker, graph: ProgramGraph,
                             foreign: ForeignLinks?) throws(ProgramError) -> Instance {
        let module = try compiledModule(node, engine: store.engine)
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
                    library = try instantiate(target, in: store, host: host, graph: graph, foreign: foreign)
                    libraries[ExactName(target.name)] = library
                }
                guard let value = library.export(entry.name) else {
                    throw .missingExport(importer: node.name, dependency: target.name, name: entry.name)
                }
                imports.append(value)
            case .service:
                var declared: FunctionType?
                if case .function(let typeIndex) = entry.descriptor, Int(typeIndex) < node.module.types.count {
                    declared = node.module.types[Int(typeIndex)]
                }
                let (function, context) = try crossCallFunction(to: target, export: entry.name, importer: node.name,
                                                                declared: declared, store: store, foreign: foreign)
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

    /// A function for `importer` (instantiated in `store`) whose code is a trampoline into
    /// `service.export`.
    private func crossCallFunction(to service: ProgramGraph.Node, export: String, importer: String,
                                   declared: FunctionType?, store: Store, foreign: ForeignLinks?)
        throws(ProgramError) -> (Func, UnsafeMutableRawPointer)
    {
        guard let record = services[ExactName(service.name)] else {
            // Services are instantiated in dependency order, so this means a bug in the order.
            throw .unknownProgram(service.name)
        }
        guard let exported = ProgramGraph.exportedFunctionType(service.module, export) else {
            throw .missingExport(importer: importer, dependency: service.name, name: export)
        }
        var shape = crossCallShape(exported, buffers: service.interface.bufferParameters(of: export))
        // Imported with its results through a pointer (`resultsPointerImportType`)?
        let resultsThroughPointer = declared == ProgramGraph.resultsPointerImportType(for: exported)
        if resultsThroughPointer { shape.resultsPointerSlot = shape.parameterSlots }
        guard let trampolineCode = compileCrossCallTrampolines([shape]),
              let memory = CodeMemory(platform: store.engine.platform,
                                      image: CodeImage(code: trampolineCode.code))
        else { throw .instantiationFailed(module: importer, message: "cannot generate a cross-program trampoline") }
        let vmData = store.engine.vmData
        let context = vmData.allocateZeroed(byteCount: VMCrossCallContextLayout.size)
        if let foreign {
            foreign.trampolines.append(memory)
            foreign.contexts.append(context)
        } else {
            trampolines.append(memory)
            contexts.append(context)
        }
        context.storeBytes(of: store.context, toByteOffset: VMCrossCallContextLayout.storeContext,
                           as: UnsafeMutableRawPointer.self)
        context.storeBytes(of: record.state, toByteOffset: VMCrossCallContextLayout.serviceState,
                           as: UnsafeMutableRawPointer.self)
        context.storeBytes(of: emptyMemory, toByteOffset: VMCrossCallContextLayout.callerMemory,
                           as: UnsafeMutableRawPointer.self)
        try point(context, at: record.instance, in: record.store, export: export, service: service.name)
        let link = CrossCallLink(context: context, service: service.name, export: export)
        if let foreign { foreign.links.append(link) } else { links.append(link) }

        let importType = resultsThroughPointer ? ProgramGraph.resultsPointerImportType(for: exported)
            : ProgramGraph.importType(for: exported, kind: .service)
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

    /// Sets the callee fields of a trampoline context to `instance`'s export (in `store`).
    private func point(_ context: UnsafeMutableRawPointer, at instance: Instance, in store: Store, export: String,
                       service: String)
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
        context.storeBytes(of: store.context, toByteOffset: VMCrossCallContextLayout.calleeStoreContext,
                           as: UnsafeMutableRawPointer.self)
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
