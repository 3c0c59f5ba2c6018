import WasmFrontEnd

extension X64CodeGenerator {
    // MARK: Structure

    /// Tracks block nesting in dead code, where nothing is emitted, and resumes emission at
    /// the `else` or `end` of a frame whose entry was reachable.
    mutating func emitUnreachableStructure(_ instruction: Instruction) {
        switch instruction {
        case .block(let blockType), .loop(let blockType), .if(let blockType):
            let (parameters, results) = blockSignature(blockType)
            frames.append(ControlFrame(kind: .block, label: assembler.newLabel(), elseLabel: nil, base: stack.count,
                                       parameters: parameters, results: results, reachableAtEntry: false))
        case .else:
            if frames[frames.count - 1].reachableAtEntry { enterElse() }
        case .end:
            endFrame()
        default:
            break
        }
    }

    /// Starts the `else` arm: the `then` arm has already jumped to the end (or is dead).
    mutating func enterElse() {
        let frame = frames[frames.count - 1]
        if let elseLabel = frame.elseLabel {
            assembler.bind(elseLabel)
            frames[frames.count - 1].elseLabel = nil
        }
        resetStack(base: frame.base, types: frame.parameters)
        reachable = frame.reachableAtEntry
    }

    /// Closes the innermost frame. Operands are spilled (or the code is dead).
    mutating func endFrame() {
        let frame = frames.removeLast()
        if frame.kind == .function {
            if reachable { emitReturn() }
            reachable = false
            return
        }
        guard frame.reachableAtEntry else { return }
        if let elseLabel = frame.elseLabel { assembler.bind(elseLabel) }  // `if` without `else`
        if frame.kind != .loop { assembler.bind(frame.label) }
        resetStack(base: frame.base, types: frame.results)
        reachable = true
    }

    // MARK: Branches

    /// Moves the values a branch to `frame` carries into the frame's slots.
    mutating func emitBranchMoves(to frame: ControlFrame) {
        let count = frame.branchTypes.count
        let first = stack.count - count
        for index in 0..<count {
            store(stack[first + index], to: slotAddress(frame.base + index), position: first + index)
        }
    }

    /// Whether the carried values already sit in the target's slots (all operands spilled).
    func branchNeedsNoMoves(to frame: ControlFrame) -> Bool {
        stack.count - frame.branchTypes.count == frame.base
    }

    mutating func emitBranch(depth: Int) {
        let frameIndex = frames.count - 1 - depth
        if frameIndex == 0 {
            emitReturn()
            return
        }
        let frame = frames[frameIndex]
        emitBranchMoves(to: frame)
        assembler.jmp(frame.label)
    }

    mutating func emitBranchIf(depth: Int) {
        let condition = popGPR()
        spillAll()
        assembler.test(.bits32, condition, condition)
        release(condition)
        let frameIndex = frames.count - 1 - depth
        let frame = frames[frameIndex]
        if frameIndex != 0 && branchNeedsNoMoves(to: frame) {
            assembler.jcc(.notEqual, frame.label)
            return
        }
        let skip = assembler.newLabel()
        assembler.jcc(.equal, skip)
        emitBranch(depth: depth)
        assembler.bind(skip)
    }

    /// `br_table`: a bounds check to the default, then a jump table of 32-bit offsets (relative
    /// to the table) to one stub per distinct target depth that moves the carried values.
    mutating func emitBranchTable(_ table: BranchTable) {
        let index = popGPR()
        spillAll()
        var depths: [UInt32] = []
        var stubs: [X64Label] = []
        func stub(for depth: UInt32, assembler: inout X64Assembler) -> X64Label {
            if let position = depths.firstIndex(of: depth) { return stubs[position] }
            depths.append(depth)
            let label = assembler.newLabel()
            stubs.append(label)
            return label
        }
        let defaultStub = stub(for: table.defaultTarget, assembler: &assembler)
        if !table.targets.isEmpty {
            assembler.mov(.bits32, index, index)  // zero-extend for the 64-bit index below
            assembler.alu(.cmp, .bits32, index, immediate: Int32(truncatingIfNeeded: min(table.targets.count, Int(Int32.max))))
            assembler.jcc(.aboveOrEqual, defaultStub)
            let tableLabel = assembler.newLabel()
            assembler.lea(Self.scratch, X64Memory(rip: tableLabel))
            assembler.movsx(.bits64, index, X64Memory(base: Self.scratch, index: index, scale: 4), from: .bits32)
            assembler.alu(.add, .bits64, Self.scratch, index)
            assembler.jmp(Self.scratch)
            assembler.bind(tableLabel)
            let tableStart = assembler.offset
            for target in table.targets {
                assembler.emitLabelOffset(stub(for: target, assembler: &assembler), relativeTo: tableStart)
            }
        } else {
            assembler.jmp(defaultStub)
        }
        release(index)
        for (position, depth) in depths.enumerated() {
            assembler.bind(stubs[position])
            emitBranch(depth: Int(depth))
        }
    }

    // MARK: Calls

    /// Spills everything and copies the top `count` operands to the outgoing argument area.
    mutating func prepareCallArguments(_ type: FunctionType) {
        spillAll()
        maxOutgoingSlots = max(maxOutgoingSlots, VMValueSlots.count(type.parameters), VMValueSlots.count(type.results))
        let count = type.parameters.count
        let first = stack.count - count
        let offsets = VMValueSlots.byteOffsets(type.parameters)
        for index in 0..<count {
            store(stack[first + index], to: .at(.rsp, Int32(offsets[index])), position: first + index)
        }
        truncateStack(to: first)
    }

