import WasmCompiler
import WasmFrontEnd

/// A decoded, validated and compiled module, ready to be instantiated in any store of its
/// engine. Named `WasmModule` because `WasmFrontEnd.Module` is the decoded form it wraps.
public final class WasmModule {
    public let engine: Engine
    /// The decoded module (types, imports, exports, segments, names).
    public let module: Module
    let image: CodeImage
    /// The executable copy of `image`; nil when the module defines no function.
    let code: CodeMemory?
    /// Tiered code: what replaces hot functions and loops by optimised code.
    let tierUp: TierUp?
    /// Canonical type id of each type index.
    let typeIDs: [UInt64]
    /// Defined-function indices sorted by code offset, for symbolisation.
    private let functionsByOffset: [Int]
    /// Export names of functions, used in backtraces when the name section has no name.
    private let exportedFunctionNames: [UInt32: String]

    /// Decodes, validates and compiles `bytes`.
    public convenience init(engine: Engine, bytes: [UInt8]) throws(WasmError) {
        let module = try decodeModule(bytes)
        let image = try compileCode(module: module, engine: engine)
        try self.init(engine: engine, module: module, image: image)
    }

    /// Validates and compiles a module decoded already (`decodeModule`), e.g. one whose
    /// imports the loader looked at first.
    public convenience init(engine: Engine, decoded module: Module) throws(WasmError) {
        let image = try compileCode(module: module, engine: engine)
        try self.init(engine: engine, module: module, image: image)
    }

    /// Wraps an already compiled image (the compiler bridge, or hand-written code in tests).
    init(engine: Engine, module: Module, image: CodeImage) throws(WasmError) {
        self.engine = engine
        self.module = module
        self.image = image
        guard image.functionOffsets.count == module.functionBodies.count,
              image.functionSizes.count == module.functionBodies.count
        else { throw .invalid("compiled code does not match the module", at: 0) }
        if image.code.isEmpty {
            code = nil
        } else {
            guard let memory = CodeMemory(platform: engine.platform, image: image) else {
                throw .invalid("cannot allocate executable memory", at: 0)
            }
            code = memory
        }
        if let code, let slots = code.tieringSlots, let trapExit = image.trapExit {
            tierUp = TierUp(platform: engine.platform, module: module, configuration: engine.compilerConfiguration,
                            code: code, slots: slots, trapExit: code.address(trapExit),
                            threshold: Int64(engine.configuration.tierUpThreshold),
                            background: engine.configuration.backgroundTierUp)
        } else {
            tierUp = nil
        }
        typeIDs = module.types.map { engine.typeID(of: $0) }
        var exported: [UInt32: String] = [:]
        for entry in module.exports where entry.kind == .function && exported[entry.index] == nil {
            exported[entry.index] = entry.name
        }
        exportedFunctionNames = exported
        functionsByOffset = Array(0..<image.functionOffsets.count).sorted { image.functionOffsets[$0] < image.functionOffsets[$1] }
    }

    /// The module's name from its name section.
    public var name: String? { module.names?.moduleName }

    /// The type of a function by index (imports first); nil if out of range.
    public func functionType(_ index: UInt32) -> FunctionType? {
        var remaining = Int(index)
        for entry in module.imports {
            guard case .function(let typeIndex) = entry.descriptor else { continue }
            if remaining == 0 { return type(typeIndex) }
            remaining -= 1
        }
        guard remaining < module.functionTypeIndices.count else { return nil }
        return type(module.functionTypeIndices[remaining])
    }

    func type(_ typeIndex: UInt32) -> FunctionType? {
        Int(typeIndex) < module.types.count ? module.types[Int(typeIndex)] : nil
    }

    /// Address of a defined function's code.
    func codeAddress(definedIndex: Int) -> UnsafeRawPointer? {
        guard let code, definedIndex < image.functionOffsets.count else { return nil }
        return code.address(image.functionOffsets[definedIndex])
    }

    /// The function containing `pc`, with the offset of `exact` from its start.
    func symbolize(pc: UInt, exact: UInt) -> BacktraceFrame? {
        if let (index, start) = tierUp?.function(containing: pc) {
            let functionName = module.names?.functionNames[index] ?? exportedFunctionNames[index]
            return BacktraceFrame(functionIndex: index, functionName: functionName,
                                  codeOffset: Int(exact &- start), moduleName: name)
        }
        guard let code, code.contains(pc) else { return nil }
        let offset = Int(pc - UInt(bitPattern: code.base))
        // Binary search: the last function starting at or before `offset`.
        var low = 0
        var high = functionsByOffset.count
        while low < high {
            let middle = (low + high) / 2
            if image.functionOffsets[functionsByOffset[middle]] <= offset { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let defined = functionsByOffset[low - 1]
        let start = image.functionOffsets[defined]
        guard offset < start + image.functionSizes[defined] else { return nil }
        let index = UInt32(module.importedFunctionCount + defined)
        let exactOffset = Int(exact &- UInt(bitPattern: code.base)) - start
        let functionName = module.names?.functionNames[index] ?? exportedFunctionNames[index]
        return BacktraceFrame(functionIndex: index, functionName: functionName,
                              codeOffset: exactOffset, moduleName: name)
    }
}
