import Foundation
import Testing
import WasmFrontEnd
@testable import WasmCompiler

let optimizingConfigurations: [CompilerConfiguration] = allConfigurations.filter { $0.tier == .optimizing }

/// The IR of defined function `position` after `passes` (verifier after each one).
func optimizedIR(_ builder: ModuleBuilder, position: Int = 0, passes: [PassPipeline.Pass] = PassPipeline.standard,
                 boundsChecks: BoundsCheckStrategy = .guardRegion) throws -> IRFunction {
    let module = try decodeModule(builder.build())
    let context = try ValidationContext(validating: module)
    let configuration = CompilerConfiguration(boundsChecks: boundsChecks, tier: .optimizing, verifyIR: true)
    return try buildOptimizedIR(module: module, context: context, configuration: configuration,
                                body: module.functionBodies[position],
                                functionIndex: UInt32(context.importedFunctionCount + position),
                                pipeline: PassPipeline(passes: passes, verifyEachPass: true))
}

func count(_ function: IRFunction, where predicate: (IROperation) -> Bool) -> Int {
    var total = 0
    for block in function.liveBlocks {
        for instruction in function.blocks[block.id].instructions where predicate(instruction.operation) { total += 1 }
    }
    return total
}

/// Loops that carry many locals, swaps (parallel-move cycles), nested blocks with results,
/// br_table, calls inside loops: the shapes the translator and the allocator must get right.
func controlFlowModule() -> ModuleBuilder {
    var builder = ModuleBuilder()
    // 0: fib(n) with a, b = b, a + b (a two-value swap around the back edge).
    builder.function([.i32], [.i64], locals: [(2, .i64)],
                     W.i64(0), W.set(1), W.i64(1), W.set(2),
                     W.block(), W.loop(),
                     W.get(0), W.op(.i32Eqz), W.brIf(1),
                     W.get(2), W.get(1), W.get(2), W.op(.i64Add), W.set(2), W.set(1),
                     W.get(0), W.i32(1), W.op(.i32Sub), W.set(0),
                     W.br(0), W.end, W.end, W.get(1))
    // 1: rotate 12 locals n times (a 12-cycle of moves, more values than registers), return a weighted sum.
    var rotate: [[UInt8]] = []
    for index in 0..<12 { rotate.append(W.i64(Int64(index + 1))); rotate.append(W.set(UInt32(1 + index))) }
    rotate.append(W.block()); rotate.append(W.loop())
    rotate.append(W.get(0)); rotate.append(W.op(.i32Eqz)); rotate.append(W.brIf(1))
    rotate.append(W.get(1))
    for index in 1..<12 { rotate.append(W.get(UInt32(1 + index))); rotate.append(W.set(UInt32(index))) }
    rotate.append(W.set(12))
    rotate.append(W.get(0)); rotate.append(W.i32(1)); rotate.append(W.op(.i32Sub)); rotate.append(W.set(0))
    rotate.append(W.br(0)); rotate.append(W.end); rotate.append(W.end)
    rotate.append(W.i64(0))
    for index in 0..<12 {
        rotate.append(W.get(UInt32(1 + index))); rotate.append(W.i64(Int64(index + 1) * 1000)); rotate.append(W.op(.i64Mul))
        rotate.append(W.op(.i64Add))
    }
    builder.functions.append(ModuleBuilder.Function(typeIndex: builder.type([.i32], [.i64]), locals: [(12, .i64)],
                                                    body: rotate.flatMap { $0 } + [0x0B]))
    // 2: br_table with block results: 0 → 30, 1 → 10, else 20, plus the input.
    builder.function([.i32], [.i32],
                     W.block(.i32), W.block(.i32), W.block(.i32),
                     W.i32(30), W.get(0), W.brTable([2, 1], 0),
                     W.end, W.drop, W.i32(20), W.br(1),
                     W.end, W.drop, W.i32(10),
                     W.end, W.get(0), W.op(.i32Add))
    // 3: a loop calling function 0 (values live across a call), summing fib(i) for i < n.
    builder.function([.i32], [.i64], locals: [(1, .i64), (1, .i32)],
                     W.block(), W.loop(),
                     W.get(2), W.get(0), W.op(.i32GeU), W.brIf(1),
                     W.get(1), W.get(2), W.call(0), W.op(.i64Add), W.set(1),
                     W.get(2), W.i32(1), W.op(.i32Add), W.set(2),
                     W.br(0), W.end, W.end, W.get(1))
    // 4: if/else with a result, both sides assigning a local.
    builder.function([.i32, .i32], [.i32], locals: [(1, .i32)],
                     W.get(0), W.get(1), W.op(.i32LtS),
                     W.if(.i32), W.i32(1), W.set(2), W.get(1), W.else, W.i32(2), W.set(2), W.get(0), W.end,
                     W.get(2), W.i32(100), W.op(.i32Mul), W.op(.i32Add))
    return builder
}

