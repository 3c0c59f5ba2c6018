import WasmCompiler
import WasmFrontEnd

// The one place that talks to the baseline compiler: converts its output into `CodeImage`s.

extension CodeImage {
    init(_ compiled: CompiledModule) {
        code = compiled.code
        functionOffsets = compiled.functions.map { Int($0.codeOffset) }
        functionSizes = compiled.functions.map { Int($0.codeSize) }
        trapSites = compiled.trapSites.map { TrapSite(offset: $0.codeOffset, kind: $0.kind) }
        entryTrampoline = Int(compiled.stubs.entryTrampoline)
        trapExit = Int(compiled.stubs.trapExit)
        hostCallStub = Int(compiled.stubs.hostCall)
        tieringDataOffset = compiled.tieringDataOffset.map { Int($0) }
        baselineBodyOffsets = compiled.baselineBodyOffsets.map { Int($0) }
    }
}

/// Validates and compiles the functions of a decoded module (the compiler validates each body
/// in the pass that compiles it).
func compileCode(module: Module, engine: Engine) throws(WasmError) -> CodeImage {
    CodeImage(try compileModule(module, configuration: engine.compilerConfiguration))
}

/// Compiles the shared stubs (entry trampoline, trap exit, host-call stub): every compiled
/// module carries them, so an empty module is enough.
func compileStubs(engine: Engine) throws(WasmError) -> CodeImage {
    CodeImage(try compileModule(Module(bytes: []), configuration: engine.compilerConfiguration))
}
