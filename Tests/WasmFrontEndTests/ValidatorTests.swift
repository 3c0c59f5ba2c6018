import Testing
@testable import WasmFrontEnd

// Unit tests of FunctionValidator and ValidationContext fed with Instruction values and
// hand-built Modules (independent of the decoder).

/// A module whose last defined function has type `params -> results`; `configure` adds
/// whatever else a test needs (it runs before the function is appended).
private func makeModule(
    params: [ValueType] = [], results: [ValueType] = [], locals: [LocalRun] = [],
    configure: (inout Module) -> Void = { _ in }
) -> (Module, UInt32) {
    var module = Module(bytes: [])
    configure(&module)
    module.types.append(FunctionType(parameters: params, results: results))
    module.functionTypeIndices.append(UInt32(module.types.count - 1))
    let localCount = locals.reduce(0) { $0 + Int($1.count) }
    module.functionBodies = module.functionTypeIndices.map { _ in
        FunctionBody(locals: [], localCount: 0, code: 0..<0)
    }
    module.functionBodies[module.functionBodies.count - 1] = FunctionBody(locals: locals, localCount: localCount, code: 0..<0)
    let index = UInt32(module.importedFunctionCount + module.functionTypeIndices.count - 1)
    return (module, index)
}

/// Runs `body` (which must include the final `end`) through a FunctionValidator; offsets
/// are the instruction positions. Returns the error, or nil if valid.
private func bodyError(
    _ body: [Instruction], params: [ValueType] = [], results: [ValueType] = [],
    locals: [LocalRun] = [], configure: (inout Module) -> Void = { _ in }
) -> WasmError? {
    let (module, index) = makeModule(params: params, results: results, locals: locals, configure: configure)
    do throws(WasmError) {
        let context = try ValidationContext(validating: module)
        var validator = try FunctionValidator(context: context, functionIndex: index,
                                              body: module.functionBodies[module.functionBodies.count - 1])
        for (offset, instruction) in body.enumerated() {
            try validator.validate(instruction, at: offset)
        }
        try validator.finish(at: body.count)
        return nil
    } catch {
        return error
    }
}

private func expectValid(
    _ body: [Instruction], params: [ValueType] = [], results: [ValueType] = [],
    locals: [LocalRun] = [], configure: (inout Module) -> Void = { _ in },
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = bodyError(body, params: params, results: results, locals: locals, configure: configure)
    #expect(error == nil, "unexpected error: \(error?.description ?? "")", sourceLocation: sourceLocation)
}

private func expectInvalid(
    _ message: String, at offset: Int? = nil, _ body: [Instruction], params: [ValueType] = [],
    results: [ValueType] = [], locals: [LocalRun] = [], configure: (inout Module) -> Void = { _ in },
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = bodyError(body, params: params, results: results, locals: locals, configure: configure)
    #expect(error?.message == message, "got \(error?.description ?? "no error")", sourceLocation: sourceLocation)
    if let offset {
        #expect(error?.offset == offset, sourceLocation: sourceLocation)
    }
}

private func moduleError(_ configure: (inout Module) -> Void) -> WasmError? {
    var module = Module(bytes: [])
    configure(&module)
    do throws(WasmError) {
        _ = try ValidationContext(validating: module)
        return nil
    } catch {
        return error
    }
}

private func constant(_ instructions: Instruction...) -> ConstantExpression {
    ConstantExpression(instructions: instructions + [.end], offset: 0)
}

// MARK: Operand stack basics

@Test func simpleArithmeticIsValid() {
    expectValid([.localGet(0), .i32Const(1), .numeric(.i32Add), .end], params: [.i32], results: [.i32])
}

@Test func operandTypeMismatchIsReportedWithOffsetAndFunction() {
    let error = bodyError([.i32Const(1), .i64Const(2), .numeric(.i32Add), .end], results: [.i32])
    #expect(error?.message == "type mismatch")
    #expect(error?.offset == 2)
    #expect(error?.functionIndex == 0)
    #expect(error?.phase == .validation)
}

@Test func stackUnderflowIsATypeMismatch() {
    expectInvalid("type mismatch", at: 0, [.numeric(.i32Eqz), .end])
    expectInvalid("type mismatch", at: 1, [.i32Const(0), .numeric(.i32Add), .end])
}

@Test func functionEndChecksResults() {
    expectInvalid("type mismatch", at: 0, [.end], results: [.i32])
    expectInvalid("type mismatch", at: 2, [.i32Const(0), .i32Const(0), .end], results: [.i32])
    expectInvalid("type mismatch", at: 1, [.i64Const(0), .end], results: [.i32])
    expectValid([.i32Const(1), .i64Const(2), .end], results: [.i32, .i64])
}

// MARK: Polymorphic stack

@Test func unreachableMakesTheStackPolymorphic() {
    expectValid([.unreachable, .numeric(.i32Add), .end], results: [.i32])
    expectValid([.unreachable, .end], results: [.i32, .f64])
    expectValid([.unreachable, .drop, .drop, .end])
    expectValid([.i32Const(0), .return, .i64Const(0), .numeric(.i64Eqz), .end], results: [.i32])
    expectValid([.return, .end])
    expectValid([.f32Const(bits: 0), .br(depth: 0), .numeric(.f32Neg), .end], results: [.f32])
    expectInvalid("type mismatch", at: 0, [.br(depth: 0), .numeric(.f32Neg), .end], results: [.f32])
}

