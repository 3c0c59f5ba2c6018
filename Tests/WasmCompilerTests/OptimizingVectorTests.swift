import Foundation
import Testing
import WasmFrontEnd
@testable import WasmCompiler

/// The optimising tier with v128 values: in xmm registers and aligned 16-byte slot pairs,
/// through loops (block parameters), across calls, in memory and globals.
let vectorOptimizingConfigurations: [CompilerConfiguration] = optimizingConfigurations
    + (hostHasAVX2AndFMA ? [CompilerConfiguration(boundsChecks: .guardRegion, cpuFeatures: RelaxedSIMDTests.avx2FMA,
                                                  tier: .optimizing, verifyIR: true)] : [])

extension W {
    static func simd(_ operation: SIMDOperation) -> [UInt8] { [0xFD] + u(UInt64(operation.rawValue)) }
    static func v128(_ lanes: [UInt32]) -> [UInt8] {
        [0xFD, 0x0C] + lanes.flatMap { lane in withUnsafeBytes(of: lane.littleEndian) { Array($0) } }
    }
    static func v128Load(offset: UInt64 = 0) -> [UInt8] { [0xFD, 0x00, 0x04] + u(offset) }
    static func v128Store(offset: UInt64 = 0) -> [UInt8] { [0xFD, 0x0B, 0x04] + u(offset) }
    static func i32x4ExtractLane(_ lane: UInt8) -> [UInt8] { [0xFD, 0x1B, lane] }
}

/// i32x4 lanes as the harness passes a v128 (low half first).
func slots(_ lanes: [UInt32]) -> [UInt64] {
    [UInt64(lanes[0]) | UInt64(lanes[1]) << 32, UInt64(lanes[2]) | UInt64(lanes[3]) << 32]
}

func lanewise(_ a: [UInt32], _ b: [UInt32], _ operation: (UInt32, UInt32) -> UInt32) -> [UInt32] {
    (0..<4).map { operation(a[$0], b[$0]) }
}

/// 0: (v128, v128) -> v128  i32x4.add
/// 1: (i32 n) -> v128  fourteen v128 locals updated in a loop (more than the 11 xmm registers)
/// 2: (i32 n) -> v128  four v128 locals live across calls of function 0 in a loop
/// 3: (i32 c, v128 a, v128 b) -> v128  an `if` with a v128 result and a v128 local set on one side
/// 4: (i32 address) -> v128  load, lane arithmetic, store at +16, reload; splat and extract
/// 5: (v128) -> i32  global.set / global.get of a v128 global, then a lane
func vectorModule() -> ModuleBuilder {
    var builder = ModuleBuilder()
    builder.memoryPages = 1
    builder.globals = [(.v128, true, W.v128([0, 0, 0, 0]))]
    builder.function([.v128, .v128], [.v128], W.get(0), W.get(1), W.simd(.i32x4Add))
    var pressure: [[UInt8]] = []
    for k in 1...14 { pressure += [W.v128(initialLanes(k)), W.set(UInt32(k))] }
    pressure += [W.block(), W.loop(), W.get(0), W.op(.i32Eqz), W.brIf(1)]
    for k in 1...14 {
        pressure += [W.get(UInt32(k)), W.get(UInt32(k % 14 + 1)), W.simd(k % 3 == 0 ? .i32x4Sub : .i32x4Add), W.set(UInt32(k))]
    }
    pressure += [W.get(0), W.i32(1), W.op(.i32Sub), W.set(0), W.br(0), W.end, W.end, W.get(1)]
    for k in 2...14 { pressure += [W.get(UInt32(k)), W.simd(.v128Xor)] }
    builder.function([.i32], [.v128], locals: [(14, .v128)], pressure.flatMap { $0 })
    builder.function([.i32], [.v128], locals: [(4, .v128)],
                     W.v128([1, 2, 3, 4]), W.set(1), W.v128([5, 6, 7, 8]), W.set(2),
                     W.v128([9, 10, 11, 12]), W.set(3), W.v128([13, 14, 15, 16]), W.set(4),
                     W.block(), W.loop(), W.get(0), W.op(.i32Eqz), W.brIf(1),
                     W.get(1), W.get(2), W.call(0), W.set(1),
                     W.get(3), W.get(4), W.simd(.i32x4Sub), W.set(3),
                     W.get(4), W.get(1), W.call(0), W.set(4),
                     W.get(0), W.i32(1), W.op(.i32Sub), W.set(0), W.br(0), W.end, W.end,
                     W.get(1), W.get(2), W.simd(.v128Xor), W.get(3), W.simd(.v128Xor), W.get(4), W.simd(.v128Xor))
    builder.function([.i32, .v128, .v128], [.v128], locals: [(1, .v128)],
                     W.get(1), W.set(3),
                     W.get(0), W.if(.v128), W.get(1), W.get(2), W.simd(.i32x4Add), W.get(2), W.set(3),
                     W.else, W.get(1), W.get(2), W.simd(.i32x4Sub), W.end,
                     W.get(3), W.simd(.i32x4Mul))
    builder.function([.i32], [.v128], locals: [(1, .v128)],
                     W.get(0), W.get(0), W.v128Load(), W.tee(1), W.get(1), W.i32x4ExtractLane(2), W.simd(.i32x4Splat),
                     W.simd(.i32x4Add), W.v128Store(offset: 16),
                     W.get(0), W.v128Load(offset: 16))
    builder.function([.v128], [.i32], W.get(0), W.globalSet(0), W.globalGet(0), W.i32x4ExtractLane(3))
    return builder
}