func fibonacci(_ n: Int) -> Int64 {
    var a: Int64 = 0
    var b: Int64 = 1
    for _ in 0..<n { (a, b) = (b, a &+ b) }
    return a
}

@Suite(.serialized) struct OptimizingTierTests {
    @Test func verifierHoldsAfterEveryPass() throws {
        let builder = controlFlowModule()
        for position in 0..<builder.functions.count {
            // Each pass alone, then the standard pipeline (the verifier runs after each).
            for pass in PassPipeline.Pass.allCases { _ = try optimizedIR(builder, position: position, passes: [pass]) }
            _ = try optimizedIR(builder, position: position)
            _ = try optimizedIR(builder, position: position, boundsChecks: .explicit)
        }
    }

    @Test func verifierRejectsBrokenIR() throws {
        var function = try optimizedIR(controlFlowModule(), position: 0)
        // Use a value before its definition.
        let block = function.liveBlocks[0]
        let value = function.newValue(.i32, .instruction(block))
        function.blocks[block.id].instructions.insert(IRInstruction(.numeric(.i32Eqz), [value], result: function.newValue(.i32, .instruction(block))), at: 0)
        #expect(throws: IRVerificationError.self) { try function.verify() }
    }

    @Test(arguments: optimizingConfigurations)
    func controlFlowRunsCorrectly(configuration: CompilerConfiguration) throws {
        let jit = try load(controlFlowModule(), configuration)
        for n in [0, 1, 2, 10, 50, 90] {
            #expect(jit.call(0, [UInt64(n)]) == .values([u64(fibonacci(n))]))
        }
        for n in [0, 1, 5, 12, 13, 100] {
            var values = (1...12).map { Int64($0) }
            for _ in 0..<n { values = Array(values[1...]) + [values[0]] }
            var sum: Int64 = 0
            for (index, value) in values.enumerated() { sum &+= value &* Int64(index + 1) &* 1000 }
            #expect(jit.call(1, [UInt64(n)]) == .values([u64(sum)]))
        }
        for (input, expected) in [(0, 30), (1, 11), (2, 22), (7, 27), (-1, 19)] as [(Int32, Int32)] {
            #expect(jit.call(2, [u32(input)]) == .values([u32(expected)]))
        }
        for n in [0, 1, 5, 20] {
            var sum: Int64 = 0
            for index in 0..<n { sum &+= fibonacci(index) }
            #expect(jit.call(3, [UInt64(n)]) == .values([u64(sum)]))
        }
        #expect(jit.call(4, [u32(1), u32(2)]) == .values([u32(102)]))
        #expect(jit.call(4, [u32(3), u32(2)]) == .values([u32(203)]))
    }

