import Testing
@testable import WasmCompiler

/// The cross-program call trampoline's code shape (its behaviour is tested end to end in
/// WasmRuntimeTests/ProgramSystemTests).
@Suite struct CrossCallTrampolineTests {
    @Test func refusesShapesOutOfRange() {
        #expect(compileCrossCallTrampolines([CrossCallShape(parameterSlots: 5000, resultSlots: 0)]) == nil)
        let outside = CrossCallBuffer(pointerSlot: 1, lengthSlot: 2, direction: .input)
        #expect(compileCrossCallTrampolines([CrossCallShape(parameterSlots: 2, resultSlots: 1, buffers: [outside])]) == nil)
    }

    @Test func scalarPathCallsNoBuiltinAndCopiesOnlyWithBuffers() throws {
        let buffer = CrossCallBuffer(pointerSlot: 0, lengthSlot: 1, direction: .inputOutput)
        let compiled = try #require(compileCrossCallTrampolines([
            CrossCallShape(parameterSlots: 2, resultSlots: 1),
            CrossCallShape(parameterSlots: 2, resultSlots: 1, buffers: [buffer]),
        ]))
        #expect(compiled.entries.count == 2)
        #expect(compiled.entries.allSatisfy { $0 % 16 == 0 })
        let scalar = try disassemble(Array(compiled.code[Int(compiled.entries[0])..<Int(compiled.entries[1])]))
        let buffered = try disassemble(Array(compiled.code[Int(compiled.entries[1])...]))
        // Two calls: the boundary and the callee (through a register), no builtin table.
        #expect(scalar.filter { $0.text.hasPrefix("call") }.count == 2)
        #expect(!scalar.contains { $0.text.contains("movs") })
        #expect(buffered.filter { $0.text.contains("movs") }.count == 2)
        #expect(!scalar.contains { $0.text.hasPrefix("syscall") || $0.text.hasPrefix("int") && !$0.text.hasPrefix("int3") })
    }
}
