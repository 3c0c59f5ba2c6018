import Foundation
import Testing
import WasmFrontEnd
@testable import WasmCompiler

/// Every configuration the generated code must be correct in: both tiers (the optimising one
/// with the IR verifier after every pass), both bounds-check strategies, both ISA levels.
let allConfigurations: [CompilerConfiguration] = [
    CompilerConfiguration(boundsChecks: .guardRegion, cpuFeatures: .baseline),
    CompilerConfiguration(boundsChecks: .explicit, cpuFeatures: X64CPUFeatures(
        hasPOPCNT: true, hasLZCNT: true, hasBMI1: true, hasBMI2: false, hasSSE41: true)),
    CompilerConfiguration(boundsChecks: .guardRegion, cpuFeatures: .baseline, tier: .optimizing, verifyIR: true),
    CompilerConfiguration(boundsChecks: .explicit, cpuFeatures: X64CPUFeatures(
        hasPOPCNT: true, hasLZCNT: true, hasBMI1: true, hasBMI2: false, hasSSE41: true), tier: .optimizing, verifyIR: true),
] + (hostHasAVX2AndFMA ? [CompilerConfiguration(boundsChecks: .guardRegion, cpuFeatures: RelaxedSIMDTests.avx2FMA)] : [])

/// Whether this machine runs the VEX forms (the AVX2 + FMA configuration is tested only there).
let hostHasAVX2AndFMA: Bool = {
    let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    return flags.contains(" avx2") && flags.contains(" fma")
}()

func load(_ builder: ModuleBuilder, _ configuration: CompilerConfiguration, memoryPages: Int = 0,
          tableSize: Int = 0) throws -> JITInstance {
    let module = try decodeModule(builder.build())
    return try JITInstance(module, configuration: configuration, memoryPages: memoryPages, tableSize: tableSize)
}

func u32(_ value: Int32) -> UInt64 { UInt64(UInt32(bitPattern: value)) }
func u64(_ value: Int64) -> UInt64 { UInt64(bitPattern: value) }
func f32(_ value: Float) -> UInt64 { UInt64(value.bitPattern) }
func f64(_ value: Double) -> UInt64 { value.bitPattern }

func rotl32(_ value: Int32, _ count: Int) -> Int32 {
    let bits = UInt32(bitPattern: value)
    return Int32(bitPattern: bits << UInt32(count & 31) | bits >> UInt32((32 - count) & 31))
}

func rotl64(_ value: Int64, _ count: Int) -> Int64 {
    let bits = UInt64(bitPattern: value)
    return Int64(bitPattern: bits << UInt64(count & 63) | bits >> UInt64((64 - count) & 63))
}

@Suite(.serialized) struct BaselineCompilerTests {
    @Test(arguments: allConfigurations)
    func integerArithmetic(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        let ops: [NumericOperation] = [.i32Add, .i32Sub, .i32Mul, .i32And, .i32Or, .i32Xor, .i32Shl, .i32ShrS,
                                       .i32ShrU, .i32Rotl, .i32Rotr, .i32LtS, .i32LtU, .i32GeS, .i32Eq, .i32Ne]
        for op in ops { builder.function([.i32, .i32], [.i32], W.get(0), W.get(1), W.op(op)) }
        let ops64: [NumericOperation] = [.i64Add, .i64Sub, .i64Mul, .i64And, .i64Or, .i64Xor, .i64Shl, .i64ShrS,
                                         .i64ShrU, .i64Rotl, .i64Rotr]
        for op in ops64 { builder.function([.i64, .i64], [.i64], W.get(0), W.get(1), W.op(op)) }
        // Constant right operands take the immediate forms.
        let constantAdd = builder.function([.i32], [.i32], W.get(0), W.i32(-7), W.op(.i32Add))
        let constantShift = builder.function([.i64], [.i64], W.get(0), W.i64(68), W.op(.i64Shl))
        let bigConstant = builder.function([.i64], [.i64], W.get(0), W.i64(0x1234_5678_9ABC), W.op(.i64Xor))
        let instance = try load(builder, configuration)
        let a: Int32 = -123_456_789, b: Int32 = 37
        let expected32: [Int32] = [a &+ b, a &- b, a &* b, a & b, a | b, a ^ b, a << (b & 31), a >> (b & 31),
                                   Int32(bitPattern: UInt32(bitPattern: a) >> UInt32(b & 31)),
                                   rotl32(a, 5),
                                   rotl32(a, 32 - 5),
                                   1, 0, 0, 0, 1]
        for (index, value) in expected32.enumerated() {
            #expect(instance.callI32(UInt32(index), [u32(a), u32(b)]) == value, "op \(ops[index])")
        }
        let x: Int64 = -0x1234_5678_9ABC_DEF0, y: Int64 = 67
        let expected64: [Int64] = [x &+ y, x &- y, x &* y, x & y, x | y, x ^ y, x << 3, x >> 3,
                                   Int64(bitPattern: UInt64(bitPattern: x) >> 3),
                                   rotl64(x, 3),
                                   rotl64(x, 61)]
        for (index, value) in expected64.enumerated() {
            #expect(instance.callI64(UInt32(ops.count + index), [u64(x), u64(y)]) == value, "op \(ops64[index])")
        }
        #expect(instance.callI32(constantAdd, [5]) == -2)
        #expect(instance.callI64(constantShift, [3]) == 48)
        #expect(instance.callI64(bigConstant, [1]) == 0x1234_5678_9ABD)
    }

