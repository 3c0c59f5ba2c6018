import WasmCompiler
import WasmFrontEnd

/// A program image whose dependency graph was checked: every module decodes, every
/// dependency exists in a compatible version, there is no cycle, every imported function
/// matches its export, and every import is allowed by the manifest. Nothing has run yet.
public struct ProgramGraph {
    /// One module of the image.
    public struct Node {
        public var name: String
        public var module: Module
        public var interface: ProgramInterface
        /// Dependencies in first-import order.
        public var dependencies: [Dependency]
        /// Function imports that are not dependencies (the host's), in import order.
        public var hostImports: [(module: String, name: String)]

        public var kind: ProgramKind { interface.kind }
    }

    /// A module another module imports from.
    public struct Dependency {
        /// The dependency's name in the image.
        public var name: String
        /// The import module string (`kv@1`).
        public var importModule: String
        public var requirement: ProgramVersion
        public var kind: ProgramKind
        /// The imported function names.
        public var functions: [String]
    }

    /// Every module of the image, in image order.
    public var nodes: [Node]
    /// Services in dependency order (a service after everything it imports), then programs.
    /// Libraries are not listed: they are instantiated for each importer.
    public var instantiationOrder: [String]

    public func node(_ name: String) -> Node? { nodes.first { ExactName($0.name) == ExactName(name) } }
}

extension ProgramGraph {
    /// Resolves `image`: the checks of `ProgramGraph`, refusing with the first problem found.
    /// `hostFunction(module, name)` gives the type of a host function the host provides, or nil.
    public static func resolve(
        _ image: ProgramImage, manifest: CapabilityManifest,
        hostFunction: (String, String) -> FunctionType? = { _, _ in nil }
    ) throws(ProgramError) -> ProgramGraph {
        var nodes: [Node] = []
        var indexByName: [ExactName: Int] = [:]
        for entry in image.entries {
            guard indexByName[ExactName(entry.name)] == nil else { throw .duplicateModule(entry.name) }
            let module: Module
            do throws(WasmError) {
                module = try decodeModule(entry.bytes)
            } catch {
                throw .invalidModule(module: entry.name, message: error.description)
            }
            let interface: ProgramInterface
            switch ProgramInterface.of(module) {
            case .success(let parsed): interface = parsed
            case .failure(let error): throw .invalidInterface(module: entry.name, message: error.description)
            }
            try checkInterface(interface, of: module, name: entry.name)
            indexByName[ExactName(entry.name)] = nodes.count
            nodes.append(Node(name: entry.name, module: module, interface: interface, dependencies: [], hostImports: []))
        }

        // Dependencies: import modules named `name@version`.
        for index in nodes.indices {
            let node = nodes[index]
            var dependencies: [Dependency] = []
            var hostImports: [(module: String, name: String)] = []
            for entry in node.module.imports {
                guard DependencyName.looksLikeDependency(entry.module) else {
                    guard case .function = entry.descriptor else {
                        throw .unresolvedImport(importer: node.name, module: entry.module, name: entry.name)
                    }
                    hostImports.append((entry.module, entry.name))
                    continue
                }
                guard let dependency = DependencyName(importModule: entry.module) else {
                    throw .invalidModule(module: node.name, message: "bad dependency name " + entry.module)
                }
                guard case .function = entry.descriptor else {
                    throw .unresolvedImport(importer: node.name, module: entry.module, name: entry.name)
                }
                guard let target = indexByName[ExactName(dependency.name)] else {
                    throw .missingModule(importer: node.name, dependency: dependency.name)
                }
                guard nodes[target].kind != .program else {
                    throw .notImportable(importer: node.name, dependency: dependency.name)
                }
                if let existing = dependencies.firstIndex(where: { ExactName($0.importModule) == ExactName(entry.module) }) {
                    dependencies[existing].functions.append(entry.name)
                } else {
                    dependencies.append(Dependency(name: dependency.name, importModule: entry.module,
                                                   requirement: dependency.requirement, kind: nodes[target].kind,
                                                   functions: [entry.name]))
                }
            }
            nodes[index].dependencies = dependencies
            nodes[index].hostImports = hostImports
        }

        try checkVersions(nodes, indexByName: indexByName)
        let order = try dependencyOrder(nodes, indexByName: indexByName)
        for node in nodes { try checkSignatures(node, nodes: nodes, indexByName: indexByName, hostFunction: hostFunction) }
        for node in nodes where node.kind != .library {
            try checkCapabilities(principal: node.name, node, nodes: nodes, indexByName: indexByName, manifest: manifest)
        }
        let services = order.filter { nodes[$0].kind == .service }.map { nodes[$0].name }
        let programs = nodes.filter { $0.kind == .program }.map { $0.name }
        return ProgramGraph(nodes: nodes, instantiationOrder: services + programs)
    }