@Test func knownOperandsAreStillCheckedInUnreachableCode() {
    expectInvalid("type mismatch", at: 2, [.unreachable, .i64Const(0), .numeric(.i32Add), .end])
    expectInvalid("type mismatch", at: 2, [.unreachable, .i64Const(0), .end], results: [.i32])
    // Too many values at the end are an error even in dead code.
    expectInvalid("type mismatch", at: 3, [.unreachable, .i32Const(0), .i32Const(0), .end], results: [.i32])
}

@Test func unknownOperandsFlowThroughOperations() {
    // The unknown result of i32.add is i32; using it as i64 fails.
    expectInvalid("type mismatch", at: 2, [.unreachable, .numeric(.i32Add), .numeric(.i64Eqz), .end])
    expectValid([.unreachable, .select, .numeric(.i32Eqz), .end], results: [.i32])
}

@Test func unreachabilityIsScopedToTheFrame() {
    // The block's end restores reachability; the outer frame is still checked.
    expectInvalid("type mismatch", at: 3,
                  [.block(.empty), .unreachable, .end, .numeric(.i32Eqz), .drop, .end])
    expectValid([.block(.value(.i32)), .unreachable, .end, .end], results: [.i32])
    // Dead code cannot pop below the block's base.
    expectInvalid("type mismatch", at: 2,
                  [.i32Const(1), .block(.empty), .drop, .end, .drop, .end])
}

@Test func compilerViewOfTheStack() throws {
    let (module, index) = makeModule(params: [.i64], results: [.i32], locals: [LocalRun(count: 2, type: .f32)])
    let context = try ValidationContext(validating: module)
    var validator = try FunctionValidator(context: context, functionIndex: index, body: module.functionBodies[0])
    #expect(validator.localCount == 3)
    #expect(validator.localType(0) == .i64)
    #expect(validator.localType(2) == .f32)
    #expect(validator.localType(3) == nil)
    #expect(validator.controlDepth == 1)
    #expect(Array(validator.labelTypes(depth: 0) ?? .empty) == [.i32])
    #expect(validator.labelTypes(depth: 1) == nil)
    try validator.validate(.i32Const(7), at: 0)
    try validator.validate(.block(.value(.f64)), at: 1)
    #expect(validator.controlDepth == 2)
    #expect(validator.operandCount == 1)
    #expect(validator.operandType(fromTop: 0) == nil)  // below the block's base
    #expect(Array(validator.blockResultTypes) == [.f64])
    #expect(validator.frame(depth: 0)?.kind == .block)
    #expect(validator.frame(depth: 0)?.height == 1)
    try validator.validate(.f64Const(bits: 0), at: 2)
    #expect(validator.operandType(fromTop: 0) == .f64)
    try validator.validate(.br(depth: 0), at: 3)
    #expect(validator.isUnreachable)
    #expect(validator.operandCount == 1)
    try validator.validate(.end, at: 4)
    #expect(!validator.isUnreachable)
    #expect(validator.operandType(fromTop: 0) == .f64)
    #expect(validator.operandType(fromTop: 1) == .i32)
    try validator.validate(.drop, at: 5)
    try validator.validate(.end, at: 6)
    #expect(validator.isFinished)
    try validator.finish(at: 7)
}

// MARK: Blocks, multi-value

@Test func blockWithTypeIndexTakesParameters() {
    let configure: (inout Module) -> Void = { module in
        module.types.append(FunctionType(parameters: [.i32, .i64], results: [.i64, .i32]))
    }
    // type 0 = [i32 i64] -> [i64 i32]; the function under test is type 1.
    expectValid([.i32Const(1), .i64Const(2), .block(.typeIndex(0)), .i64Const(0), .numeric(.i64Add), .drop, .drop,
                 .i64Const(0), .i32Const(3), .end, .drop, .drop, .end], configure: configure)
    expectInvalid("type mismatch", at: 2, [.i64Const(2), .i32Const(1), .block(.typeIndex(0)), .end],
                  configure: configure)
    expectInvalid("unknown type 9", at: 0, [.block(.typeIndex(9)), .end])
    // The parameters are the only operands visible inside.
    expectInvalid("type mismatch", at: 6,
                  [.i32Const(0), .i32Const(1), .i64Const(2), .block(.typeIndex(0)), .drop, .drop, .drop, .end],
                  configure: configure)
}

@Test func loopLabelsCarryParameters() {
    let configure: (inout Module) -> Void = { module in
        module.types.append(FunctionType(parameters: [.i32], results: [.f32]))
    }
    // A branch to a loop takes its parameters (i32), not its results (f32).
    expectValid([.i32Const(1), .loop(.typeIndex(0)), .br(depth: 0), .end, .drop, .end], configure: configure)
    expectInvalid("type mismatch", at: 3,
                  [.i32Const(1), .loop(.typeIndex(0)), .f32Const(bits: 0), .br(depth: 0), .end, .drop, .end],
                  configure: configure)
}