    /// After a call: reload the pinned registers and push the results from the outgoing area.
    mutating func finishCall(results: [ValueType]) {
        reloadContext()
        let offsets = VMValueSlots.byteOffsets(results)
        for (index, type) in results.enumerated() {
            pushLoaded(type, from: .at(.rsp, Int32(offsets[index])))
        }
    }

    mutating func emitCall(function: UInt32, at offset: Int) throws(WasmError) {
        let type = context.types[Int(context.functionTypeIndices[Int(function)])]
        prepareCallArguments(type)
        if Int(function) < context.importedFunctionCount {
            let entry = try displacement(function, scale: VMFuncRefLayout.size, at: offset)
            assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.functions)))
            assembler.mov(.bits64, Self.scratch, .at(.rax, entry + Int32(VMFuncRefLayout.code)))
            assembler.mov(.bits64, Self.contextRegister, .at(.rax, entry + Int32(VMFuncRefLayout.vmctx)))
            assembler.call(Self.scratch)
        } else {
            try emitDefinedCall(function)
        }
        finishCall(results: type.results)
    }

    mutating func emitCallIndirect(typeIndex: UInt32, table: UInt32, at offset: Int) throws(WasmError) {
        let type = context.types[Int(typeIndex)]
        let tableDisplacement = try displacement(table, scale: 8, at: offset)
        let typeDisplacement = try displacement(typeIndex, scale: 8, at: offset)
        let index = popGPR()
        prepareCallArguments(type)
        // rax = VMTable*, r11 = element index (zero-extended).
        assembler.mov(.bits32, Self.scratch, index)
        release(index)
        assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.tables)))
        assembler.mov(.bits64, .rax, .at(.rax, tableDisplacement))
        assembler.alu(.cmp, .bits64, Self.scratch, .at(.rax, Int32(VMTableLayout.length)))
        assembler.jcc(.aboveOrEqual, trapLabel(.undefinedElement))
        assembler.mov(.bits64, .rax, .at(.rax, Int32(VMTableLayout.elements)))
        assembler.mov(.bits64, .rax, X64Memory(base: .rax, index: Self.scratch, scale: 8))
        assembler.test(.bits64, .rax, .rax)
        assembler.jcc(.equal, trapLabel(.uninitializedElement))
        assembler.mov(.bits64, Self.scratch, .at(Self.contextRegister, Int32(VMContextLayout.typeIDs)))
        assembler.mov(.bits64, Self.scratch, .at(Self.scratch, typeDisplacement))
        assembler.alu(.cmp, .bits64, Self.scratch, .at(.rax, Int32(VMFuncRefLayout.typeID)))
        assembler.jcc(.notEqual, trapLabel(.indirectCallTypeMismatch))
        assembler.mov(.bits64, Self.contextRegister, .at(.rax, Int32(VMFuncRefLayout.vmctx)))
        assembler.call(.at(.rax, Int32(VMFuncRefLayout.code)))
        finishCall(results: type.results)
    }

    /// Calls a runtime builtin with the C convention: `(vmctx, immediates…, operands…)`.
    /// `operands` gives the width of each popped operand (bottom first; 32-bit ones are
    /// zero-extended). Builtins with a `result` type push it; the others return a trap kind.
    mutating func emitBuiltinCall(_ builtin: VMBuiltin, immediates: [UInt64], operands: [X64OperandSize], result: ValueType?) {
        let argumentRegisters: [X64GPR] = [.rdi, .rsi, .rdx, .rcx, .r8, .r9]
        spillAll()
        var next = 1
        for value in immediates {
            assembler.movImmediate(.bits64, argumentRegisters[next], value)
            next += 1
        }
        let first = stack.count - operands.count
        for (index, size) in operands.enumerated() {
            assembler.mov(size, argumentRegisters[next], slotAddress(first + index))
            next += 1
        }
        truncateStack(to: first)
        assembler.mov(.bits64, .rdi, Self.contextRegister)
        assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.builtins)))
        assembler.call(.at(.rax, Int32(8 * builtin.rawValue)))
        reloadContext()
        if let result {
            let register = allocateGPR()
            assembler.mov(Self.size(of: result), register, .rax)
            pushGPR(result, register)
        } else if builtin != .dataDrop && builtin != .elemDrop {
            let dispatch = builtinTrapDispatch ?? assembler.newLabel()
            builtinTrapDispatch = dispatch
            assembler.test(.bits32, .rax, .rax)
            assembler.jcc(.notEqual, dispatch)
        }
    }

    // MARK: Parametric

    mutating func emitSelect() {
        let condition = popGPR()
        let secondPosition = stack.count - 1
        let second = pop()
        let type = second.type
        if type == .f32 || type == .f64 || type == .v128 {
            let secondRegister = materializeXMM(second, position: secondPosition)
            let firstRegister = popXMM()
            let keep = assembler.newLabel()
            assembler.test(.bits32, condition, condition)
            assembler.jcc(.notEqual, keep, short: true)
            assembler.movaps(firstRegister, secondRegister)
            assembler.bind(keep)
            release(secondRegister)
            release(condition)
            pushXMM(type, firstRegister)
            return
        }
        let secondRegister = materializeGPR(second, position: secondPosition)
        let firstRegister = popGPR()
        assembler.test(.bits32, condition, condition)
        assembler.cmov(.equal, Self.size(of: type), firstRegister, secondRegister)
        release(secondRegister)
        release(condition)
        pushGPR(type, firstRegister)
    }
}
