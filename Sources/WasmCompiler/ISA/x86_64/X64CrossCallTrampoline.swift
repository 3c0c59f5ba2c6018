/// The cross-program call trampoline on x86_64 (contract: `VMCrossCallContextLayout`). It is
/// called like any wasm function: r15 = its `VMCrossCallContext`, the caller's argument/result
/// slots at [rsp + 8]. It calls no builtin, so in the kernel it runs entirely in user mode.
///
/// Frame of the outer part (rbp = its frame pointer; caller slot i at [rbp + 16 + 8i]):
/// [rbp-8] activation record, [rbp-16] its saved entryStackPointer, [rbp-24] the context,
/// [rbp-32-8k] offset of buffer k in the callee's memory.
/// The inner part ("boundary") is called from the outer part; it lays out the callee-saved
/// register area exactly like the entry trampoline, so the callee's trap exit (pop them, `ret`)
/// returns from it with the trap kind in eax.
enum X64CrossCallTrampoline {
    static func emit(_ shape: CrossCallShape, into assembler: inout X64Assembler) {
        let buffers = shape.buffers
        func callerSlot(_ index: Int) -> X64Memory { .at(.rbp, Int32(16 + 8 * index)) }
        func bufferOffset(_ index: Int) -> X64Memory { .at(.rbp, Int32(-32 - 8 * index)) }
        let record = X64Memory.at(.rbp, -8)
        let savedStackPointer = X64Memory.at(.rbp, -16)
        let context = X64Memory.at(.rbp, -24)
        func field(_ offset: Int) -> X64Memory { .at(.r15, Int32(offset)) }

        let boundary = assembler.newLabel()
        let trapped = assembler.newLabel()
        let failed = assembler.newLabel()
        let outOfBounds = assembler.newLabel()
        let tooLarge = assembler.newLabel()
        let busy = assembler.newLabel()
        let returnStatus = assembler.newLabel()

        // Entry: rsp ≡ 8 (mod 16). After push rbp and the 16-byte-multiple frame: rsp ≡ 0.
        assembler.push(.rbp)
        assembler.mov(.bits64, .rbp, .rsp)
        assembler.alu(.sub, .bits64, .rsp, immediate: Int32((24 + 8 * buffers.count + 15) & ~15))
        assembler.mov(.bits64, context, .r15)
        assembler.mov(.bits64, .rax, field(VMCrossCallContextLayout.serviceState))
        assembler.alu(.cmp, .bits32, .at(.rax, Int32(VMServiceStateLayout.failed)), immediate: 0)
        assembler.jcc(.notEqual, failed)
        assembler.alu(.cmp, .bits32, .at(.rax, Int32(VMServiceStateLayout.busy)), immediate: 0)
        assembler.jcc(.notEqual, busy)

        if !buffers.isEmpty {
            // r8 = caller VMMemory, r10 = next free offset in the buffer area, r9 = its end.
            assembler.mov(.bits64, .r8, field(VMCrossCallContextLayout.callerMemory))
            assembler.mov(.bits64, .r10, field(VMCrossCallContextLayout.bufferAreaOffset))
            assembler.mov(.bits64, .r9, .r10)
            assembler.alu(.add, .bits64, .r9, field(VMCrossCallContextLayout.bufferAreaCapacity))
            for (index, buffer) in buffers.enumerated() {
                // 32-bit loads zero-extend: pointer + length cannot overflow 64 bits.
                assembler.mov(.bits32, .rax, callerSlot(buffer.pointerSlot))
                assembler.mov(.bits32, .rcx, callerSlot(buffer.lengthSlot))
                assembler.alu(.add, .bits64, .rax, .rcx)
                assembler.alu(.cmp, .bits64, .rax, .at(.r8, Int32(VMMemoryLayout.length)))
                assembler.jcc(.above, outOfBounds)
                assembler.mov(.bits64, bufferOffset(index), .r10)
                assembler.alu(.add, .bits64, .r10, .rcx)
                assembler.alu(.cmp, .bits64, .r10, .r9)
                assembler.jcc(.above, tooLarge)
                assembler.alu(.add, .bits64, .r10, immediate: 15)
                assembler.alu(.and, .bits64, .r10, immediate: -16)
            }
        }

        if let slot = shape.resultsPointerSlot {
            // The results' destination must lie in the caller's memory (8 bytes per slot).
            assembler.mov(.bits64, .r8, field(VMCrossCallContextLayout.callerMemory))
            assembler.mov(.bits32, .rax, callerSlot(slot))
            assembler.alu(.add, .bits64, .rax, immediate: Int32(8 * shape.resultSlots))
            assembler.alu(.cmp, .bits64, .rax, .at(.r8, Int32(VMMemoryLayout.length)))
            assembler.jcc(.above, outOfBounds)
        }
        // Take the service: atomically, callers on other CPUs may race for it.
        assembler.mov(.bits64, .rcx, field(VMCrossCallContextLayout.serviceState))
        assembler.movImmediate(.bits32, .rax, 1)
        assembler.xchg(.bits32, .at(.rcx, Int32(VMServiceStateLayout.busy)), .rax)
        assembler.test(.bits32, .rax, .rax)
        assembler.jcc(.notEqual, busy)
        // The trap boundary: remember the activation's entry stack pointer, call the inner
        // part, restore it whichever way the inner part came back. The callee's store sees
        // the caller's activation and stack limit.
        assembler.mov(.bits64, .rax, field(VMCrossCallContextLayout.storeContext))
        assembler.mov(.bits64, .rdx, field(VMCrossCallContextLayout.calleeStoreContext))
        assembler.mov(.bits64, .rcx, .at(.rax, Int32(VMStoreContextLayout.stackLimit)))
        assembler.mov(.bits64, .at(.rdx, Int32(VMStoreContextLayout.stackLimit)), .rcx)
        assembler.mov(.bits64, .rax, .at(.rax, Int32(VMStoreContextLayout.activation)))
        assembler.mov(.bits64, .at(.rdx, Int32(VMStoreContextLayout.activation)), .rax)
        assembler.mov(.bits64, record, .rax)
        assembler.mov(.bits64, .rcx, .at(.rax, Int32(VMActivationLayout.entryStackPointer)))
        assembler.mov(.bits64, savedStackPointer, .rcx)
        assembler.call(boundary)
        assembler.mov(.bits64, .rcx, record)
        assembler.mov(.bits64, .rdx, savedStackPointer)
        assembler.mov(.bits64, .at(.rcx, Int32(VMActivationLayout.entryStackPointer)), .rdx)
        assembler.mov(.bits64, .rcx, context)
        assembler.mov(.bits64, .rcx, .at(.rcx, Int32(VMCrossCallContextLayout.serviceState)))
        assembler.mov(.bits32, .at(.rcx, Int32(VMServiceStateLayout.busy)), immediate: 0)
        assembler.test(.bits32, .rax, .rax)
        assembler.jcc(.notEqual, trapped)
        assembler.mov(.bits64, callerSlot(0), immediate: 0)
        assembler.leave()
        assembler.ret()

        assembler.bind(trapped)
        assembler.mov(.bits64, .r15, context)
        assembler.mov(.bits64, .rcx, field(VMCrossCallContextLayout.serviceState))
        assembler.mov(.bits32, .at(.rcx, Int32(VMServiceStateLayout.failed)), immediate: 1)
        assembler.mov(.bits32, .at(.rcx, Int32(VMServiceStateLayout.trapKind)), .rax)
        assembler.alu(.or, .bits32, .rax, immediate: Int32(CrossCallStatus.trapped))
        assembler.jmp(returnStatus)
        assembler.bind(failed)
        assembler.movImmediate(.bits32, .rax, UInt64(CrossCallStatus.serviceFailed))
        assembler.jmp(returnStatus)
        assembler.bind(outOfBounds)
        assembler.movImmediate(.bits32, .rax, UInt64(CrossCallStatus.bufferOutOfBounds))
        assembler.jmp(returnStatus)
        assembler.bind(busy)
        assembler.movImmediate(.bits32, .rax, UInt64(CrossCallStatus.serviceBusy))
        assembler.jmp(returnStatus)
        assembler.bind(tooLarge)
        assembler.movImmediate(.bits32, .rax, UInt64(CrossCallStatus.bufferTooLarge))
        // Status in slot 0, zero results after it; nothing else of the caller changes.
        assembler.bind(returnStatus)
        assembler.mov(.bits64, callerSlot(0), .rax)
        if shape.resultSlots > 0, shape.resultsPointerSlot == nil {
            assembler.alu(.xor, .bits32, .rax, .rax)
            for index in 0..<shape.resultSlots { assembler.mov(.bits64, callerSlot(1 + index), .rax) }
        }
        assembler.leave()
        assembler.ret()

        // Inner part. Entry rsp ≡ 8; after the 48-byte register area still ≡ 8; the slot area
        // makes it ≡ 0 at the call.
        assembler.bind(boundary)
        // The trap exit pops `calleeSaved` and returns. Only rbp must survive (the outer part
        // addresses its frame through it); the other registers are caller-saved for wasm code,
        // so their slots are reserved but not written.
        let savedRegisterBytes = 8 * X64Stubs.calleeSaved.count
        let rbpSlot = Array(X64Stubs.calleeSaved.reversed()).firstIndex(of: .rbp) ?? 0
        assembler.alu(.sub, .bits64, .rsp, immediate: Int32(savedRegisterBytes))
        assembler.mov(.bits64, .at(.rsp, Int32(8 * rbpSlot)), .rbp)
        assembler.mov(.bits64, .rax, record)
        assembler.mov(.bits64, .at(.rax, Int32(VMActivationLayout.entryStackPointer)), .rsp)
        var slotBytes = 8 * max(shape.calleeSlots, 1)
        if slotBytes % 16 == 0 { slotBytes += 8 }
        assembler.alu(.sub, .bits64, .rsp, immediate: Int32(slotBytes))
        for index in 0..<shape.parameterSlots {
            assembler.mov(.bits64, .rax, callerSlot(index))
            assembler.mov(.bits64, .at(.rsp, Int32(8 * index)), .rax)
        }
        if !buffers.isEmpty {
            assembler.mov(.bits64, .r15, context)
            emitLoadBases(into: &assembler)
            for (index, buffer) in buffers.enumerated() {
                assembler.mov(.bits64, .rax, bufferOffset(index))
                assembler.mov(.bits64, .at(.rsp, Int32(8 * buffer.pointerSlot)), .rax)
                guard buffer.direction.copiesIn else { continue }
                assembler.lea(.rdi, X64Memory(base: .r9, index: .rax, scale: 1))
                assembler.mov(.bits32, .rsi, callerSlot(buffer.pointerSlot))
                assembler.alu(.add, .bits64, .rsi, .r8)
                assembler.mov(.bits32, .rcx, callerSlot(buffer.lengthSlot))
                emitRepMovsb(into: &assembler)
            }
        }
        assembler.mov(.bits64, .r15, context)
        assembler.mov(.bits64, .rax, field(VMCrossCallContextLayout.calleeCode))
        assembler.mov(.bits64, .r15, field(VMCrossCallContextLayout.calleeVMContext))
        assembler.call(.rax)
        if buffers.contains(where: { $0.direction.copiesOut }) {
            // Bases are reloaded: with explicit bounds checks a memory may move when it grows.
            assembler.mov(.bits64, .r15, context)
            emitLoadBases(into: &assembler)
            for (index, buffer) in buffers.enumerated() where buffer.direction.copiesOut {
                assembler.mov(.bits64, .rsi, bufferOffset(index))
                assembler.alu(.add, .bits64, .rsi, .r9)
                assembler.mov(.bits32, .rdi, callerSlot(buffer.pointerSlot))
                assembler.alu(.add, .bits64, .rdi, .r8)
                assembler.mov(.bits32, .rcx, callerSlot(buffer.lengthSlot))
                emitRepMovsb(into: &assembler)
            }
        }
        if let slot = shape.resultsPointerSlot {
            // Into the caller's memory at results_ptr (checked before the call).
            assembler.mov(.bits64, .r15, context)
            emitLoadBases(into: &assembler)
            assembler.mov(.bits32, .rdx, callerSlot(slot))
            assembler.alu(.add, .bits64, .rdx, .r8)
            for index in 0..<shape.resultSlots {
                assembler.mov(.bits64, .rax, .at(.rsp, Int32(8 * index)))
                assembler.mov(.bits64, .at(.rdx, Int32(8 * index)), .rax)
            }
        } else {
            for index in 0..<shape.resultSlots {
                assembler.mov(.bits64, .rax, .at(.rsp, Int32(8 * index)))
                assembler.mov(.bits64, callerSlot(1 + index), .rax)
            }
        }
        assembler.alu(.add, .bits64, .rsp, immediate: Int32(slotBytes + savedRegisterBytes))
        assembler.alu(.xor, .bits32, .rax, .rax)
        assembler.ret()
    }