@Test func ifElseWithParameters() {
    let configure: (inout Module) -> Void = { module in
        module.types.append(FunctionType(parameters: [.i32], results: [.i32]))
        module.types.append(FunctionType(parameters: [.i32], results: [.i64]))
    }
    expectValid([.i32Const(5), .i32Const(1), .if(.typeIndex(0)), .i32Const(1), .numeric(.i32Add), .else,
                 .i32Const(2), .numeric(.i32Mul), .end, .drop, .end], configure: configure)
    // Without else, [i32] -> [i32] passes through.
    expectValid([.i32Const(5), .i32Const(1), .if(.typeIndex(0)), .end, .drop, .end], configure: configure)
    // Without else, [i32] -> [i64] cannot.
    expectInvalid("type mismatch", at: 4, [.i32Const(5), .i32Const(1), .if(.typeIndex(1)), .numeric(.i64ExtendI32U), .end, .drop, .end],
                  configure: configure)
    // One-armed if with a result is invalid.
    expectInvalid("type mismatch", at: 3, [.i32Const(1), .if(.value(.i32)), .i32Const(1), .end, .drop, .end])
    // The else arm starts from the parameters again.
    expectInvalid("type mismatch", at: 4, [.i32Const(1), .if(.value(.i32)), .i32Const(1), .else, .drop, .end, .drop, .end])
    // The condition must be i32.
    expectInvalid("type mismatch", at: 1, [.i64Const(1), .if(.empty), .end, .end])
    // The then arm's results are checked at else.
    expectInvalid("type mismatch", at: 2, [.i32Const(1), .if(.value(.i32)), .else, .i32Const(0), .end, .drop, .end])
}

@Test func structuralErrorsAreDecodingErrors() {
    let strayElse = bodyError([.else, .end])
    #expect(strayElse?.message == "END opcode expected")
    #expect(strayElse?.phase == .decoding)
    let missingEnd = bodyError([.block(.empty), .end])
    #expect(missingEnd?.message == "END opcode expected")
    #expect(missingEnd?.offset == 2)
    let trailing = bodyError([.end, .nop])
    #expect(trailing?.message == "section size mismatch")
    #expect(trailing?.phase == .decoding)
}

@Test func nestingDepthIsLimited() {
    let depth = FunctionValidator.maximumControlDepth
    let ok = [Instruction](repeating: .block(.empty), count: depth - 1) + [Instruction](repeating: .end, count: depth)
    expectValid(ok)
    let deep = [Instruction](repeating: .block(.empty), count: depth) + [Instruction](repeating: .end, count: depth + 1)
    expectInvalid("control nesting too deep (limit 10000)", at: depth - 1, deep)
}

// MARK: Branches

@Test func branchesCheckLabels() {
    expectInvalid("unknown label", at: 0, [.br(depth: 1), .end])
    expectInvalid("unknown label", at: 1, [.i32Const(0), .brIf(depth: 5), .end])
    expectValid([.block(.value(.i32)), .i32Const(1), .i32Const(0), .brIf(depth: 0), .end, .drop, .end])
    expectInvalid("type mismatch", at: 2, [.block(.value(.i32)), .i32Const(0), .brIf(depth: 0), .end, .drop, .end])
    expectValid([.i32Const(3), .br(depth: 0), .end], results: [.i32])
    expectInvalid("type mismatch", at: 1, [.i64Const(3), .br(depth: 0), .end], results: [.i32])
}

@Test func brTableArityAndTypes() {
    // All targets must have the same arity as the default.
    expectInvalid("type mismatch", at: 3,
                  [.block(.value(.i32)), .block(.empty), .i32Const(0),
                   .brTable(BranchTable(targets: [0], defaultTarget: 1)), .end, .end, .drop, .end])
    // Same arity, different types: invalid when the operand is known…
    expectInvalid("type mismatch", at: 4,
                  [.block(.value(.i32)), .block(.value(.f32)), .i32Const(0), .i32Const(0),
                   .brTable(BranchTable(targets: [0], defaultTarget: 1)), .end, .drop, .end, .drop, .end])
    // …and valid in unreachable code where it is unknown (2.0 rule).
    expectValid([.block(.value(.i32)), .block(.value(.f32)), .unreachable, .i32Const(0),
                 .brTable(BranchTable(targets: [0], defaultTarget: 1)), .end, .drop, .i32Const(0), .end, .drop, .end])
    expectValid([.block(.empty), .i32Const(0), .brTable(BranchTable(targets: [0, 1], defaultTarget: 0)), .end, .end])
    expectInvalid("unknown label", at: 2,
                  [.block(.empty), .i32Const(0), .brTable(BranchTable(targets: [2], defaultTarget: 0)), .end, .end])
    expectInvalid("type mismatch", at: 1, [.i64Const(0), .brTable(BranchTable(targets: [], defaultTarget: 0)), .end])
}