    /// Buffer declarations must name i32 parameter pairs of exported functions of a service
    /// with a memory and a buffer area.
    private static func checkInterface(_ interface: ProgramInterface, of module: Module, name: String) throws(ProgramError) {
        func invalid(_ message: String) -> ProgramError { .invalidInterface(module: name, message: message) }
        let declaresBuffers = interface.buffers.contains { !$0.parameters.isEmpty }
        guard declaresBuffers else { return }
        guard interface.kind == .service else { throw invalid("only services declare buffers") }
        guard let area = interface.bufferArea else { throw invalid("buffers need a buffer-area") }
        guard let memory = (module.importedMemoryCount == 0 ? module.memories.first : nil) ?? importedMemory(module) else {
            throw invalid("buffers need a memory")
        }
        let areaEnd = UInt64(area.offset) + UInt64(area.capacity)
        guard memory.limits.min <= 65536, areaEnd <= memory.limits.min * 65536 else {
            throw invalid("buffer area is outside the initial memory")
        }
        for (export, parameters) in interface.buffers {
            guard let entry = module.exports.first(where: { ExactName($0.name) == ExactName(export) }),
                  entry.kind == .function, let type = functionType(module, entry.index)
            else { throw invalid("no exported function " + export) }
            for parameter in parameters {
                guard parameter.pointer + 1 < type.parameters.count,
                      type.parameters[parameter.pointer] == .i32, type.parameters[parameter.pointer + 1] == .i32
                else { throw invalid("buffer " + parameter.description + " of " + export + " is not an i32 pair") }
            }
        }
    }

    private static func importedMemory(_ module: Module) -> MemoryType? {
        for entry in module.imports {
            if case .memory(let type) = entry.descriptor { return type }
        }
        return nil
    }

    /// The type of function `index` (imports first).
    static func functionType(_ module: Module, _ index: UInt32) -> FunctionType? {
        var remaining = Int(index)
        for entry in module.imports {
            guard case .function(let typeIndex) = entry.descriptor else { continue }
            if remaining == 0 { return Int(typeIndex) < module.types.count ? module.types[Int(typeIndex)] : nil }
            remaining -= 1
        }
        guard remaining < module.functionTypeIndices.count else { return nil }
        let typeIndex = Int(module.functionTypeIndices[remaining])
        return typeIndex < module.types.count ? module.types[typeIndex] : nil
    }

    /// The type of the function `dependency` exports as `name`, if any.
    static func exportedFunctionType(_ module: Module, _ name: String) -> FunctionType? {
        guard let entry = module.exports.first(where: { ExactName($0.name) == ExactName(name) }), entry.kind == .function
        else { return nil }
        return functionType(module, entry.index)
    }

    /// The type an importer must give `export` of a dependency of `kind`.
    static func importType(for exported: FunctionType, kind: ProgramKind) -> FunctionType {
        kind == .service ? FunctionType(parameters: exported.parameters, results: [.i32] + exported.results) : exported
    }

    /// The other way to import a service function, for toolchains without multi-value returns
    /// (C, Swift): `(P…, results_ptr: i32) -> (status: i32)`; the results are written at
    /// `results_ptr` in the caller's memory 0, 8 bytes each (docs/programs.md).
    static func resultsPointerImportType(for exported: FunctionType) -> FunctionType {
        FunctionType(parameters: exported.parameters + [.i32], results: [.i32])
    }

    private static func checkVersions(_ nodes: [Node], indexByName: [ExactName: Int]) throws(ProgramError) {
        var requirements: [ExactName: [(importer: String, dependency: Dependency)]] = [:]
        var names: [String] = []
        for node in nodes {
            for dependency in node.dependencies {
                let key = ExactName(dependency.name)
                if requirements[key] == nil { names.append(dependency.name) }
                requirements[key, default: []].append((node.name, dependency))
            }
        }
        for name in names {
            let wanted = requirements[ExactName(name)] ?? []
            guard let first = wanted.first else { continue }
            if wanted.contains(where: { $0.dependency.requirement.major != first.dependency.requirement.major }) {
                throw .versionConflict(dependency: name,
                                       requirements: wanted.map { $0.importer + " wants " + $0.dependency.importModule })
            }
            guard let target = indexByName[ExactName(name)] else { continue }
            let available = nodes[target].interface.version
            for (importer, dependency) in wanted where !available.satisfies(dependency.requirement) {
                throw .versionMismatch(importer: importer, dependency: name, required: dependency.requirement.description,
                                       available: available.description)
            }
        }
    }