func initialLanes(_ k: Int) -> [UInt32] { (1...4).map { UInt32($0 * 1000 + k) } }

@Suite(.serialized) struct OptimizingVectorTests {
    @Test func vectorIRSurvivesEveryPass() throws {
        let builder = vectorModule()
        for position in 0..<builder.functions.count {
            for pass in PassPipeline.Pass.allCases { _ = try optimizedIR(builder, position: position, passes: [pass]) }
            _ = try optimizedIR(builder, position: position)
            _ = try optimizedIR(builder, position: position, boundsChecks: .explicit)
        }
        let add = try optimizedIR(builder, position: 0)
        #expect(add.textualForm.contains("= vector i32x4.add v0, v1"), "\(add.textualForm)")
        // The memory function: its loads and store are vector memory operations, each with a
        // bounds check in the explicit configuration (the +16 ones merge with none: wider end).
        let memory = try optimizedIR(builder, position: 4, boundsChecks: .explicit)
        func isVectorMemory(_ operation: IROperation) -> Bool {
            switch operation {
            case .vectorLoad, .vectorStore: return true
            default: return false
            }
        }
        func isCheck(_ operation: IROperation) -> Bool { if case .boundsCheck = operation { return true } else { return false } }
        #expect(count(memory, where: isVectorMemory) == 3)
        #expect(count(memory, where: isCheck) == 2, "\(memory.textualForm)")
    }

    @Test func verifierRejectsAScalarV128Constant() throws {
        var function = try optimizedIR(vectorModule(), position: 0)
        let block = function.liveBlocks[0]
        _ = function.append(block, .constant(0), resultType: .v128)
        #expect(throws: IRVerificationError.self) { try function.verify() }
    }

    @Test func spilledVectorsGetAlignedSlotPairs() throws {
        let function = try optimizedIR(vectorModule(), position: 1)
        let allocation = allocateRegisters(function, registers: X64RegisterFile.allocatable)
        #expect(allocation.pressureSpills > 0)
        var vectorSlots = 0
        for (index, location) in allocation.locations.enumerated() {
            guard case .stack(let slot) = location, function.values[index].type == .v128 else { continue }
            #expect(slot % 2 == 0)
            #expect(slot + 1 < allocation.spillSlotCount)
            vectorSlots += 1
        }
        #expect(vectorSlots > 0)
    }

    @Test(arguments: vectorOptimizingConfigurations)
    func vectorFunctionsRunCorrectly(configuration: CompilerConfiguration) throws {
        let jit = try load(vectorModule(), configuration, memoryPages: 1)
        #expect(jit.call(0, slots([1, 2, 3, 0xFFFF_FFFF]) + slots([10, 20, 30, 2])) == .values(slots([11, 22, 33, 1])))

        for n in [0, 1, 3, 17] {
            var locals = (1...14).map(initialLanes)
            for _ in 0..<n {
                for k in 1...14 {
                    let other = locals[k % 14]
                    locals[k - 1] = lanewise(locals[k - 1], other, k % 3 == 0 ? (&-) : (&+))
                }
            }
            var expected = locals[0]
            for k in 1..<14 { expected = lanewise(expected, locals[k], ^) }
            #expect(jit.call(1, [UInt64(n)]) == .values(slots(expected)), "n = \(n)")
        }

        for n in [0, 1, 2, 9] {
            var l1: [UInt32] = [1, 2, 3, 4], l2: [UInt32] = [5, 6, 7, 8], l3: [UInt32] = [9, 10, 11, 12], l4: [UInt32] = [13, 14, 15, 16]
            for _ in 0..<n {
                l1 = lanewise(l1, l2, &+)
                l3 = lanewise(l3, l4, &-)
                l4 = lanewise(l4, l1, &+)
            }
            let expected = lanewise(lanewise(lanewise(l1, l2, ^), l3, ^), l4, ^)
            #expect(jit.call(2, [UInt64(n)]) == .values(slots(expected)), "n = \(n)")
        }

        let a: [UInt32] = [7, 8, 9, 10], b: [UInt32] = [1, 2, 3, 4]
        #expect(jit.call(3, [1] + slots(a) + slots(b)) == .values(slots(lanewise(lanewise(a, b, &+), b, &*))))
        #expect(jit.call(3, [0] + slots(a) + slots(b)) == .values(slots(lanewise(lanewise(a, b, &-), a, &*))))

        let memory = jit.memory!
        for lane in 0..<4 { memory.storeBytes(of: UInt32(100 + lane), toByteOffset: 64 + 4 * lane, as: UInt32.self) }
        #expect(jit.call(4, [64]) == .values(slots([202, 203, 204, 205])))
        #expect((0..<4).map { memory.load(fromByteOffset: 80 + 4 * $0, as: UInt32.self) } == [202, 203, 204, 205])
        // The store at +16 is the first access past the end.
        #expect(jit.call(4, [65536 - 24]) == .trap(.memoryOutOfBounds))
        #expect(jit.call(4, [65536 - 8]) == .trap(.memoryOutOfBounds))

        #expect(jit.call(5, slots([1, 2, 3, 0xABCD])) == .values([0xABCD]))
        #expect(jit.global(0) == slots([1, 2, 3, 0xABCD])[0])
    }
}