@Test func brTableWithMultiValueLabels() {
    // type 0 = [i32 i64] -> [i64 i32]: a loop's label is [i32 i64], a block's [i64 i32].
    let configure: (inout Module) -> Void = { module in
        module.types.append(FunctionType(parameters: [.i32, .i64], results: [.i64, .i32]))
    }
    expectValid([.i32Const(1), .i64Const(2), .block(.typeIndex(0)), .loop(.typeIndex(0)), .i32Const(0),
                 .brTable(BranchTable(targets: [0, 0, 0], defaultTarget: 0)), .end, .end, .drop, .drop, .end],
                configure: configure)
    // The same type index as a loop and as a block label must be checked separately.
    expectInvalid("type mismatch", at: 5,
                  [.i32Const(1), .i64Const(2), .block(.typeIndex(0)), .loop(.typeIndex(0)), .i32Const(0),
                   .brTable(BranchTable(targets: [0, 1, 0, 1], defaultTarget: 0)), .end, .end, .drop, .drop, .end],
                  configure: configure)
    // What one br_table checked is forgotten before the next one.
    expectInvalid("type mismatch", at: 11,
                  [.i32Const(1), .i64Const(2), .block(.typeIndex(0)), .loop(.typeIndex(0)), .block(.empty),
                   .i64Const(0), .i32Const(0), .i32Const(0),
                   .brTable(BranchTable(targets: [2], defaultTarget: 2)), .end,
                   .i32Const(0), .brTable(BranchTable(targets: [1], defaultTarget: 0)),
                   .end, .end, .drop, .drop, .end],
                  configure: configure)
}

@Test func returnChecksFunctionResults() {
    expectValid([.block(.empty), .f64Const(bits: 0), .return, .end, .f64Const(bits: 0), .end], results: [.f64])
    expectInvalid("type mismatch", at: 2, [.block(.empty), .f32Const(bits: 0), .return, .end, .unreachable, .end], results: [.f64])
}

// MARK: Calls

@Test func callsCheckArgumentsAndIndices() {
    let configure: (inout Module) -> Void = { module in
        module.types.append(FunctionType(parameters: [.i32, .f32], results: [.i64]))
        module.imports.append(Import(module: "m", name: "f", descriptor: .function(typeIndex: 0)))
    }
    expectValid([.i32Const(0), .f32Const(bits: 0), .call(function: 0), .end], results: [.i64], configure: configure)
    expectInvalid("type mismatch", at: 2, [.f32Const(bits: 0), .i32Const(0), .call(function: 0), .end], results: [.i64],
                  configure: configure)
    expectInvalid("unknown function 7", at: 0, [.call(function: 7), .end], configure: configure)
    let withTable: (inout Module) -> Void = { module in
        configure(&module)
        module.tables.append(TableType(elementType: .funcref, limits: Limits(min: 1)))
        module.tables.append(TableType(elementType: .externref, limits: Limits(min: 1)))
    }
    expectValid([.i32Const(0), .f32Const(bits: 0), .i32Const(0), .callIndirect(typeIndex: 0, table: 0), .end],
                results: [.i64], configure: withTable)
    expectInvalid("type mismatch", at: 3,
                  [.i32Const(0), .f32Const(bits: 0), .i32Const(0), .callIndirect(typeIndex: 0, table: 1), .end],
                  results: [.i64], configure: withTable)
    expectInvalid("unknown table 0", at: 1, [.i32Const(0), .callIndirect(typeIndex: 0, table: 0), .end], configure: configure)
    expectInvalid("unknown type 5", at: 1, [.i32Const(0), .callIndirect(typeIndex: 5, table: 0), .end], configure: withTable)
}

// MARK: Parametric

@Test func untypedSelectRules() {
    expectValid([.i32Const(1), .i32Const(2), .i32Const(0), .select, .end], results: [.i32])
    expectValid([.v128Const(V128(low: 0, high: 0)), .v128Const(V128(low: 0, high: 0)), .i32Const(0), .select, .drop, .end])
    expectInvalid("type mismatch", at: 3, [.i32Const(1), .i64Const(2), .i32Const(0), .select, .drop, .end])
    expectInvalid("type mismatch", at: 3,
                  [.refNull(.funcref), .refNull(.funcref), .i32Const(0), .select, .drop, .end])
    // One unknown operand: the result takes the known one's type.
    expectValid([.unreachable, .f32Const(bits: 0), .i32Const(0), .select, .numeric(.f32Neg), .drop, .end])
    // Even in unreachable code a known reference is rejected.
    expectInvalid("type mismatch", at: 3, [.unreachable, .refNull(.externref), .i32Const(0), .select, .drop, .end])
    expectInvalid("type mismatch", at: 3, [.i32Const(1), .i32Const(2), .i64Const(0), .select, .drop, .end])
}

@Test func typedSelectAcceptsReferences() {
    expectValid([.refNull(.externref), .refNull(.externref), .i32Const(0), .typedSelect(.externref), .drop, .end])
    expectInvalid("type mismatch", at: 3,
                  [.refNull(.funcref), .refNull(.externref), .i32Const(0), .typedSelect(.externref), .drop, .end])
    expectValid([.unreachable, .typedSelect(.i64), .numeric(.i64Eqz), .drop, .end])
}