    /// Depth-first order, dependencies first; refuses cycles.
    private static func dependencyOrder(_ nodes: [Node], indexByName: [ExactName: Int]) throws(ProgramError) -> [Int] {
        enum Mark { case unvisited, inProgress, done }
        var marks = Array(repeating: Mark.unvisited, count: nodes.count)
        var order: [Int] = []
        var path: [Int] = []
        func visit(_ index: Int) throws(ProgramError) {
            switch marks[index] {
            case .done: return
            case .inProgress:
                let start = path.firstIndex(of: index) ?? 0
                throw .cycle(path[start...].map { nodes[$0].name } + [nodes[index].name])
            case .unvisited: break
            }
            marks[index] = .inProgress
            path.append(index)
            for dependency in nodes[index].dependencies {
                if let target = indexByName[ExactName(dependency.name)] { try visit(target) }
            }
            path.removeLast()
            marks[index] = .done
            order.append(index)
        }
        for index in nodes.indices { try visit(index) }
        return order
    }

    private static func checkSignatures(
        _ node: Node, nodes: [Node], indexByName: [ExactName: Int], hostFunction: (String, String) -> FunctionType?
    ) throws(ProgramError) {
        for entry in node.module.imports {
            guard case .function(let typeIndex) = entry.descriptor, Int(typeIndex) < node.module.types.count else { continue }
            let actual = node.module.types[Int(typeIndex)]
            guard let dependency = DependencyName(importModule: entry.module) else {
                guard let provided = hostFunction(entry.module, entry.name) else {
                    throw .unresolvedImport(importer: node.name, module: entry.module, name: entry.name)
                }
                guard provided == actual else {
                    throw .signatureMismatch(importer: node.name, dependency: entry.module, name: entry.name,
                                             expected: provided.signatureText, actual: actual.signatureText)
                }
                continue
            }
            guard let target = indexByName[ExactName(dependency.name)] else { continue }
            let exporter = nodes[target]
            guard let exported = exportedFunctionType(exporter.module, entry.name) else {
                throw .missingExport(importer: node.name, dependency: dependency.name, name: entry.name)
            }
            let expected = importType(for: exported, kind: exporter.kind)
            let resultsThroughPointer = exporter.kind == .service && actual == resultsPointerImportType(for: exported)
            if resultsThroughPointer, node.module.memories.isEmpty, importedMemory(node.module) == nil {
                throw .invalidInterface(module: node.name, message: "takes the results of " + dependency.name + "."
                    + entry.name + " through a pointer but has no memory")
            }
            guard expected == actual || resultsThroughPointer else {
                throw .signatureMismatch(importer: node.name, dependency: dependency.name, name: entry.name,
                                         expected: expected.signatureText, actual: actual.signatureText)
            }
            if exporter.kind == .service, !exporter.interface.bufferParameters(of: entry.name).isEmpty,
               node.module.memories.isEmpty, importedMemory(node.module) == nil {
                throw .invalidInterface(module: node.name, message: "passes buffers to " + dependency.name + "."
                    + entry.name + " but has no memory")
            }
        }
    }

    /// Checks `node`'s imports against `principal`'s manifest entry, and those of the libraries
    /// it pulls in (they act for the principal).
    private static func checkCapabilities(
        principal: String, _ node: Node, nodes: [Node], indexByName: [ExactName: Int], manifest: CapabilityManifest
    ) throws(ProgramError) {
        var visited: [Int] = []
        var pending = [node]
        while let current = pending.popLast() {
            for entry in current.module.imports {
                let module = DependencyName(importModule: entry.module)?.name ?? entry.module
                guard manifest.permits(principal, module: module, function: entry.name) else {
                    throw .capabilityDenied(program: principal, module: module, name: entry.name)
                }
            }
            for dependency in current.dependencies where dependency.kind == .library {
                guard let target = indexByName[ExactName(dependency.name)], !visited.contains(target) else { continue }
                visited.append(target)
                pending.append(nodes[target])
            }
        }
    }
}