    @Test(arguments: allConfigurations)
    func divisionAndTraps(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        for op in [NumericOperation.i32DivS, .i32DivU, .i32RemS, .i32RemU] {
            builder.function([.i32, .i32], [.i32], W.get(0), W.get(1), W.op(op))
        }
        for op in [NumericOperation.i64DivS, .i64DivU, .i64RemS, .i64RemU] {
            builder.function([.i64, .i64], [.i64], W.get(0), W.get(1), W.op(op))
        }
        let instance = try load(builder, configuration)
        #expect(instance.callI32(0, [u32(-7), u32(2)]) == -3)
        #expect(instance.callI32(1, [u32(-7), u32(2)]) == Int32(bitPattern: UInt32(bitPattern: -7) / 2))
        #expect(instance.callI32(2, [u32(-7), u32(2)]) == -1)
        #expect(instance.callI32(3, [u32(-7), u32(2)]) == 1)
        #expect(instance.call(0, [u32(Int32.min), u32(-1)]) == .trap(.integerOverflow))
        #expect(instance.callI32(2, [u32(Int32.min), u32(-1)]) == 0)
        for index: UInt32 in 0..<4 {
            #expect(instance.call(index, [5, 0]) == .trap(.integerDivideByZero))
            #expect(instance.call(index + 4, [5, 0]) == .trap(.integerDivideByZero))
        }
        #expect(instance.callI64(4, [u64(-7_000_000_000_000), u64(3)]) == -2_333_333_333_333)
        #expect(instance.callI64(5, [u64(-1), u64(2)]) == Int64.max)
        #expect(instance.call(4, [u64(Int64.min), u64(-1)]) == .trap(.integerOverflow))
        #expect(instance.callI64(6, [u64(Int64.min), u64(-1)]) == 0)
        #expect(instance.callI64(7, [u64(-1), u64(10)]) == 5)
        // The instance still works after traps.
        #expect(instance.callI32(0, [100, 7]) == 14)
    }