@Test func dropNeedsAnOperand() {
    expectInvalid("type mismatch", at: 0, [.drop, .end])
}

// MARK: Variables

@Test func localsAndTheirErrors() {
    let locals = [LocalRun(count: 2, type: .i64), LocalRun(count: 1, type: .externref)]
    expectValid([.localGet(0), .localSet(2), .localGet(1), .localTee(2), .drop, .refNull(.externref), .localSet(3), .end],
                params: [.i64], locals: locals)
    expectInvalid("unknown local 4", at: 0, [.localGet(4), .drop, .end], params: [.i64], locals: locals)
    expectInvalid("type mismatch", at: 1, [.i32Const(0), .localSet(0), .end], params: [.i64])
    expectInvalid("unknown local 0", at: 1, [.i32Const(0), .localTee(0), .drop, .end])
}

@Test func globalsAndMutability() {
    let configure: (inout Module) -> Void = { module in
        module.globals.append(Global(type: GlobalType(valueType: .i32, isMutable: false), initializer: constant(.i32Const(0))))
        module.globals.append(Global(type: GlobalType(valueType: .f64, isMutable: true), initializer: constant(.f64Const(bits: 0))))
    }
    expectValid([.globalGet(0), .drop, .f64Const(bits: 0), .globalSet(1), .end], configure: configure)
    expectInvalid("global is immutable", at: 1, [.i32Const(0), .globalSet(0), .end], configure: configure)
    expectInvalid("unknown global 2", at: 0, [.globalGet(2), .drop, .end], configure: configure)
    expectInvalid("type mismatch", at: 1, [.i32Const(0), .globalSet(1), .end], configure: configure)
}

// MARK: Memory

private func oneMemory(_ module: inout Module) {
    module.memories.append(MemoryType(limits: Limits(min: 1)))
    module.dataCount = 1
    module.data.append(DataSegment(mode: .passive, range: 0..<0))
}

@Test func loadsAndStores() {
    expectValid([.i32Const(0), .load(.i64Load32U, MemoryArgument(align: 2, offset: 8)), .drop, .end], configure: oneMemory)
    expectValid([.i32Const(0), .f64Const(bits: 0), .store(.f64Store, MemoryArgument(align: 3, offset: 0)), .end],
                configure: oneMemory)
    expectInvalid("alignment must not be larger than natural", at: 1,
                  [.i32Const(0), .load(.i32Load16S, MemoryArgument(align: 2, offset: 0)), .drop, .end], configure: oneMemory)
    expectInvalid("alignment must not be larger than natural", at: 2,
                  [.i32Const(0), .i64Const(0), .store(.i64Store, MemoryArgument(align: 0xFFFF_FFFF, offset: 0)), .end],
                  configure: oneMemory)
    expectInvalid("unknown memory 0", at: 1, [.i32Const(0), .load(.i32Load, MemoryArgument(align: 2, offset: 0)), .drop, .end])
    expectInvalid("type mismatch", at: 2,
                  [.i32Const(0), .i32Const(0), .store(.i64Store8, MemoryArgument(align: 0, offset: 0)), .end],
                  configure: oneMemory)
}

@Test func memoryInstructions() {
    expectValid([.memorySize(memory: 0), .memoryGrow(memory: 0), .drop, .end], configure: oneMemory)
    expectInvalid("unknown memory 0", at: 0, [.memorySize(memory: 0), .drop, .end])
    expectValid([.i32Const(0), .i32Const(0), .i32Const(0), .memoryInit(data: 0, memory: 0), .dataDrop(data: 0),
                 .i32Const(0), .i32Const(0), .i32Const(0), .memoryCopy(destination: 0, source: 0),
                 .i32Const(0), .i32Const(0), .i32Const(0), .memoryFill(memory: 0), .end], configure: oneMemory)
    expectInvalid("unknown data segment 1", at: 0, [.dataDrop(data: 1), .end], configure: oneMemory)
    expectInvalid("unknown memory 0", at: 3,
                  [.i32Const(0), .i32Const(0), .i32Const(0), .memoryInit(data: 5, memory: 0), .end])
    expectInvalid("type mismatch", at: 3,
                  [.i32Const(0), .i64Const(0), .i32Const(0), .memoryFill(memory: 0), .end], configure: oneMemory)
}

// MARK: Tables and references

private func tables(_ module: inout Module) {
    module.tables.append(TableType(elementType: .funcref, limits: Limits(min: 1)))
    module.tables.append(TableType(elementType: .externref, limits: Limits(min: 1)))
    module.elements.append(ElementSegment(type: .externref, items: .expressions([]), mode: .passive, offset: 0))
}

