import WasmFrontEnd

/// What the optimising tier takes on. Its translation gives every loop header one parameter
/// per local, so a body with a huge number of locals would cost locals × loops; such bodies
/// (rare: generated code) stay with the baseline tier, which is linear in any case.
public enum OptimizingCompilerLimits {
    public static let maximumLocals = 2_000

    public static func accepts(_ body: FunctionBody) -> Bool {
        body.localCount <= maximumLocals
    }
}

/// The optimising tier for one function: wasm → IR → passes → register allocation →
/// lowering for the ISA.
public func buildOptimizedIR(module: Module, context: ValidationContext, configuration: CompilerConfiguration,
                             body: FunctionBody, functionIndex: UInt32,
                             pipeline: PassPipeline, immutableGlobals: [Bool]? = nil) throws(WasmError) -> IRFunction {
    try buildOptimizedIR(module: module, context: context, configuration: configuration, body: body,
                         functionIndex: functionIndex, pipeline: pipeline, immutableGlobals: immutableGlobals, osr: nil)
}

/// The same, or with `osr` the IR of an on-stack-replacement entry into one of its loops.
func buildOptimizedIR(module: Module, context: ValidationContext, configuration: CompilerConfiguration,
                      body: FunctionBody, functionIndex: UInt32, pipeline: PassPipeline, immutableGlobals: [Bool]? = nil,
                      osr: OSREntryRequest?) throws(WasmError) -> IRFunction {
    var function = try WasmToIRTranslator.translate(module: module, context: context, configuration: configuration,
                                                    body: body, functionIndex: functionIndex, osr: osr)
    do {
        // compileModule computes the table once per module; tools may leave it to us.
        try pipeline.run(&function, immutableGlobals: immutableGlobals ?? context.globals.map { !$0.isMutable })
    } catch {
        throw WasmError.invalid("internal compiler error: IR verification failed \(error.message)", at: body.code.lowerBound,
                                function: functionIndex)
    }
    return function
}

extension X64CodeGenerator {
    mutating func compileOptimized(_ body: FunctionBody, functionIndex: UInt32, immutableGlobals: [Bool]) throws(WasmError) -> CompiledFunction {
        let pipeline = PassPipeline(verifyEachPass: configuration.verifyIR)
        let function = try buildOptimizedIR(module: module, context: context, configuration: configuration,
                                            body: body, functionIndex: functionIndex, pipeline: pipeline,
                                            immutableGlobals: immutableGlobals)
        let allocation = allocateRegisters(function, registers: Self.optimizingRegisters)
        return try lowerOptimized(function, allocation: allocation)
    }
}