    @Test(arguments: allConfigurations)
    func bitCounting(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        for op in [NumericOperation.i32Clz, .i32Ctz, .i32Popcnt, .i32Eqz, .i32Extend8S, .i32Extend16S] {
            builder.function([.i32], [.i32], W.get(0), W.op(op))
        }
        for op in [NumericOperation.i64Clz, .i64Ctz, .i64Popcnt, .i64Extend8S, .i64Extend16S, .i64Extend32S] {
            builder.function([.i64], [.i64], W.get(0), W.op(op))
        }
        builder.function([.i64], [.i32], W.get(0), W.op(.i64Eqz))
        builder.function([.i64], [.i32], W.get(0), W.op(.i32WrapI64))
        builder.function([.i32], [.i64], W.get(0), W.op(.i64ExtendI32S))
        builder.function([.i32], [.i64], W.get(0), W.op(.i64ExtendI32U))
        let instance = try load(builder, configuration)
        for value: UInt32 in [0, 1, 0x8000_0000, 0x00F0_0F00, 0xFFFF_FFFF, 0x1234_0080] {
            #expect(instance.callI32(0, [UInt64(value)]) == Int32(value.leadingZeroBitCount))
            #expect(instance.callI32(1, [UInt64(value)]) == Int32(value.trailingZeroBitCount))
            #expect(instance.callI32(2, [UInt64(value)]) == Int32(value.nonzeroBitCount))
            #expect(instance.callI32(3, [UInt64(value)]) == (value == 0 ? 1 : 0))
            #expect(instance.callI32(4, [UInt64(value)]) == Int32(Int8(truncatingIfNeeded: value)))
            #expect(instance.callI32(5, [UInt64(value)]) == Int32(Int16(truncatingIfNeeded: value)))
        }
        for value: UInt64 in [0, 1, 1 << 63, 0x00F0_0F00_0000_0000, UInt64.max, 0x1234_0080_8000_0000] {
            #expect(instance.callI64(6, [value]) == Int64(value.leadingZeroBitCount))
            #expect(instance.callI64(7, [value]) == Int64(value.trailingZeroBitCount))
            #expect(instance.callI64(8, [value]) == Int64(value.nonzeroBitCount))
            #expect(instance.callI64(9, [value]) == Int64(Int8(truncatingIfNeeded: value)))
            #expect(instance.callI64(10, [value]) == Int64(Int16(truncatingIfNeeded: value)))
            #expect(instance.callI64(11, [value]) == Int64(Int32(truncatingIfNeeded: value)))
            #expect(instance.callI32(12, [value]) == (value == 0 ? 1 : 0))
            #expect(instance.callI32(13, [value]) == Int32(truncatingIfNeeded: value))
            #expect(instance.callI64(14, [value]) == Int64(Int32(truncatingIfNeeded: value)))
            #expect(instance.callI64(15, [value]) == Int64(UInt32(truncatingIfNeeded: value)))
        }
    }

    @Test(arguments: allConfigurations)
    func controlFlow(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        // 0: factorial with a loop: (n) -> n!
        builder.function([.i64], [.i64], locals: [(1, .i64)],
                         W.i64(1), W.set(1),
                         W.block(), W.loop(),
                         W.get(0), W.op(.i64Eqz), W.brIf(1),
                         W.get(1), W.get(0), W.op(.i64Mul), W.set(1),
                         W.get(0), W.i64(1), W.op(.i64Sub), W.set(0),
                         W.br(0), W.end, W.end, W.get(1))
        // 1: if/else with results: (x) -> x < 10 ? x * 2 : x - 10
        builder.function([.i32], [.i32],
                         W.get(0), W.i32(10), W.op(.i32LtS),
                         W.if(.i32), W.get(0), W.i32(2), W.op(.i32Mul), W.else, W.get(0), W.i32(10), W.op(.i32Sub), W.end)
        // 2: br_table: (x) -> [100, 101, 102][x] or 99
        builder.function([.i32], [.i32],
                         W.block(), W.block(), W.block(), W.block(),
                         W.get(0), W.brTable([0, 1, 2], 3),
                         W.end, W.i32(100), W.ret,
                         W.end, W.i32(101), W.ret,
                         W.end, W.i32(102), W.ret,
                         W.end, W.i32(99))
        // 3: br_if carrying a value out of a block with values below it: (x) -> 1000 + (x ? 7 : 8)
        builder.function([.i32], [.i32],
                         W.i32(1000),
                         W.block(.i32), W.i32(5), W.drop, W.i32(7), W.get(0), W.brIf(0), W.drop, W.i32(8), W.end,
                         W.op(.i32Add))
        // 4: multi-value block parameters and results: (a, b) -> (b, a) via block type (i32 i32)->(i32 i32)
        let swapType = builder.type([.i32, .i32], [.i32, .i32])
        builder.function([.i32, .i32], [.i32, .i32],
                         W.get(0), W.get(1),
                         W.blockType(swapType), W.set(0), W.set(1), W.get(0), W.get(1), W.end)
        // 5: select: (c, a, b) -> c ? a : b, and a float select
        builder.function([.i32, .i64, .i64], [.i64], W.get(1), W.get(2), W.get(0), W.select)
        builder.function([.i32, .f64, .f64], [.f64], W.get(1), W.get(2), W.get(0), W.select)
        // 7: unreachable
        builder.function([], [], W.unreachable)
        // 8: code after br in a block is skipped; nested dead blocks are tracked.
        builder.function([], [.i32], W.block(.i32), W.i32(3), W.br(0), W.block(), W.unreachable, W.end, W.i32(4), W.end)
        // 9: br_table with a value and an empty table: (x) -> 42
        builder.function([.i32], [.i32], W.block(.i32), W.i32(42), W.get(0), W.brTable([], 0), W.end)
        // 10: loop with a parameter summing 1..n: (n) -> sum
        let loopType = builder.type([.i32], [.i32])
        builder.function([.i32], [.i32], locals: [(1, .i32)],
                         W.i32(0),
                         [0x03] + W.s(Int64(loopType)),  // loop (param i32) (result i32)
                         W.get(0), W.op(.i32Add),
                         W.get(0), W.i32(1), W.op(.i32Sub), W.tee(0),
                         W.brIf(0),
                         W.end)
        let instance = try load(builder, configuration)
        #expect(instance.callI64(0, [20]) == 2_432_902_008_176_640_000)
        #expect(instance.callI64(0, [0]) == 1)
        #expect(instance.callI32(1, [4]) == 8)
        #expect(instance.callI32(1, [15]) == 5)
        for (input, output) in [(0, 100), (1, 101), (2, 102), (3, 99), (-1, 99)] {
            #expect(instance.callI32(2, [u32(Int32(input))]) == Int32(output))
        }
        #expect(instance.callI32(3, [1]) == 1007)
        #expect(instance.callI32(3, [0]) == 1008)
        #expect(instance.call(4, [1, 2]) == .values([2, 1]))
        #expect(instance.callI64(5, [1, 10, 20]) == 10)
        #expect(instance.callI64(5, [0, 10, 20]) == 20)
        #expect(instance.call(6, [1, f64(1.5), f64(2.5)]) == .values([f64(1.5)]))
        #expect(instance.call(6, [0, f64(1.5), f64(2.5)]) == .values([f64(2.5)]))
        #expect(instance.call(7, []) == .trap(.unreachable))
        #expect(instance.callI32(8, []) == 3)
        #expect(instance.callI32(9, [7]) == 42)
        #expect(instance.callI32(10, [100]) == 5050)
    }

