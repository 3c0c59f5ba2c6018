import Glibc
import Testing
import WasmFrontEnd
@testable import WasmCompiler

/// Test builtins (C convention, VMContext first) operating on the harness's memory 0.
private func memoryStruct(_ context: UnsafeMutableRawPointer?, _ memory: UInt32) -> UnsafeMutableRawPointer {
    let memories = context!.load(fromByteOffset: VMContextLayout.memories, as: UnsafeMutablePointer<UInt64>.self)
    return UnsafeMutableRawPointer(bitPattern: UInt(memories[Int(memory)]))!
}

private let testMemoryGrow: @convention(c) (UnsafeMutableRawPointer?, UInt32, UInt64) -> Int64 = { context, memory, delta in
    let vmMemory = memoryStruct(context, memory)
    let length = vmMemory.load(fromByteOffset: VMMemoryLayout.length, as: UInt64.self)
    let oldPages = length >> 16
    guard delta <= 4, oldPages + delta <= 8 else { return -1 }
    let base = vmMemory.load(fromByteOffset: VMMemoryLayout.base, as: UnsafeMutableRawPointer.self)
    let newLength = (oldPages + delta) << 16
    if newLength > 0 { mprotect(base, Int(newLength), PROT_READ | PROT_WRITE) }
    vmMemory.storeBytes(of: newLength, toByteOffset: VMMemoryLayout.length, as: UInt64.self)
    return Int64(oldPages)
}

private let testMemoryFill: @convention(c) (UnsafeMutableRawPointer?, UInt32, UInt64, UInt32, UInt64) -> UInt32 = {
    context, memory, destination, value, count in
    let vmMemory = memoryStruct(context, memory)
    let length = vmMemory.load(fromByteOffset: VMMemoryLayout.length, as: UInt64.self)
    guard destination + count <= length else { return TrapKind.memoryOutOfBounds.rawValue }
    let base = vmMemory.load(fromByteOffset: VMMemoryLayout.base, as: UnsafeMutableRawPointer.self)
    memset(base + Int(destination), Int32(value & 0xFF), Int(count))
    return 0
}

/// (vmctx, table, initialValue, delta) -> old size or -1: records its arguments.
nonisolated(unsafe) private var tableGrowArguments: [UInt64] = []
private let testTableGrow: @convention(c) (UnsafeMutableRawPointer?, UInt32, UInt64, UInt64) -> Int64 = {
    _, table, initial, delta in
    tableGrowArguments = [UInt64(table), initial, delta]
    return delta > 10 ? -1 : 7
}

@Suite(.serialized) struct BuiltinCallTests {
    @Test(arguments: allConfigurations)
    func memoryGrowFillAndTableGrow(configuration: CompilerConfiguration) throws {
        var builder = ModuleBuilder()
        builder.memoryPages = 1
        builder.tables = [(.externref, 0), (.funcref, 0)]
        // 0: (delta) -> memory.grow; 1: (d, v, n) -> fill, then load8_u d + memory.size
        builder.function([.i32], [.i32], W.get(0), [0x40, 0x00])
        builder.function([.i32, .i32, .i32], [.i32],
                         W.i32(1000), W.get(0), W.get(1), W.get(2), [0xFC, 11, 0x00],
                         W.get(0), W.load(.i32Load8U), W.op(.i32Add), W.memorySize, W.op(.i32Add))
        // 2: (n) -> table.grow table 1 (ref.null func) n, with a live value around the call
        builder.function([.i32], [.i32], W.i32(5), W.refNullFunc, W.get(0), [0xFC, 15, 0x01], W.op(.i32Add))
        // 3: (a) -> i32.load after growth (the base is reloaded after memory.grow)
        builder.function([.i32], [.i32], W.i32(1), [0x40, 0x00], W.drop, W.get(0), W.load(.i32Load))
        let instance = try load(builder, configuration, memoryPages: 1)
        instance.builtins[VMBuiltin.memoryGrow.rawValue] = UInt64(UInt(bitPattern: unsafeBitCast(testMemoryGrow, to: UnsafeRawPointer.self)))
        instance.builtins[VMBuiltin.memoryFill.rawValue] = UInt64(UInt(bitPattern: unsafeBitCast(testMemoryFill, to: UnsafeRawPointer.self)))
        instance.builtins[VMBuiltin.tableGrow.rawValue] = UInt64(UInt(bitPattern: unsafeBitCast(testTableGrow, to: UnsafeRawPointer.self)))

        let filled = instance.callI32(1, [10, 0x1AB, 4])
        #expect(filled == Int32(1000 + 0xAB + 1), "\(String(describing: filled))")
        #expect(instance.call(1, [65530, 1, 7]) == .trap(.memoryOutOfBounds))
        #expect(instance.callI32(0, [1]) == 1)
        #expect(instance.callI32(0, [100]) == -1)
        let filledAfterGrowth = instance.callI32(1, [65536, 7, 10])
        #expect(filledAfterGrowth == Int32(1000 + 7 + 2))
        #expect(instance.call(3, [70000]) == .values([0]))
        #expect(instance.callI32(3, [131072]) == 0)
        #expect(instance.call(3, [u32(-4)]) == .trap(.memoryOutOfBounds))
        #expect(instance.callI32(2, [3]) == 12)
        #expect(tableGrowArguments == [1, 0, 3])
        #expect(instance.callI32(2, [11]) == 4)
    }
}

