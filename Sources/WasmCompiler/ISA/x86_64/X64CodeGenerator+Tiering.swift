import WasmFrontEnd

/// Tiered baseline code (`CompilerTier.tiered`): the entry redirect, the hotness counter and the
/// on-stack-replacement transfer (the contract is `VMTieringSlotLayout` and `VMBuiltin.tierUp`).
///
/// ```
/// entry:   jmp [rip + redirect]            ; the body below until optimised code replaces it
/// body:    prologue
///          sub qword [rip + counter], 1
///          jle  tierUp                     ; out of line: call the builtin, come back
/// loop:    sub qword [rip + counter], 1    ; at every loop header (everything is spilled)
///          jle  tierUpLoop                 ; out of line: builtin; if it returns an entry,
///                                          ; call it with rbp, return its results
/// ```
extension X64CodeGenerator {
    /// An out-of-line call of `VMBuiltin.tierUp`, emitted after the function's body.
    struct TierUpStub {
        var label: X64Label
        var resume: X64Label
        /// The loop instruction's offset, or nil at the function's entry.
        var loopOffset: UInt32?
    }

    /// The function's tiering slot, `field` bytes in (`VMTieringSlotLayout`).
    func tieringSlot(_ field: Int) -> X64Memory? {
        guard let data = tieringData else { return nil }
        let defined = Int(functionIndex) - context.importedFunctionCount
        return X64Memory(rip: data, displacement: Int32(defined * VMTieringSlotLayout.size + field))
    }

    /// The entry's indirect jump; returns the offset where the baseline body continues.
    mutating func emitTieringRedirect() -> Int? {
        guard let redirect = tieringSlot(VMTieringSlotLayout.redirect) else { return nil }
        assembler.jmp(redirect)
        return assembler.offset
    }

    /// Counts one entry or loop iteration; calls the builtin when the counter runs out. Every
    /// operand must be spilled (function entry, loop header).
    mutating func emitTierUpCheck(loopOffset: UInt32?) {
        guard let counter = tieringSlot(VMTieringSlotLayout.counter) else { return }
        let stub = TierUpStub(label: assembler.newLabel(), resume: assembler.newLabel(), loopOffset: loopOffset)
        assembler.alu(.sub, .bits64, counter, immediate: 1)
        assembler.jcc(.lessOrEqual, stub.label)
        assembler.bind(stub.resume)
        tierUpStubs.append(stub)
        if loopOffset != nil {
            // The transfer passes the frame pointer in slot 0 and reads the results back.
            maxOutgoingSlots = max(maxOutgoingSlots, 1, VMValueSlots.count(functionResults))
        }
    }

    mutating func emitTierUpStubs() {
        let defined = Int(functionIndex) - context.importedFunctionCount
        for stub in tierUpStubs {
            assembler.bind(stub.label)
            assembler.mov(.bits64, .rdi, Self.contextRegister)
            assembler.movImmediate(.bits32, .rsi, UInt64(defined))
            assembler.movImmediate(.bits32, .rdx, UInt64(stub.loopOffset ?? VMTieringSlotLayout.functionEntry))
            assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.builtins)))
            assembler.call(.at(.rax, Int32(8 * VMBuiltin.tierUp.rawValue)))
            if stub.loopOffset != nil {
                let stay = assembler.newLabel()
                assembler.test(.bits64, .rax, .rax)
                assembler.jcc(.equal, stay)
                // On-stack replacement: the entry reads this frame through rbp, runs the rest
                // of the function and leaves the results in our outgoing slots.
                assembler.mov(.bits64, .at(.rsp, 0), .rbp)
                assembler.call(.rax)
                for slot in 0..<VMValueSlots.count(functionResults) {
                    assembler.mov(.bits64, Self.scratch, .at(.rsp, Int32(8 * slot)))
                    assembler.mov(.bits64, .at(.rbp, Int32(16 + 8 * slot)), Self.scratch)
                }
                assembler.leave()
                assembler.ret()
                assembler.bind(stay)
            }
            reloadContext()
            assembler.jmp(stub.resume)
        }
        tierUpStubs.removeAll(keepingCapacity: true)
    }

    /// Where the baseline frame of the function being compiled keeps its locals and operand
    /// slots at a loop header: what an on-stack-replacement entry reads.
    func baselineFrameMap() -> BaselineFrameMap {
        var localOffsets: [Int32] = []
        for index in 0..<(parameterCount + declaredLocalCount) {
            localOffsets.append(localAddress(index).displacement)
        }
        return BaselineFrameMap(localOffsets: localOffsets, operandSlotOffset: slotAddress(0).displacement,
                                operandSlotStride: Int32(slotBytes))
    }
}

extension X64CodeGenerator {
    /// The request for an on-stack-replacement entry into the loop at `loopOffset`: the
    /// baseline frame of `body` as this generator lays it out.
    mutating func osrEntryRequest(_ body: FunctionBody, functionIndex: UInt32, loopOffset: UInt32) -> OSREntryRequest {
        compilingOSREntry = true
        let type = context.types[Int(context.functionTypeIndices[Int(functionIndex)])]
        var localCount = type.parameters.count
        for run in body.locals { localCount += Int(run.count) }
        prepareFrame(body, functionIndex: functionIndex, type: type, localCount: localCount)
        return OSREntryRequest(loopOffset: Int(loopOffset), frame: baselineFrameMap())
    }
}