    @Test(arguments: allConfigurations)
    func calls(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        builder.importedFunctions.append(("env", "twice", builder.type([.i64], [.i64])))
        // 1: fib(n) recursive
        builder.function([.i32], [.i32],
                         W.get(0), W.i32(2), W.op(.i32LtS),
                         W.if(.i32), W.get(0),
                         W.else, W.get(0), W.i32(1), W.op(.i32Sub), W.call(1),
                         W.get(0), W.i32(2), W.op(.i32Sub), W.call(1), W.op(.i32Add), W.end)
        // 2: many arguments of mixed types, more results than parameters via 3
        let manyParameters: [ValueType] = [.i32, .i64, .f32, .f64, .i32, .i64, .f32, .f64, .i32, .i64, .f32, .f64, .i32, .i64]
        var sumBody: [UInt8] = W.i64(0)
        for (index, type) in manyParameters.enumerated() {
            sumBody += W.get(UInt32(index))
            switch type {
            case .i32: sumBody += W.op(.i64ExtendI32S)
            case .f32: sumBody += W.op(.i64TruncF32S)
            case .f64: sumBody += W.op(.i64TruncF64S)
            default: break
            }
            sumBody += W.op(.i64Add)
        }
        builder.function(manyParameters, [.i64], sumBody)
        // 3: () -> (i32, i64, f32, f64, i32): multi-value results
        builder.function([], [.i32, .i64, .f32, .f64, .i32], W.i32(1), W.i64(2), W.f32(3), W.f64(4), W.i32(5))
        // 4: calls 2 and 3 with live values around the calls
        var callerBody: [UInt8] = W.i64(1000)
        for (index, type) in manyParameters.enumerated() {
            switch type {
            case .i32: callerBody += W.i32(Int32(index))
            case .i64: callerBody += W.i64(Int64(index))
            case .f32: callerBody += W.f32(Float(index) + 0.5)
            default: callerBody += W.f64(Double(index) + 0.75)
            }
        }
        callerBody += W.call(2) + W.op(.i64Add)
        // Results (1, 2, 3.0, 4.0, 5) fold into local 0: 5 + 2 + 1.
        callerBody += W.call(3) + W.op(.i64ExtendI32S) + W.set(0) + W.drop + W.drop
        callerBody += W.get(0) + W.op(.i64Add) + W.set(0)
        callerBody += W.op(.i64ExtendI32S) + W.get(0) + W.op(.i64Add) + W.op(.i64Add)
        builder.function([], [.i64], locals: [(1, .i64)], callerBody)
        // 5: calls the import: (x) -> twice(x) + 1
        builder.function([.i64], [.i64], W.get(0), W.call(0), W.i64(1), W.op(.i64Add))
        // 6: infinite recursion
        builder.function([], [], W.call(6))
        let instance = try load(builder, configuration)
        instance.hostFunctions[0] = { arguments in arguments[0] == 13 ? nil : [arguments[0] &* 2] }
        #expect(instance.callI32(1, [20]) == 6765)
        #expect(instance.call(3, []) == .values([1, 2, f32(3), f64(4), 5]))
        // The sum of 0..<14 is 91 (the fractions truncate away); the multi-value call adds 8.
        #expect(instance.callI64(4, []) == 1099)
        #expect(instance.callI64(5, [21]) == 43)
        #expect(instance.call(5, [13]) == .trap(.hostTrap))
        #expect(instance.call(6, []) == .trap(.callStackExhausted))
        #expect(instance.callI32(1, [10]) == 55)
    }