@Suite struct CompiledModuleMetadataTests {
    /// The runtime compiles an empty module to get the shared stubs.
    @Test func emptyModuleHasStubsAndTheHostTrapSite() throws {
        let compiled = try compileModule(Module(bytes: []))
        #expect(compiled.functions.isEmpty)
        #expect(compiled.stubs.entryTrampoline == 0)
        #expect(compiled.stubs.entryTrampoline < compiled.stubs.trapExit)
        #expect(compiled.stubs.trapExit < compiled.stubs.hostCall)
        #expect(compiled.stubs.end == UInt32(compiled.code.count))
        #expect(compiled.trapSites.count == 1)
        let site = try #require(compiled.trapSites.first)
        #expect(site.kind == .hostTrap)
        #expect(compiled.trapKind(atCodeOffset: site.codeOffset) == .hostTrap)
        #expect(compiled.trapKind(atCodeOffset: site.codeOffset + 1) == nil)
        #expect(Array(compiled.code[Int(site.codeOffset)..<Int(site.codeOffset) + 2]) == [0x0F, 0x0B])
    }

    @Test func functionLookupAndSortedTrapTable() throws {
        var builder = ModuleBuilder()
        builder.memoryPages = 1
        builder.importedFunctions.append(("env", "f", builder.type([], [])))
        builder.function([.i32], [.i32], W.get(0), W.load(.i32Load), W.get(0), W.op(.i32DivS))
        builder.function([], [], W.unreachable)
        let compiled = try compileModule(try decodeModule(builder.build()))
        #expect(compiled.importedFunctionCount == 1)
        #expect(compiled.functions.count == 2)
        let first = compiled.functions[0], second = compiled.functions[1]
        #expect(compiled.functionIndex(containingCodeOffset: first.codeOffset) == 1)
        #expect(compiled.functionIndex(containingCodeOffset: first.codeOffset + first.codeSize - 1) == 1)
        #expect(compiled.functionIndex(containingCodeOffset: second.codeOffset) == 2)
        #expect(compiled.functionIndex(containingCodeOffset: 0) == nil)
        #expect(compiled.codeOffset(ofFunction: 0) == nil)
        #expect(compiled.codeOffset(ofFunction: 2) == second.codeOffset)
        #expect(compiled.trapSites.map(\.codeOffset) == compiled.trapSites.map(\.codeOffset).sorted())
        let kinds = Set(compiled.trapSites.map { $0.kind.rawValue })
        for kind: TrapKind in [.memoryOutOfBounds, .integerDivideByZero, .integerOverflow, .unreachable, .callStackExhausted, .hostTrap] {
            #expect(kinds.contains(kind.rawValue))
        }
    }
}