@Test func tableInstructions() {
    expectValid([.i32Const(0), .tableGet(table: 1), .drop,
                 .i32Const(0), .refNull(.funcref), .tableSet(table: 0),
                 .refNull(.externref), .i32Const(3), .tableGrow(table: 1), .drop,
                 .tableSize(table: 0), .drop,
                 .i32Const(0), .refNull(.externref), .i32Const(1), .tableFill(table: 1),
                 .i32Const(0), .i32Const(0), .i32Const(0), .tableInit(element: 0, table: 1), .elemDrop(element: 0),
                 .i32Const(0), .i32Const(0), .i32Const(0), .tableCopy(destination: 1, source: 1), .end], configure: tables)
    expectInvalid("type mismatch", at: 3,
                  [.i32Const(0), .i32Const(0), .i32Const(0), .tableInit(element: 0, table: 0), .end], configure: tables)
    expectInvalid("type mismatch", at: 3,
                  [.i32Const(0), .i32Const(0), .i32Const(0), .tableCopy(destination: 0, source: 1), .end], configure: tables)
    expectInvalid("unknown elem segment 1", at: 0, [.elemDrop(element: 1), .end], configure: tables)
    expectInvalid("unknown table 2", at: 0, [.tableSize(table: 2), .drop, .end], configure: tables)
    expectInvalid("type mismatch", at: 2, [.i32Const(0), .refNull(.funcref), .tableSet(table: 1), .end], configure: tables)
}

@Test func referenceInstructions() {
    expectValid([.refNull(.funcref), .refIsNull, .drop, .end])
    expectInvalid("type mismatch", at: 1, [.i32Const(0), .refIsNull, .drop, .end])
    expectValid([.unreachable, .refIsNull, .drop, .end])
}

@Test func refFuncRequiresADeclaration() {
    expectInvalid("undeclared function reference", at: 0, [.refFunc(function: 0), .drop, .end])
    expectInvalid("unknown function 3", at: 0, [.refFunc(function: 3), .drop, .end])
    // Declared by an export…
    expectValid([.refFunc(function: 0), .drop, .end]) { module in
        module.exports.append(Export(name: "f", kind: .function, index: 0))
    }
    // …by an element segment (even a declarative one)…
    expectValid([.refFunc(function: 0), .drop, .end]) { module in
        module.elements.append(ElementSegment(type: .funcref, items: .functionIndices([0]), mode: .declarative, offset: 0))
    }
    // …or by a global initialiser.
    expectValid([.refFunc(function: 0), .drop, .end]) { module in
        module.globals.append(Global(type: GlobalType(valueType: .funcref, isMutable: false),
                                     initializer: constant(.refFunc(function: 0))))
    }
    // The start function does not declare.
    expectInvalid("undeclared function reference", at: 0, [.refFunc(function: 0), .drop, .end]) { module in
        module.start = 0
    }
}

// MARK: Module level

@Test func limitsAndMemories() {
    #expect(moduleError { $0.memories = [MemoryType(limits: Limits(min: 65537))] }?.message
        == "memory size must be at most 65536 pages (4GiB)")
    #expect(moduleError { $0.memories = [MemoryType(limits: Limits(min: 0, max: 65537))] }?.message
        == "memory size must be at most 65536 pages (4GiB)")
    #expect(moduleError { $0.memories = [MemoryType(limits: Limits(min: 2, max: 1))] }?.message
        == "size minimum must not be greater than maximum")
    #expect(moduleError { $0.tables = [TableType(elementType: .funcref, limits: Limits(min: 2, max: 1))] }?.message
        == "size minimum must not be greater than maximum")
    #expect(moduleError { $0.tables = [TableType(elementType: .funcref, limits: Limits(min: 1 << 32))] }?.message
        == "table size must be at most 2^32-1")
    #expect(moduleError { $0.memories = [MemoryType(limits: Limits(min: 1), isShared: true)] }?.message
        == "shared memories are not supported")
    #expect(moduleError { module in
        module.imports = [Import(module: "m", name: "mem", descriptor: .memory(MemoryType(limits: Limits(min: 0))))]
        module.memories = [MemoryType(limits: Limits(min: 0))]
    }?.message == "multiple memories")
    #expect(moduleError { $0.memories = [MemoryType(limits: Limits(min: 65536, max: 65536))] } == nil)
}

@Test func typeIndicesOfFunctionsAndImports() {
    #expect(moduleError { $0.functionTypeIndices = [0] }?.message == "unknown type 0")
    #expect(moduleError { $0.imports = [Import(module: "m", name: "f", descriptor: .function(typeIndex: 1))] }?.message
        == "unknown type 1")
}