/// The IR of the on-stack-replacement entry into the loop at `loopOffset` (a `loop`
/// instruction's byte offset) of defined function `definedIndex`, after `pipeline` (tools).
public func buildOSREntryIR(module: Module, context: ValidationContext, configuration: CompilerConfiguration,
                            definedIndex: Int, loopOffset: UInt32, pipeline: PassPipeline) throws(WasmError) -> IRFunction {
    guard definedIndex >= 0, definedIndex < module.functionBodies.count else {
        throw .invalid("no defined function \(definedIndex)", at: 0)
    }
    let body = module.functionBodies[definedIndex]
    let functionIndex = UInt32(context.importedFunctionCount + definedIndex)
    var generator = X64CodeGenerator(configuration: configuration, module: module, context: context)
    let osr = generator.osrEntryRequest(body, functionIndex: functionIndex, loopOffset: loopOffset)
    return try buildOptimizedIR(module: module, context: context, configuration: configuration, body: body,
                                functionIndex: functionIndex, pipeline: pipeline, osr: osr)
}

/// The frame layout of a baseline activation as an on-stack-replacement entry sees it:
/// byte offsets from the frame pointer it receives. ISA-neutral: each baseline tier describes
/// its own frame this way.
public struct BaselineFrameMap: Equatable, Sendable {
    /// Offset of each local (parameters first).
    public var localOffsets: [Int32]
    /// Offset of operand-stack position 0; position p is `operandSlotStride * p` below it.
    public var operandSlotOffset: Int32
    public var operandSlotStride: Int32

    public func operandSlot(_ position: Int) -> Int32 {
        operandSlotOffset - operandSlotStride * Int32(position)
    }
}

extension X64CodeGenerator {
    /// A call of defined function `callee` (arguments already in the outgoing slots).
    mutating func emitDefinedCall(_ callee: UInt32) throws(WasmError) {
        if callsThroughFunctionTable && (compilingOSREntry || callee != functionIndex) {
            // Same instance: the callee's `VMFuncRef.vmctx` is ours, r15 stays.
            let entry = try displacement(callee, scale: VMFuncRefLayout.size, plus: VMFuncRefLayout.code, at: 0)
            assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.functions)))
            assembler.call(.at(.rax, entry))
        } else {
            assembler.call(functionLabels[Int(callee) - context.importedFunctionCount])
        }
    }
}

/// Optimised code for one function, compiled after the module was loaded (tier-up): the
/// function itself, or an on-stack-replacement entry into one of its loops. Offsets are
/// relative to `code`; the entry is at offset 0.
public struct TierUpCode: Sendable {
    public var code: [UInt8]
    /// Sorted by offset.
    public var trapSites: [TrapSite]
}

/// Compiles defined function `definedIndex` of `module` with the optimising tier on its own.
/// With `osrLoopOffset` (a `loop` instruction's byte offset in the module), the result is an
/// on-stack-replacement entry for that loop (see `VMTieringSlotLayout`): `(i64 frame pointer)`
/// with the function's results. Throws for functions the optimising tier does not take
/// (`OptimizingCompilerLimits`) and loops that cannot be entered (unreachable code).
public func compileTierUp(module: Module, context: ValidationContext, configuration: CompilerConfiguration,
                          definedIndex: Int, osrLoopOffset: UInt32? = nil) throws(WasmError) -> TierUpCode {
    guard definedIndex >= 0, definedIndex < module.functionBodies.count else {
        throw .invalid("no defined function \(definedIndex)", at: 0)
    }
    let body = module.functionBodies[definedIndex]
    let functionIndex = UInt32(context.importedFunctionCount + definedIndex)
    var generator = X64CodeGenerator(configuration: configuration, module: module, context: context)
    guard OptimizingCompilerLimits.accepts(body) else {
        throw .invalid("the optimizing compiler does not take function \(functionIndex)", at: body.code.lowerBound,
                       function: functionIndex)
    }
    for _ in module.functionBodies { generator.functionLabels.append(generator.assembler.newLabel()) }
    generator.callsThroughFunctionTable = true
    let osr = osrLoopOffset.map { generator.osrEntryRequest(body, functionIndex: functionIndex, loopOffset: $0) }
    let pipeline = PassPipeline(verifyEachPass: configuration.verifyIR)
    let function = try buildOptimizedIR(module: module, context: context, configuration: configuration, body: body,
                                        functionIndex: functionIndex, pipeline: pipeline, osr: osr)
    let allocation = allocateRegisters(function, registers: X64CodeGenerator.optimizingRegisters)
    _ = try generator.lowerOptimized(function, allocation: allocation, bindFunctionLabel: osr == nil)
    if let error = generator.deferredError { throw error }
    guard generator.assembler.resolveFixups() else {
        throw .invalid("internal compiler error: unbound label", at: 0)
    }
    var trapSites = generator.trapSites
    trapSites.sort { $0.codeOffset < $1.codeOffset }
    return TierUpCode(code: generator.assembler.bytes, trapSites: trapSites)
}
