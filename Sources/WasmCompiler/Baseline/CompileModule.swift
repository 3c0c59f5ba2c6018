import WasmFrontEnd

/// Validates `module` and compiles every defined function with the configured tier.
///
/// Module-level validation runs first (`ValidationContext(validating:)`); each body is then
/// validated in the same pass that compiles it, so an invalid module fails with the
/// validator's error (the same one `validateModule` reports). A valid module that exceeds an
/// implementation limit (frame size, huge indices) fails after validation with a
/// validation-phase error saying so. With the optimising tier, bodies beyond
/// `OptimizingCompilerLimits` are compiled by the baseline tier. `.tiered` compiles every
/// function with the baseline tier, instrumented for tier-up (`X64CodeGenerator+Tiering.swift`).
public func compileModule(_ module: Module, configuration: CompilerConfiguration = CompilerConfiguration())
    throws(WasmError) -> CompiledModule {
    let context = try ValidationContext(validating: module)
    guard module.functionBodies.count == module.functionTypeIndices.count else {
        throw .malformed("function and code section have inconsistent lengths", at: 0)
    }
    var generator = X64CodeGenerator(configuration: configuration, module: module, context: context)
    let stubs = X64Stubs.emit(into: &generator.assembler, trapSites: &generator.trapSites)
    for _ in module.functionBodies {
        generator.functionLabels.append(generator.assembler.newLabel())
    }
    if configuration.tier == .tiered { generator.tieringData = generator.assembler.newLabel() }
    var functions: [CompiledFunction] = []
    functions.reserveCapacity(module.functionBodies.count)
    let immutableGlobals = context.globals.map { !$0.isMutable }
    for (position, body) in module.functionBodies.enumerated() {
        while generator.assembler.offset % 16 != 0 { generator.assembler.int3() }
        let functionIndex = UInt32(truncatingIfNeeded: context.importedFunctionCount + position)
        if configuration.tier == .optimizing && OptimizingCompilerLimits.accepts(body) {
            functions.append(try generator.compileOptimized(body, functionIndex: functionIndex, immutableGlobals: immutableGlobals))
        } else {
            functions.append(try generator.compileFunction(body, functionIndex: functionIndex))
        }
    }
    if let error = generator.deferredError { throw error }
    var tieringDataOffset: UInt32?
    if let data = generator.tieringData {
        // The slots start on a page of their own: the runtime maps it writable, the code not.
        while generator.assembler.offset % VMTieringSlotLayout.pageAlignment != 0 { generator.assembler.int3() }
        tieringDataOffset = UInt32(generator.assembler.offset)
        generator.assembler.bind(data)
        for _ in 0..<(module.functionBodies.count * VMTieringSlotLayout.size) { generator.assembler.emit(0) }
    }
    guard generator.assembler.resolveFixups() else {
        throw .invalid("internal compiler error: unbound label", at: 0)
    }
    var trapSites = generator.trapSites
    trapSites.sort { $0.codeOffset < $1.codeOffset }
    var compiled = CompiledModule(code: generator.assembler.bytes, functions: functions, trapSites: trapSites, stubs: stubs,
                                  importedFunctionCount: context.importedFunctionCount)
    compiled.tieringDataOffset = tieringDataOffset
    compiled.baselineBodyOffsets = generator.baselineBodyOffsets
    return compiled
}
