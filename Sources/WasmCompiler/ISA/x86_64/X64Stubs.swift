/// The runtime stubs of a compiled module on x86_64: the host → wasm entry trampoline, the trap
/// exit the fault handler resumes at, and the host-call stub (see `CompiledStubs` and the
/// calling convention in VMLayout.swift).
enum X64Stubs {
    /// Callee-saved registers of the System V ABI, in push order. `trapExit` pops them in
    /// reverse, so the push order is part of the contract with `VMActivation.entryStackPointer`.
    static let calleeSaved: [X64GPR] = [.rbx, .rbp, .r12, .r13, .r14, .r15]

    static func emit(into assembler: inout X64Assembler, trapSites: inout [TrapSite]) -> CompiledStubs {
        let entry = UInt32(assembler.offset)
        // entry(vmctx: rdi, code: rsi, values: rdx, slotCount: rcx, activation: r8) -> eax
        for register in calleeSaved { assembler.push(register) }
        assembler.mov(.bits64, .at(.r8, Int32(VMActivationLayout.entryStackPointer)), .rsp)
        assembler.mov(.bits64, .rbp, .rsp)
        // rsp ≡ 8 (mod 16) here; 24 bytes keep it 16-aligned: [rbp-8] values, [rbp-16] count.
        assembler.alu(.sub, .bits64, .rsp, immediate: 24)
        assembler.mov(.bits64, .at(.rbp, -8), .rdx)
        assembler.mov(.bits64, .at(.rbp, -16), .rcx)
        // Reserve roundUp16(8 * slotCount) bytes of argument/result slots.
        assembler.mov(.bits64, .rax, .rcx)
        assembler.shift(.shl, .bits64, .rax, immediate: 3)
        assembler.alu(.add, .bits64, .rax, immediate: 15)
        assembler.alu(.and, .bits64, .rax, immediate: -16)
        assembler.alu(.sub, .bits64, .rsp, .rax)
        emitCopy(into: &assembler, from: .rdx, to: .rsp)
        assembler.mov(.bits64, .r15, .rdi)
        assembler.call(.rsi)
        assembler.mov(.bits64, .rdx, .at(.rbp, -8))
        assembler.mov(.bits64, .rcx, .at(.rbp, -16))
        emitCopy(into: &assembler, from: .rsp, to: .rdx)
        assembler.mov(.bits64, .rsp, .rbp)
        assembler.alu(.xor, .bits32, .rax, .rax)
        // Trap exit: rsp = entryStackPointer, eax = trap kind (or 0 on the normal path above).
        let trapExit = UInt32(assembler.offset)
        for register in calleeSaved.reversed() { assembler.pop(register) }
        assembler.ret()

        // Host call: r15 = VMHostFunctionContext, arguments at [rsp + 8] on entry.
        let hostCall = UInt32(assembler.offset)
        let trap = assembler.newLabel()
        assembler.push(.rbp)
        assembler.mov(.bits64, .rbp, .rsp)
        assembler.mov(.bits64, .rdi, .r15)
        assembler.lea(.rsi, .at(.rbp, 16))
        assembler.alu(.and, .bits64, .rsp, immediate: -16)
        assembler.call(.at(.r15, Int32(VMHostFunctionContextLayout.dispatcher)))
        assembler.test(.bits32, .rax, .rax)
        assembler.jcc(.notEqual, trap, short: true)
        assembler.leave()
        assembler.ret()
        assembler.bind(trap)
        trapSites.append(TrapSite(codeOffset: UInt32(assembler.offset), kind: .hostTrap))
        assembler.ud2()
        return CompiledStubs(entryTrampoline: entry, trapExit: trapExit, hostCall: hostCall,
                             end: UInt32(assembler.offset))
    }

    /// Copies rcx 8-byte slots from [source] to [destination]; clobbers rax and r11.
    private static func emitCopy(into assembler: inout X64Assembler, from source: X64GPR, to destination: X64GPR) {
        let loop = assembler.newLabel()
        let done = assembler.newLabel()
        assembler.alu(.xor, .bits32, .rax, .rax)
        assembler.bind(loop)
        assembler.cmp(.bits64, .rax, .rcx)
        assembler.jcc(.aboveOrEqual, done, short: true)
        assembler.mov(.bits64, .r11, X64Memory(base: source, index: .rax, scale: 8))
        assembler.mov(.bits64, X64Memory(base: destination, index: .rax, scale: 8), .r11)
        assembler.inc(.bits64, .rax)
        assembler.jmp(loop)
        assembler.bind(done)
    }
}