    /// r8 = caller memory base, r9 = callee memory base (r15 = the context).
    private static func emitLoadBases(into assembler: inout X64Assembler) {
        assembler.mov(.bits64, .r8, .at(.r15, Int32(VMCrossCallContextLayout.callerMemory)))
        assembler.mov(.bits64, .r8, .at(.r8, Int32(VMMemoryLayout.base)))
        assembler.mov(.bits64, .r9, .at(.r15, Int32(VMCrossCallContextLayout.calleeMemory)))
        assembler.mov(.bits64, .r9, .at(.r9, Int32(VMMemoryLayout.base)))
    }

    /// `rep movsb`: copies rcx bytes from [rsi] to [rdi] (direction flag clear by the ABI).
    private static func emitRepMovsb(into assembler: inout X64Assembler) {
        assembler.emit(0xF3)
        assembler.emit(0xA4)
    }
}

/// Machine code for a set of cross-program call trampolines.
public struct CompiledCrossCallTrampolines: Sendable {
    /// Position-independent code; copy it into executable memory as is.
    public var code: [UInt8]
    /// Entry offset of each trampoline in `code`, parallel to the shapes compiled.
    public var entries: [UInt32]
}

/// Compiles one cross-program call trampoline per shape (see `VMCrossCallContextLayout`) for
/// the running ISA. Nil if a shape is out of range (more than 4096 slots, a buffer whose slots
/// are not parameters, more than 64 buffers).
public func compileCrossCallTrampolines(_ shapes: [CrossCallShape]) -> CompiledCrossCallTrampolines? {
    var assembler = X64Assembler()
    var entries: [UInt32] = []
    for shape in shapes {
        guard shape.parameterSlots >= 0, shape.parameterSlots <= 4096, shape.resultSlots >= 0,
              shape.resultSlots <= 4096, shape.buffers.count <= 64,
              shape.buffers.allSatisfy({ $0.pointerSlot >= 0 && $0.pointerSlot < shape.parameterSlots
                  && $0.lengthSlot >= 0 && $0.lengthSlot < shape.parameterSlots }),
              shape.resultsPointerSlot.map({ $0 >= shape.parameterSlots && $0 <= 4096 }) ?? true
        else { return nil }
        while assembler.offset % 16 != 0 { assembler.int3() }
        entries.append(UInt32(assembler.offset))
        X64CrossCallTrampoline.emit(shape, into: &assembler)
    }
    guard assembler.resolveFixups() else { return nil }
    return CompiledCrossCallTrampolines(code: assembler.bytes, entries: entries)
}