    @Test(arguments: allConfigurations)
    func memoryAccess(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        builder.memoryPages = 1
        // 0: store i64 at a, then load pieces: (a, v) -> i64.load8_s/16_u/32_s combos
        builder.function([.i32, .i64], [.i64],
                         W.get(0), W.get(1), W.store(.i64Store),
                         W.get(0), W.load(.i64Load8S, offset: 1),
                         W.get(0), W.load(.i64Load16U, offset: 2), W.op(.i64Add),
                         W.get(0), W.load(.i64Load32S, offset: 4), W.op(.i64Add))
        // 1: (a) -> i32.load
        builder.function([.i32], [.i32], W.get(0), W.load(.i32Load))
        // 2: (a, v) -> store8/16 then load
        builder.function([.i32, .i32], [.i32],
                         W.get(0), W.get(1), W.store(.i32Store8),
                         W.get(0), W.get(1), W.store(.i32Store16, offset: 1),
                         W.get(0), W.load(.i32Load))
        // 3: floats: (a, f64) -> stores and reloads as f32 via demote
        builder.function([.i32, .f64], [.f32],
                         W.get(0), W.get(1), W.store(.f64Store, offset: 8),
                         W.get(0), W.get(0), W.load(.f64Load, offset: 8), W.op(.f32DemoteF64), W.store(.f32Store),
                         W.get(0), W.load(.f32Load))
        // 4: memory.size
        builder.function([], [.i32], W.memorySize)
        // 5: a large static offset
        builder.function([.i32], [.i32], W.get(0), W.load(.i32Load, offset: 0xFFFF_FFF0))
        let instance = try load(builder, configuration, memoryPages: 1)
        let value: Int64 = 0x1122_3344_8566_7788
        let expected = Int64(Int8(truncatingIfNeeded: value >> 8)) + Int64(UInt16(truncatingIfNeeded: value >> 16))
            + Int64(Int32(truncatingIfNeeded: value >> 32))
        #expect(instance.callI64(0, [16, u64(value)]) == expected)
        #expect(instance.callI32(1, [16]) == Int32(bitPattern: 0x8566_7788))
        #expect(instance.callI32(2, [100, 0xABCD]) == 0x00AB_CDCD)
        #expect(instance.call(3, [200, f64(2.5)]) == .values([f32(2.5)]))
        #expect(instance.callI32(4, []) == 1)
        #expect(instance.callI32(1, [65532]) == 0)
        #expect(instance.call(1, [65533]) == .trap(.memoryOutOfBounds))
        #expect(instance.call(1, [u32(-1)]) == .trap(.memoryOutOfBounds))
        #expect(instance.call(0, [65530, 1]) == .trap(.memoryOutOfBounds))
        #expect(instance.call(5, [0]) == .trap(.memoryOutOfBounds))
        #expect(instance.call(5, [u32(-1)]) == .trap(.memoryOutOfBounds))
        #expect(instance.callI32(1, [16]) == Int32(bitPattern: 0x8566_7788))
    }