    @Test func passesRemoveRedundantWork() throws {
        var builder = ModuleBuilder()
        builder.memoryPages = 1
        // (x + 0) * 1 + (x + 0) * 1  → one add; a loop whose body recomputes y * 3 + 7 → hoisted;
        // two loads of the same address → one (and, with explicit checks, one bounds check).
        builder.function([.i32, .i32, .i32], [.i32], locals: [(1, .i32)],
                         W.get(0), W.i32(0), W.op(.i32Add), W.i32(1), W.op(.i32Mul),
                         W.get(0), W.i32(0), W.op(.i32Add), W.i32(1), W.op(.i32Mul), W.op(.i32Add), W.set(3),
                         W.block(), W.loop(),
                         W.get(2), W.op(.i32Eqz), W.brIf(1),
                         W.get(3), W.get(1), W.i32(3), W.op(.i32Mul), W.i32(7), W.op(.i32Add), W.op(.i32Add), W.set(3),
                         W.get(2), W.i32(1), W.op(.i32Sub), W.set(2),
                         W.br(0), W.end, W.end,
                         W.get(3), W.get(0), W.load(.i32Load, offset: 4), W.op(.i32Add),
                         W.get(0), W.load(.i32Load, offset: 4), W.op(.i32Add))
        let unoptimized = try optimizedIR(builder, passes: [])
        let optimized = try optimizedIR(builder)
        let explicit = try optimizedIR(builder, boundsChecks: .explicit)
        func isNumeric(_ operation: IROperation) -> Bool { if case .numeric = operation { return true } else { return false } }
        func isLoad(_ operation: IROperation) -> Bool { if case .load = operation { return true } else { return false } }
        func isCheck(_ operation: IROperation) -> Bool { if case .boundsCheck = operation { return true } else { return false } }
        #expect(count(optimized, where: isNumeric) < count(unoptimized, where: isNumeric))
        #expect(count(optimized, where: isLoad) == 1)
        #expect(count(explicit, where: isCheck) == 1)
        // The invariant y * 3 + 7 is computed outside the loop: the loop header's block only
        // does the exit test, and the loop body has exactly two arithmetic instructions.
        let analysis = ControlFlowAnalysis(optimized)
        let header = optimized.liveBlocks.first { analysis.loopEnd[$0.id] >= 0 }!
        let bodyStart = analysis.layoutPosition[header.id]
        var inLoop = 0
        for position in bodyStart...analysis.loopEnd[header.id] {
            inLoop += optimized.blocks[optimized.liveBlocks[position].id].instructions.filter { isNumeric($0.operation) }.count
        }
        #expect(inLoop == 3, "\(optimized.textualForm)")
        for configuration in optimizingConfigurations {
            let jit = try load(builder, configuration, memoryPages: 1)
            jit.memory!.storeBytes(of: UInt32(5), toByteOffset: 12, as: UInt32.self)
            // x = 8, y = 2, n = 4: 2x + 4 * (2*3 + 7) + 2 * mem[12]
            #expect(jit.call(0, [8, 2, 4]) == .values([u32(16 + 52 + 10)]))
            #expect(jit.call(0, [65533, 2, 0]) == .trap(.memoryOutOfBounds))
        }
    }

    /// Compile time must stay linear: one function of ~100,000 instructions and a module of
    /// 50,000 small functions. Not timed (the machine is shared); the numbers are printed.
    @Test func largeInputsCompile() throws {
        var builder = ModuleBuilder()
        var body: [UInt8] = []
        body.reserveCapacity(400_000)
        for index in 0..<25_000 {
            body += W.get(UInt32(index % 8)) + W.i32(Int32(index)) + W.op(.i32Add) + W.set(UInt32((index + 3) % 8))
        }
        body += W.get(0)
        builder.functions.append(ModuleBuilder.Function(typeIndex: builder.type([.i32], [.i32]), locals: [(7, .i32)],
                                                        body: body + [0x0B]))
        let large = try decodeModule(builder.build())
        var start = Date()
        _ = try compileModule(large, configuration: CompilerConfiguration(tier: .optimizing))
        print("optimizing tier: 100,000-instruction function in \(Date().timeIntervalSince(start)) s")

        var many = ModuleBuilder()
        for index in 0..<50_000 {
            many.function([.i32], [.i32], W.get(0), W.i32(Int32(index)), W.op(.i32Add))
        }
        let module = try decodeModule(many.build())
        start = Date()
        let compiled = try compileModule(module, configuration: CompilerConfiguration(tier: .optimizing))
        print("optimizing tier: 50,000 functions in \(Date().timeIntervalSince(start)) s")
        #expect(compiled.functions.count == 50_000)
    }
}