@Test func globalInitializers() {
    let importedConst = Import(module: "m", name: "g", descriptor: .global(GlobalType(valueType: .i32, isMutable: false)))
    let importedMutable = Import(module: "m", name: "g", descriptor: .global(GlobalType(valueType: .i32, isMutable: true)))
    let i32Global = GlobalType(valueType: .i32, isMutable: false)
    #expect(moduleError { $0.globals = [Global(type: i32Global, initializer: constant(.i32Const(1)))] } == nil)
    #expect(moduleError { module in
        module.imports = [importedConst]
        module.globals = [Global(type: i32Global, initializer: constant(.globalGet(0)))]
    } == nil)
    #expect(moduleError { module in
        module.imports = [importedMutable]
        module.globals = [Global(type: i32Global, initializer: constant(.globalGet(0)))]
    }?.message == "constant expression required")
    #expect(moduleError { module in
        module.globals = [Global(type: i32Global, initializer: constant(.i32Const(0))),
                          Global(type: i32Global, initializer: constant(.globalGet(0)))]
    }?.message == "unknown global 0")
    #expect(moduleError { $0.globals = [Global(type: i32Global, initializer: constant(.i32Const(0), .numeric(.i32Eqz)))] }?.message
        == "constant expression required")
    #expect(moduleError { $0.globals = [Global(type: i32Global, initializer: constant(.nop))] }?.message
        == "constant expression required")
    #expect(moduleError { $0.globals = [Global(type: i32Global, initializer: constant(.i64Const(0)))] }?.message
        == "type mismatch")
    #expect(moduleError { $0.globals = [Global(type: i32Global, initializer: constant())] }?.message == "type mismatch")
    #expect(moduleError { $0.globals = [Global(type: i32Global, initializer: constant(.i32Const(0), .i32Const(0)))] }?.message
        == "type mismatch")
    #expect(moduleError { module in
        module.globals = [Global(type: GlobalType(valueType: .funcref, isMutable: false), initializer: constant(.refFunc(function: 0)))]
    }?.message == "unknown function 0")
}

@Test func elementSegments() {
    let funcTable = TableType(elementType: .funcref, limits: Limits(min: 1))
    let function: (inout Module) -> Void = { module in
        module.types = [FunctionType(parameters: [], results: [])]
        module.functionTypeIndices = [0]
    }
    #expect(moduleError { module in
        function(&module)
        module.elements = [ElementSegment(type: .funcref, items: .functionIndices([0]),
                                          mode: .active(table: 0, offset: constant(.i32Const(0))), offset: 0)]
    }?.message == "unknown table 0")
    #expect(moduleError { module in
        function(&module)
        module.tables = [funcTable]
        module.elements = [ElementSegment(type: .funcref, items: .functionIndices([1]), mode: .passive, offset: 0)]
    }?.message == "unknown function 1")
    #expect(moduleError { module in
        function(&module)
        module.tables = [funcTable]
        module.elements = [ElementSegment(type: .externref, items: .expressions([constant(.refNull(.externref))]),
                                          mode: .active(table: 0, offset: constant(.i32Const(0))), offset: 0)]
    }?.message == "type mismatch")
    #expect(moduleError { module in
        function(&module)
        module.tables = [funcTable]
        module.elements = [ElementSegment(type: .funcref, items: .expressions([constant(.refNull(.externref))]),
                                          mode: .passive, offset: 0)]
    }?.message == "type mismatch")
    #expect(moduleError { module in
        function(&module)
        module.tables = [funcTable]
        module.elements = [ElementSegment(type: .funcref, items: .expressions([constant(.refFunc(function: 0))]),
                                          mode: .active(table: 0, offset: constant(.i64Const(0))), offset: 0)]
    }?.message == "type mismatch")
    #expect(moduleError { module in
        function(&module)
        module.tables = [funcTable]
        module.elements = [ElementSegment(type: .funcref, items: .expressions([constant(.call(function: 0))]),
                                          mode: .passive, offset: 0)]
    }?.message == "constant expression required")
}

@Test func dataSegments() {
    #expect(moduleError { $0.data = [DataSegment(mode: .active(memory: 0, offset: constant(.i32Const(0))), range: 0..<0)] }?.message
        == "unknown memory 0")
    #expect(moduleError { module in
        module.memories = [MemoryType(limits: Limits(min: 1))]
        module.data = [DataSegment(mode: .active(memory: 0, offset: constant(.f32Const(bits: 0))), range: 0..<0)]
    }?.message == "type mismatch")
}

@Test func startFunction() {
    #expect(moduleError { $0.start = 0 }?.message == "unknown function 0")
    #expect(moduleError { module in
        module.types = [FunctionType(parameters: [.i32], results: [])]
        module.functionTypeIndices = [0]
        module.start = 0
    }?.message == "start function must have type [] -> []")
}

@Test func exports() {
    #expect(moduleError { $0.exports = [Export(name: "a", kind: .function, index: 0)] }?.message == "unknown function 0")
    #expect(moduleError { $0.exports = [Export(name: "a", kind: .table, index: 0)] }?.message == "unknown table 0")
    #expect(moduleError { $0.exports = [Export(name: "a", kind: .memory, index: 0)] }?.message == "unknown memory 0")
    #expect(moduleError { $0.exports = [Export(name: "a", kind: .global, index: 1)] }?.message == "unknown global 1")
    #expect(moduleError { module in
        module.memories = [MemoryType(limits: Limits(min: 0))]
        module.exports = [Export(name: "a", kind: .memory, index: 0), Export(name: "b", kind: .memory, index: 0),
                          Export(name: "a", kind: .memory, index: 0)]
    }?.message == "duplicate export name")
    #expect(moduleError { module in
        module.memories = [MemoryType(limits: Limits(min: 0))]
        // Distinct byte sequences even if canonically equivalent in Unicode.
        module.exports = [Export(name: "\u{E9}", kind: .memory, index: 0), Export(name: "e\u{301}", kind: .memory, index: 0)]
    } == nil)
}

// MARK: SIMD integration and whole-module checks