    @Test(arguments: allConfigurations)
    func globalsTablesAndIndirectCalls(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        builder.tables = [(.funcref, 4)]
        builder.globals = [(.i64, true, W.i64(0)), (.f32, true, W.f32(0))]
        let binary = builder.type([.i32, .i32], [.i32])
        let unary = builder.type([.i32], [.i32])
        builder.function([.i32, .i32], [.i32], W.get(0), W.get(1), W.op(.i32Sub))                 // 0
        builder.function([.i32], [.i32], W.get(0), W.i32(1), W.op(.i32Add))                      // 1
        // 2: (i, a, b) -> call_indirect binary table[i](a, b)
        builder.function([.i32, .i32, .i32], [.i32], W.get(1), W.get(2), W.get(0), W.callIndirect(binary))
        // 3: (i, a) -> call_indirect unary table[i](a)
        builder.function([.i32, .i32], [.i32], W.get(1), W.get(0), W.callIndirect(unary))
        // 4: globals: g0 += x; g1 = f32(x); return g0
        builder.function([.i64], [.i64],
                         W.globalGet(0), W.get(0), W.op(.i64Add), W.globalSet(0),
                         W.get(0), W.op(.f32ConvertI64S), W.globalSet(1), W.globalGet(0))
        // 5: table.set i (ref.func 1); table.get i is non-null; table.size
        builder.function([.i32], [.i32],
                         W.get(0), W.refFunc(1), W.tableSet(),
                         W.get(0), W.tableGet(), W.refIsNull, W.tableSize(), W.op(.i32Add))
        // 6: table.set to null
        builder.function([.i32], [], W.get(0), W.refNullFunc, W.tableSet())
        builder.declaredFunctions = [1]
        let instance = try load(builder, configuration, tableSize: 4)
        instance.setTableElement(0, 0, function: 0)
        instance.setTableElement(0, 1, function: 1)
        #expect(instance.callI32(2, [0, 10, 3]) == 7)
        #expect(instance.call(2, [1, 10, 3]) == .trap(.indirectCallTypeMismatch))
        #expect(instance.callI32(3, [1, 10]) == 11)
        #expect(instance.call(2, [2, 10, 3]) == .trap(.uninitializedElement))
        #expect(instance.call(2, [4, 10, 3]) == .trap(.undefinedElement))
        #expect(instance.call(2, [u32(-1), 10, 3]) == .trap(.undefinedElement))
        #expect(instance.callI64(4, [5]) == 5)
        #expect(instance.callI64(4, [7]) == 12)
        #expect(instance.global(1) == f32(7))
        #expect(instance.callI32(5, [3]) == 4)
        #expect(instance.callI32(3, [3, 41]) == 42)
        #expect(instance.call(5, [4]) == .trap(.tableOutOfBounds))
        #expect(instance.call(6, [3]) == .values([]))
        #expect(instance.call(3, [3, 41]) == .trap(.uninitializedElement))
    }

    /// v128 values in 16-byte slots: parameters between scalars (two argument slots each),
    /// more v128 locals and operands than vector registers (spills), a call passing and
    /// returning v128 next to scalars.
    @Test(arguments: allConfigurations)
    func vectorFrameLayout(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        let i32x4Splat: [UInt8] = [0xFD, 0x11]
        let i32x4Add: [UInt8] = [0xFD, 0xAE, 0x01]
        // (v128, i32, v128) -> (v128, i32): (a + b, i)
        builder.function([.v128, .i32, .v128], [.v128, .i32],
                         [0x20, 0], [0x20, 2], i32x4Add, [0x20, 1])
        var body: [UInt8] = []
        for k in 0..<20 {
            body += [0x20, 1, 0x41, UInt8(k)] + i32x4Splat + i32x4Add + [0x21, UInt8(3 + k)]
        }
        for k in 0..<20 { body += [0x20, UInt8(3 + k)] }
        for _ in 0..<19 { body += i32x4Add }
        // call 0 (v, i, v), then the i32 result widened and added to the i64 parameter.
        body += [0x22, 3, 0x20, 0, 0x20, 3, 0x10, 0, 0xAD, 0x20, 2, 0x7C]
        let entry = builder.function([.i32, .v128, .i64], [.v128, .i64], locals: [(20, .v128)], body)
        let instance = try load(builder, configuration)
        let lanes: [UInt32] = [1, 0xFFFF_FFFF, 0x8000_0000, 12345]
        let low = UInt64(lanes[0]) | UInt64(lanes[1]) << 32
        let high = UInt64(lanes[2]) | UInt64(lanes[3]) << 32
        let expected = lanes.map { 40 &* $0 &+ 380 }
        #expect(instance.call(entry, [7, low, high, 1000]) == .values([
            UInt64(expected[0]) | UInt64(expected[1]) << 32, UInt64(expected[2]) | UInt64(expected[3]) << 32, 1007,
        ]))
    }

    /// A module whose types have no v128: only the function with SIMD instructions gets
    /// 16-byte slots (and the baseline tier); its caller keeps 8-byte slots and its tier.
    @Test(arguments: allConfigurations)
    func vectorOnlyInsideOneFunction(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        var constant: [UInt8] = [0xFD, 0x0C]
        for lane in 0..<4 { constant += [UInt8(10 + lane), 0, 0, 0] }
        // (i32) -> i32: lane 2 of (10, 11, 12, 13) + splat(p), via a v128 local.
        let vectorFunction = builder.function([.i32], [.i32], locals: [(1, .v128)],
                                              constant, [0x20, 0, 0xFD, 0x11, 0xFD, 0xAE, 0x01, 0x21, 1],
                                              [0x20, 1, 0xFD, 0x1B, 2])
        // (i32, i32) -> i32: a * f(b) with a few locals of its own.
        let caller = builder.function([.i32, .i32], [.i32], locals: [(2, .i32)],
                                      [0x20, 1, 0x10, UInt8(vectorFunction), 0x21, 2, 0x20, 0, 0x20, 2, 0x6C])
        let instance = try load(builder, configuration)
        let product = instance.callI32(caller, [3, 100])
        #expect(product == Int32(3 * 112), "got \(String(describing: product))")
        #expect(instance.callI32(vectorFunction, [u32(-12)]) == 0)
    }

    /// The shuffle patterns compiled to single instructions (pshufd, the unpacks either way
    /// round, palignr, one-operand pshufb) and general ones, against the definition.
    @Test(arguments: allConfigurations)
    func shufflePatterns(configuration: CompilerConfiguration) throws {
        var patterns: [[Int]] = []
        for width in [1, 2, 4, 8] {
            for high in [false, true] {
                for swapped in [false, true] {
                    patterns.append((0..<16).map { lane in
                        let element = lane / width
                        let fromSecond = (element % 2 == 1) != swapped
                        return ((high ? 8 / width : 0) + element / 2) * width + lane % width + (fromSecond ? 16 : 0)
                    })
                }
            }
        }
        for shift in [1, 5, 15] { patterns.append((0..<16).map { shift + $0 }) }
        patterns.append([8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        patterns.append((0..<16).map { 31 - $0 })
        patterns.append([4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11])
        patterns.append((0..<16).map { ($0 * 7) % 32 })
        var builder = ModuleBuilder()
        var functions: [UInt32] = []
        for pattern in patterns {
            functions.append(builder.function([.v128, .v128], [.v128], [0x20, 0, 0x20, 1, 0xFD, 0x0D] + pattern.map { UInt8($0) }))
        }
        let instance = try load(builder, configuration)
        let a = (0..<16).map { UInt8(0x10 + $0) }, b = (0..<16).map { UInt8(0xA0 + $0) }
        func pack(_ bytes: [UInt8]) -> [UInt64] {
            [0, 8].map { start in (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * UInt64($1)) } }
        }
        for (pattern, function) in zip(patterns, functions) {
            let expected = pack(pattern.map { $0 < 16 ? a[$0] : b[$0 - 16] })
            #expect(instance.call(function, pack(a) + pack(b)) == .values(expected), "\(pattern)")
        }
    }
}