@Test func simdInstructionsUseTheirTypingAndTheMemoryIndex() {
    let vector = Instruction.v128Const(V128(low: 0, high: 0))
    expectValid([vector, .simdLane(.i8x16ExtractLaneS, lane: 15), .end], results: [.i32])
    let badLane = bodyError([vector, .simdLane(.i8x16ExtractLaneS, lane: 16), .drop, .end])
    #expect(badLane?.message == "invalid lane index")
    #expect(badLane?.functionIndex == 0)
    #expect(badLane?.offset == 1)
    expectInvalid("type mismatch", at: 1, [.i32Const(0), .simdLane(.i8x16ExtractLaneS, lane: 0), .drop, .end])
    expectInvalid("unknown memory 0", at: 1,
                  [.i32Const(0), .simdLoad(.v128Load, MemoryArgument(align: 4, offset: 0)), .drop, .end])
    expectValid([.i32Const(0), .simdLoad(.v128Load, MemoryArgument(align: 4, offset: 0)), .drop, .end],
                configure: oneMemory)
}

@Test func localCountsBeyondTheIndexSpaceAreRejected() {
    let error = bodyError([.end], locals: [LocalRun(count: UInt32.max, type: .i32)])
    #expect(error?.message == "too many locals")
    #expect(error?.phase == .decoding)
}

@Test func validateModuleChecksBodyCount() {
    var module = Module(bytes: [])
    module.types = [FunctionType(parameters: [], results: [])]
    module.functionTypeIndices = [0]
    do throws(WasmError) {
        try validateModule(module)
        Issue.record("expected an error")
    } catch {
        #expect(error.message == "function and code section have inconsistent lengths")
    }
}

// MARK: Robustness

/// Random instruction streams with random (often out-of-range) immediates must only ever
/// produce errors, never traps.
@Test func randomInstructionStreamsNeverTrap() {
    var generator = SystemRandomNumberGenerator()
    func index() -> UInt32 { [0, 1, 2, 3, 100, UInt32.max].randomElement(using: &generator)! }
    func valueType() -> ValueType { [.i32, .i64, .f32, .f64, .v128, .funcref, .externref].randomElement(using: &generator)! }
    func blockType() -> BlockType { [.empty, .value(valueType()), .typeIndex(index())].randomElement(using: &generator)! }
    func argument() -> MemoryArgument { MemoryArgument(align: index(), offset: 0, memory: index() % 2) }
    func instruction() -> Instruction {
        let all: [Instruction] = [
            .unreachable, .nop, .block(blockType()), .loop(blockType()), .if(blockType()), .else, .end, .end, .end,
            .br(depth: index()), .brIf(depth: index()),
            .brTable(BranchTable(targets: [index(), index(), index()], defaultTarget: index())), .return,
            .call(function: index()), .callIndirect(typeIndex: index(), table: index()),
            .refNull(.funcref), .refIsNull, .refFunc(function: index()), .drop, .select, .typedSelect(valueType()),
            .localGet(index()), .localSet(index()), .localTee(index()), .globalGet(index()), .globalSet(index()),
            .tableGet(table: index()), .tableSet(table: index()), .tableInit(element: index(), table: index()),
            .elemDrop(element: index()), .tableCopy(destination: index(), source: index()),
            .tableGrow(table: index()), .tableSize(table: index()), .tableFill(table: index()),
            .load(.i64Load, argument()), .store(.i32Store8, argument()), .memorySize(memory: index()),
            .memoryGrow(memory: index()), .memoryInit(data: index(), memory: index()), .dataDrop(data: index()),
            .memoryCopy(destination: index(), source: index()), .memoryFill(memory: index()),
            .i32Const(0), .i64Const(0), .f32Const(bits: 0), .f64Const(bits: 0),
            .numeric(NumericOperation.allCases.randomElement(using: &generator)!),
            .v128Const(V128(low: 0, high: 0)), .simdLane(.i8x16ExtractLaneS, lane: UInt8(index() % 20)),
            .simdLoad(.v128Load, argument()),
        ]
        return all.randomElement(using: &generator)!
    }
    let configure: (inout Module) -> Void = { module in
        module.types.append(FunctionType(parameters: [.i32, .i64], results: [.f32]))
        module.tables.append(TableType(elementType: .funcref, limits: Limits(min: 1)))
        module.memories.append(MemoryType(limits: Limits(min: 1)))
        module.globals.append(Global(type: GlobalType(valueType: .i32, isMutable: true), initializer: constant(.i32Const(0))))
        module.elements.append(ElementSegment(type: .funcref, items: .functionIndices([0]), mode: .declarative, offset: 0))
        module.dataCount = 1
        module.data.append(DataSegment(mode: .passive, range: 0..<0))
    }
    var accepted = 0
    for _ in 0..<1000 {
        let body = (0..<Int.random(in: 1...40, using: &generator)).map { _ in instruction() }
        if bodyError(body, params: [.i32], results: [.i32], locals: [LocalRun(count: 2, type: .f64)],
                     configure: configure) == nil {
            accepted += 1
        }
    }
    // Mostly invalid by construction; the point is that nothing trapped.
    #expect(accepted < 1000)
}
