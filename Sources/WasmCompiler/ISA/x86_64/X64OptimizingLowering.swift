import WasmFrontEnd

/// x86_64 lowering of the optimising tier: IR + register allocation → machine code, into the
/// same assembler, trap table and calling convention as the baseline tier (so functions of
/// both tiers call each other freely).
///
/// Registers:
/// - allocated: rbx, rsi, rdi, r8, r9, r12, r13 and xmm4–xmm14 (the allocator's indices);
/// - *bridge pool*: rax, rcx, rdx, r10 and xmm0–xmm3 — free between instructions, used as
///   temporaries here and handed to the baseline emitters for the operations this file does
///   not lower itself (division, float conversions, min/max, …), so their exact wasm semantics
///   have a single implementation;
/// - scratch r11 / xmm15 as in the baseline; pinned r15 (VMContext), r14 (memory-0 base).
///
/// Frame (rbp-relative): `[rbp-8]` VMContext, `[rbp-16]` reserved, `[rbp-24-8j]` spill slot
/// j (a v128 in the pair j, j+1 with j even: `[rbp-32-8j]`, 16-byte aligned as rbp is), then
/// the bridge's operand slots (16 bytes each, aligned, in functions that hold v128 values),
/// then the outgoing argument area at `[rsp]`.
/// i32 values in registers are kept zero-extended; i32 values are always read from slots with
/// 32-bit loads (their upper halves are unspecified). v128 values live in the same xmm
/// registers as floats.
extension X64CodeGenerator {
    static let optimizingGPRs: [X64GPR] = [.rbx, .rsi, .rdi, .r8, .r9, .r12, .r13]
    static let optimizingXMMs: [X64XMM] = [.xmm4, .xmm5, .xmm6, .xmm7, .xmm8, .xmm9, .xmm10, .xmm11, .xmm12, .xmm13, .xmm14]
    static let bridgeGPRs: [X64GPR] = [.rax, .rcx, .rdx, .r10]
    static let bridgeXMMs: [X64XMM] = [.xmm0, .xmm1, .xmm2, .xmm3]
    /// Stack positions of the slots that save registers the bridge borrows (beyond any operand
    /// or scratch position a bridged emitter uses).
    static let bridgeSaveSlotBase = 8
    static var optimizingRegisters: AllocatableRegisters {
        AllocatableRegisters(integer: optimizingGPRs.count, float: optimizingXMMs.count)
    }

    /// Lowers one optimised function at the current offset.
    mutating func lowerOptimized(_ function: IRFunction, allocation: RegisterAllocation,
                                 bindFunctionLabel: Bool = true) throws(WasmError) -> CompiledFunction {
        var lowering = X64Lowering(function: function, allocation: allocation)
        functionIndex = function.functionIndex
        trapLabels = Array(repeating: nil, count: Self.allTrapKinds.count + 1)
        builtinTrapDispatch = nil
        frameSizePatches.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        maxStackHeight = 0
        maxOutgoingSlots = 0
        // The bridge's operand slots sit right below the spill slots: 16 bytes each (and
        // aligned) when the function holds v128 values, which the baseline emitters may spill.
        slotBytes = function.values.contains { $0.type == .v128 } ? 16 : 8
        declaredLocalCount = (8 * allocation.spillSlotCount + slotBytes - 1) / slotBytes
        parameterCount = 0
        reachable = true
        let start = assembler.offset
        // An on-stack-replacement entry is not the function: calls to the function do not come here.
        if bindFunctionLabel { assembler.bind(functionLabels[Int(function.functionIndex) - context.importedFunctionCount]) }
        emitOptimizedPrologue(&lowering)
        let layout = function.liveBlocks
        for block in layout { lowering.blockLabels[block.id] = assembler.newLabel() }
        for (position, block) in layout.enumerated() {
            let next = position + 1 < layout.count ? layout[position + 1] : nil
            try lowerBlock(block, next: next, &lowering)
        }
        for stub in lowering.edgeStubs {
            assembler.bind(stub.label)
            emitEdgeMoves(stub.edge, &lowering)
            assembler.jmp(lowering.blockLabels[stub.edge.target.id]!)
        }
        emitTrapStubs()
        let frameBytes = Self.fixedFrameBytes + slotBytes * (declaredLocalCount + maxStackHeight) + 8 * maxOutgoingSlots
        guard frameBytes <= Self.maximumFrameBytes else {
            throw limitError("function frame too large for this implementation", at: 0)
        }
        let frameSize = (frameBytes + 15) & ~15
        for patch in frameSizePatches { assembler.patch32(at: patch, UInt32(truncatingIfNeeded: frameSize)) }
        if let first = frameSizePatches.first { assembler.patch32(at: first, UInt32(bitPattern: Int32(-frameSize))) }
        return CompiledFunction(codeOffset: UInt32(start), codeSize: UInt32(assembler.offset - start),
                                frameSize: UInt32(frameSize + 16))
    }

    mutating func emitOptimizedPrologue(_ lowering: inout X64Lowering) {
        assembler.push(.rbp)
        assembler.mov(.bits64, .rbp, .rsp)
        assembler.mov(.bits64, Self.scratch, .at(Self.contextRegister, Int32(VMContextLayout.storeContext)))
        assembler.lea(.rax, .at(.rsp, -0x10000))
        frameSizePatches.append(assembler.offset - 4)
        assembler.alu(.cmp, .bits64, .rax, .at(Self.scratch, Int32(VMStoreContextLayout.stackLimit)))
        assembler.jcc(.below, trapLabel(.callStackExhausted))
        assembler.alu(.sub, .bits64, .rsp, immediate: 0x10000)
        frameSizePatches.append(assembler.offset - 4)
        assembler.mov(.bits64, .at(.rbp, Self.savedContextOffset), Self.contextRegister)
        assembler.mov(.bits64, .at(.rbp, -16), immediate: 0)
        reloadMemoryBase()
        // Parameters arrive in the argument slots.
        var moves: [X64Move] = []
        let offsets = VMValueSlots.byteOffsets(lowering.function.type.parameters)
        for (index, parameter) in lowering.function.blocks[0].parameters.enumerated() {
            let destination = lowering.moveLocation(parameter)
            if destination == .none { continue }
            moves.append(X64Move(destination: destination, source: .memory(.at(.rbp, Int32(16 + offsets[index]))),
                                 type: lowering.function.type(of: parameter)))
        }
        emitParallelMoves(moves)
    }

    // MARK: Blocks

    mutating func lowerBlock(_ block: IRBlockID, next: IRBlockID?, _ lowering: inout X64Lowering) throws(WasmError) {
        assembler.bind(lowering.blockLabels[block.id]!)
        let instructions = lowering.function.blocks[block.id].instructions
        let terminator = lowering.function.blocks[block.id].terminator
        // Compare-and-branch fusion: a compare used only by the block's branch.
        var fused: IRInstruction?
        if case .branch(let condition, _, _) = terminator, let last = instructions.last, last.result == condition,
           lowering.uses[condition.id] == 1, case .numeric(let operation) = last.operation, Self.fusedCondition(operation) != nil {
            fused = last
        }
        let count = fused == nil ? instructions.count : instructions.count - 1
        for index in 0..<count {
            try lowerInstruction(instructions[index], &lowering)
        }
        switch terminator {
        case .jump(let edge):
            emitEdgeMoves(edge, &lowering)
            if edge.target != next { assembler.jmp(lowering.blockLabels[edge.target.id]!) }
        case .branch(let condition, let taken, let notTaken):
            var whenTrue: X64Condition = .notEqual
            if let fused, case .numeric(let operation) = fused.operation {
                whenTrue = emitCompare(operation, fused.operands, &lowering)
            } else {
                testCondition(condition, &lowering)
            }
            emitConditionalEdges(whenTrue, taken, notTaken, next: next, &lowering)
        case .branchTable(let index, let targets, let defaultTarget):
            emitBranchTable(index, targets, defaultTarget, &lowering)
        case .return(let values):
            var moves: [X64Move] = []
            let offsets = VMValueSlots.byteOffsets(lowering.function.type.results)
            for (position, value) in values.enumerated() {
                moves.append(X64Move(destination: .memory(.at(.rbp, Int32(16 + offsets[position]))),
                                     source: lowering.moveLocation(value), type: lowering.function.type(of: value)))
            }
            emitParallelMoves(moves)
            assembler.leave()
            assembler.ret()
        case .trap(let kind):
            assembler.jmp(trapLabel(kind))
        }
    }

    mutating func emitConditionalEdges(_ whenTrue: X64Condition, _ taken: IREdge, _ notTaken: IREdge, next: IRBlockID?,
                                       _ lowering: inout X64Lowering) {
        let takenLabel = lowering.blockLabels[taken.target.id]!
        let notTakenLabel = lowering.blockLabels[notTaken.target.id]!
        let takenMoves = lowering.hasMoves(taken)
        let notTakenMoves = lowering.hasMoves(notTaken)
        if !takenMoves && !notTakenMoves {
            if taken.target == next {
                assembler.jcc(whenTrue.inverted, notTakenLabel)
            } else {
                assembler.jcc(whenTrue, takenLabel)
                if notTaken.target != next { assembler.jmp(notTakenLabel) }
            }
        } else if !notTakenMoves {
            // Leave for the plain edge, then do the moves of the taken one inline.
            assembler.jcc(whenTrue.inverted, notTakenLabel)
            emitEdgeMoves(taken, &lowering)
            if taken.target != next { assembler.jmp(takenLabel) }
        } else if !takenMoves {
            assembler.jcc(whenTrue, takenLabel)
            emitEdgeMoves(notTaken, &lowering)
            if notTaken.target != next { assembler.jmp(notTakenLabel) }
        } else {
            let stub = assembler.newLabel()
            lowering.edgeStubs.append((stub, notTaken))
            assembler.jcc(whenTrue.inverted, stub)
            emitEdgeMoves(taken, &lowering)
            if taken.target != next { assembler.jmp(takenLabel) }
        }
    }

    mutating func emitBranchTable(_ index: IRValue, _ targets: [IREdge], _ defaultTarget: IREdge, _ lowering: inout X64Lowering) {
        func label(for edge: IREdge, _ lowering: inout X64Lowering, _ assembler: inout X64Assembler) -> X64Label {
            if !lowering.hasMoves(edge) { return lowering.blockLabels[edge.target.id]! }
            let stub = assembler.newLabel()
            lowering.edgeStubs.append((stub, edge))
            return stub
        }
        let defaultLabel = label(for: defaultTarget, &lowering, &assembler)
        if targets.isEmpty {
            assembler.jmp(defaultLabel)
            return
        }
        loadGPR(index, into: .rax, &lowering)
        assembler.alu(.cmp, .bits32, .rax, immediate: Int32(truncatingIfNeeded: min(targets.count, Int(Int32.max))))
        assembler.jcc(.aboveOrEqual, defaultLabel)
        let tableLabel = assembler.newLabel()
        assembler.lea(Self.scratch, X64Memory(rip: tableLabel))
        assembler.movsx(.bits64, .rax, X64Memory(base: Self.scratch, index: .rax, scale: 4), from: .bits32)
        assembler.alu(.add, .bits64, Self.scratch, .rax)
        assembler.jmp(Self.scratch)
        var labels: [X64Label] = []
        for target in targets { labels.append(label(for: target, &lowering, &assembler)) }
        assembler.bind(tableLabel)
        let tableStart = assembler.offset
        for target in labels { assembler.emitLabelOffset(target, relativeTo: tableStart) }
    }

    mutating func emitEdgeMoves(_ edge: IREdge, _ lowering: inout X64Lowering) {
        let parameters = lowering.function.blocks[edge.target.id].parameters
        var moves: [X64Move] = []
        for (argument, parameter) in zip(edge.arguments, parameters) {
            let destination = lowering.moveLocation(parameter)
            if destination == .none { continue }
            moves.append(X64Move(destination: destination, source: lowering.moveLocation(argument),
                                 type: lowering.function.type(of: parameter)))
        }
        emitParallelMoves(moves)
    }

    /// Sets the flags for `condition != 0` (returns nothing: the caller branches on notEqual).
    mutating func testCondition(_ condition: IRValue, _ lowering: inout X64Lowering) {
        switch lowering.allocation.locations[condition.id] {
        case .register(_, let index):
            let register = Self.optimizingGPRs[index]
            assembler.test(.bits32, register, register)
        case .stack(let slot):
            assembler.alu(.cmp, .bits32, Self.spillSlot(slot), immediate: 0)
        case .constant(let bits):
            assembler.movImmediate(.bits32, Self.scratch, bits)
            assembler.test(.bits32, Self.scratch, Self.scratch)
        case .none:
            preconditionFailure("branch on a value without a location")
        }
    }

    // MARK: Locations

    static func spillSlot(_ slot: Int) -> X64Memory { .at(.rbp, Int32(-24 - 8 * slot)) }

    /// The slot of a value of `type`: a v128 takes the aligned pair `slot`, `slot + 1`.
    static func spillSlot(_ slot: Int, _ type: IRType) -> X64Memory {
        type == .v128 ? .at(.rbp, Int32(-32 - 8 * slot)) : spillSlot(slot)
    }

    static func operandSize(_ type: IRType) -> X64OperandSize { type == .i32 ? .bits32 : .bits64 }

    static func precision(_ type: IRType) -> X64Assembler.FloatPrecision { type == .f32 ? .single : .double }

    static func valueType(_ type: IRType) -> ValueType {
        switch type {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .ref: return .funcref
        }
    }

    /// Loads an integer value into `register`.
    mutating func loadGPR(_ value: IRValue, into register: X64GPR, _ lowering: inout X64Lowering) {
        let size = Self.operandSize(lowering.function.type(of: value))
        switch lowering.allocation.locations[value.id] {
        case .register(_, let index):
            let source = Self.optimizingGPRs[index]
            if source != register { assembler.mov(.bits64, register, source) }
        case .stack(let slot): assembler.mov(size, register, Self.spillSlot(slot))
        case .constant(let bits): assembler.movImmediate(size, register, bits)
        case .none: preconditionFailure("use of a value without a location")
        }
    }

    mutating func loadXMM(_ value: IRValue, into register: X64XMM, _ lowering: inout X64Lowering) {
        let type = lowering.function.type(of: value)
        let precision = Self.precision(type)
        switch lowering.allocation.locations[value.id] {
        case .register(_, let index):
            let source = Self.optimizingXMMs[index]
            if source != register { assembler.movaps(register, source) }
        case .stack(let slot) where type == .v128: assembler.movdqu(register, Self.spillSlot(slot, type))
        case .stack(let slot): assembler.movFloat(precision, register, Self.spillSlot(slot))
        case .constant(let bits):
            assembler.movImmediate(.bits64, Self.scratch, bits)
            assembler.movToXMM(precision == .single ? .bits32 : .bits64, register, Self.scratch)
        case .none: preconditionFailure("use of a value without a location")
        }
    }

    /// The register a result should be computed in: its own, or `fallback`.
    func resultGPR(_ value: IRValue, fallback: X64GPR, _ lowering: X64Lowering) -> X64GPR {
        if case .register(_, let index) = lowering.allocation.locations[value.id] { return Self.optimizingGPRs[index] }
        return fallback
    }

    func resultXMM(_ value: IRValue, fallback: X64XMM, _ lowering: X64Lowering) -> X64XMM {
        if case .register(_, let index) = lowering.allocation.locations[value.id] { return Self.optimizingXMMs[index] }
        return fallback
    }

    /// Writes a result computed in `register` to its location (a no-op when it is there).
    mutating func storeResult(_ value: IRValue, from register: X64GPR, _ lowering: inout X64Lowering) {
        switch lowering.allocation.locations[value.id] {
        case .register(_, let index):
            let destination = Self.optimizingGPRs[index]
            if destination != register { assembler.mov(.bits64, destination, register) }
        case .stack(let slot): assembler.mov(.bits64, Self.spillSlot(slot), register)
        case .none, .constant: break
        }
    }

    mutating func storeResult(_ value: IRValue, from register: X64XMM, _ lowering: inout X64Lowering) {
        switch lowering.allocation.locations[value.id] {
        case .register(_, let index):
            let destination = Self.optimizingXMMs[index]
            if destination != register { assembler.movaps(destination, register) }
        case .stack(let slot):
            let type = lowering.function.type(of: value)
            if type == .v128 {
                assembler.movdqu(Self.spillSlot(slot, type), register)
            } else {
                assembler.movFloat(Self.precision(type), Self.spillSlot(slot), register)
            }
        case .none, .constant: break
        }
    }

    /// The register holding `value`, if it is in one.
    func registerOf(_ value: IRValue, _ lowering: X64Lowering) -> X64GPR? {
        if case .register(.integer, let index) = lowering.allocation.locations[value.id] { return Self.optimizingGPRs[index] }
        return nil
    }

    func xmmOf(_ value: IRValue, _ lowering: X64Lowering) -> X64XMM? {
        if case .register(.float, let index) = lowering.allocation.locations[value.id] { return Self.optimizingXMMs[index] }
        return nil
    }

    // MARK: Instructions

    mutating func lowerInstruction(_ instruction: IRInstruction, _ lowering: inout X64Lowering) throws(WasmError) {
        let operands = instruction.operands
        switch instruction.operation {
        case .constant(let bits):
            guard let result = instruction.result else { return }
            switch lowering.allocation.locations[result.id] {
            case .register(.integer, let index):
                assembler.movImmediate(Self.operandSize(lowering.function.type(of: result)), Self.optimizingGPRs[index], bits)
            case .register(.float, let index):
                let register = Self.optimizingXMMs[index]
                if bits == 0 {
                    assembler.floatBitwise(.xor, .single, register, register)
                } else {
                    assembler.movImmediate(.bits64, Self.scratch, bits)
                    assembler.movToXMM(lowering.function.type(of: result) == .f32 ? .bits32 : .bits64, register, Self.scratch)
                }
            case .stack(let slot):
                if Int64(bitPattern: bits) >= Int64(Int32.min) && Int64(bitPattern: bits) <= Int64(Int32.max) {
                    assembler.mov(.bits64, Self.spillSlot(slot), immediate: Int32(truncatingIfNeeded: bits))
                } else {
                    assembler.movImmediate(.bits64, Self.scratch, bits)
                    assembler.mov(.bits64, Self.spillSlot(slot), Self.scratch)
                }
            case .constant, .none, .register:
                break
            }
        case .numeric(let operation):
            try lowerNumeric(operation, operands, instruction.result!, &lowering)
        case .select:
            let result = instruction.result!
            if case .constant(let bits) = lowering.allocation.locations[operands[2].id] {
                // GVN can leave a constant condition behind folding (testCondition would need r11).
                let chosen = UInt32(truncatingIfNeeded: bits) != 0 ? operands[0] : operands[1]
                emitParallelMoves([X64Move(destination: lowering.moveLocation(result), source: lowering.moveLocation(chosen),
                                           type: lowering.function.type(of: result))])
            } else if lowering.function.type(of: result).registerClass == .integer {
                loadGPR(operands[0], into: .rax, &lowering)
                loadGPR(operands[1], into: Self.scratch, &lowering)
                testCondition(operands[2], &lowering)
                assembler.cmov(.equal, .bits64, .rax, Self.scratch)
                storeResult(result, from: .rax, &lowering)
            } else {
                try bridge(.select, operands, result, &lowering)
            }
        case .boundsCheck(let memory, let end):
            assembler.movImmediate(.bits32, Self.scratch, 0)
            loadAddress(operands[0], into: Self.scratch, &lowering)
            if end <= UInt64(Int32.max) {
                assembler.lea(Self.scratch, .at(Self.scratch, Int32(end)))
            } else {
                assembler.movImmediate(.bits64, .r10, end)
                assembler.alu(.add, .bits64, Self.scratch, .r10)
            }
            assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.memories)))
            assembler.mov(.bits64, .rax, .at(.rax, try displacement(memory, scale: 8, at: 0)))
            assembler.alu(.cmp, .bits64, Self.scratch, .at(.rax, Int32(VMMemoryLayout.length)))
            assembler.jcc(.above, trapLabel(.memoryOutOfBounds))
        case .load(let operation, let argument):
            try lowerLoad(operation, argument, operands[0], instruction.result!, &lowering)
        case .store(let operation, let argument):
            try lowerStore(operation, argument, operands[0], operands[1], &lowering)
        case .frameLoad(let offset):
            let result = instruction.result!
            let type = lowering.function.type(of: result)
            loadGPR(operands[0], into: Self.scratch, &lowering)
            if type.registerClass == .integer {
                let register = resultGPR(result, fallback: .rax, lowering)
                assembler.mov(Self.operandSize(type), register, .at(Self.scratch, offset))
                storeResult(result, from: register, &lowering)
            } else {
                let register = resultXMM(result, fallback: Self.scratchXMM, lowering)
                if type == .v128 {
                    assembler.movdqu(register, .at(Self.scratch, offset))
                } else {
                    assembler.movFloat(Self.precision(type), register, .at(Self.scratch, offset))
                }
                storeResult(result, from: register, &lowering)
            }
        case .globalGet(let index):
            let result = instruction.result!
            try loadGlobalCell(index, into: Self.scratch, at: 0)
            let type = lowering.function.type(of: result)
            if type.registerClass == .integer {
                let register = resultGPR(result, fallback: .rax, lowering)
                assembler.mov(Self.operandSize(type), register, .at(Self.scratch))
                storeResult(result, from: register, &lowering)
            } else {
                let register = resultXMM(result, fallback: Self.scratchXMM, lowering)
                if type == .v128 {
                    assembler.movdqu(register, .at(Self.scratch))
                } else {
                    assembler.movFloat(Self.precision(type), register, .at(Self.scratch))
                }
                storeResult(result, from: register, &lowering)
            }
        case .globalSet(let index):
            let value = operands[0]
            let type = lowering.function.type(of: value)
            try loadGlobalCell(index, into: Self.scratch, at: 0)
            if type.registerClass == .integer {
                loadGPR(value, into: .rax, &lowering)
                assembler.mov(.bits64, .at(Self.scratch), .rax)
            } else {
                let register = xmmOf(value, lowering) ?? Self.scratchXMM
                loadXMM(value, into: register, &lowering)
                if type == .v128 {
                    assembler.movdqu(.at(Self.scratch), register)
                } else {
                    assembler.movFloat(Self.precision(type), .at(Self.scratch), register)
                }
            }
        case .call(let callee):
            let type = context.types[Int(context.functionTypeIndices[Int(callee)])]
            storeCallArguments(operands, type, &lowering)
            if Int(callee) < context.importedFunctionCount {
                let entry = try displacement(callee, scale: VMFuncRefLayout.size, at: 0)
                assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.functions)))
                assembler.mov(.bits64, Self.scratch, .at(.rax, entry + Int32(VMFuncRefLayout.code)))
                assembler.mov(.bits64, Self.contextRegister, .at(.rax, entry + Int32(VMFuncRefLayout.vmctx)))
                assembler.call(Self.scratch)
            } else {
                try emitDefinedCall(callee)
            }
            reloadContext()
        case .callIndirect(let typeIndex, let table):
            let type = context.types[Int(typeIndex)]
            let tableDisplacement = try displacement(table, scale: 8, at: 0)
            let typeDisplacement = try displacement(typeIndex, scale: 8, at: 0)
            storeCallArguments(Array(operands.dropLast()), type, &lowering)
            assembler.movImmediate(.bits32, Self.scratch, 0)
            loadGPR(operands[operands.count - 1], into: Self.scratch, &lowering)
            assembler.mov(.bits32, Self.scratch, Self.scratch)
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
            reloadContext()
        case .callResult(let index):
            guard let result = instruction.result else { return }
            let offset = lowering.callResultOffsets[Int(index)]
            emitParallelMoves([X64Move(destination: lowering.moveLocation(result), source: .memory(.at(.rsp, Int32(offset))),
                                       type: lowering.function.type(of: result))])
        case .memorySize(let memory): try bridge(.memorySize(memory: memory), operands, instruction.result, &lowering)
        case .memoryGrow(let memory): try bridge(.memoryGrow(memory: memory), operands, instruction.result, &lowering)
        case .memoryFill(let memory): try bridge(.memoryFill(memory: memory), operands, nil, &lowering)
        case .memoryCopy(let destination, let source):
            try bridge(.memoryCopy(destination: destination, source: source), operands, nil, &lowering)
        case .memoryInit(let data, let memory): try bridge(.memoryInit(data: data, memory: memory), operands, nil, &lowering)
        case .dataDrop(let data): try bridge(.dataDrop(data: data), operands, nil, &lowering)
        case .tableGet(let table): try bridge(.tableGet(table: table), operands, instruction.result, &lowering)
        case .tableSet(let table): try bridge(.tableSet(table: table), operands, nil, &lowering)
        case .tableSize(let table): try bridge(.tableSize(table: table), operands, instruction.result, &lowering)
        case .tableGrow(let table): try bridge(.tableGrow(table: table), operands, instruction.result, &lowering)
        case .tableFill(let table): try bridge(.tableFill(table: table), operands, nil, &lowering)
        case .tableCopy(let destination, let source):
            try bridge(.tableCopy(destination: destination, source: source), operands, nil, &lowering)
        case .tableInit(let element, let table): try bridge(.tableInit(element: element, table: table), operands, nil, &lowering)
        case .elemDrop(let element): try bridge(.elemDrop(element: element), operands, nil, &lowering)
        case .refIsNull: try bridge(.refIsNull, operands, instruction.result, &lowering)
        case .refFunc(let function): try bridge(.refFunc(function: function), operands, instruction.result, &lowering)
        case .vector(let wasm): try lowerVector(wasm, operands, instruction.result!, &lowering)
        case .vectorLoad(.simdLoad(.v128Load, let argument)):
            let operand = try memoryOperand(operands[0], argument, &lowering)
            let result = instruction.result!
            let register = resultXMM(result, fallback: Self.scratchXMM, lowering)
            if accessesMayFault && argument.offset <= UInt64(Int32.max) { recordTrapSite(.memoryOutOfBounds) }
            assembler.movdqu(register, operand)
            storeResult(result, from: register, &lowering)
        case .vectorStore(.v128Store(let argument)):
            let value = xmmOf(operands[1], lowering) ?? Self.scratchXMM
            loadXMM(operands[1], into: value, &lowering)
            let operand = try memoryOperand(operands[0], argument, &lowering)
            if accessesMayFault && argument.offset <= UInt64(Int32.max) { recordTrapSite(.memoryOutOfBounds) }
            assembler.movdqu(operand, value)
        case .vectorLoad(let wasm), .vectorStore(let wasm):
            boundsCheckedByIR = true
            defer { boundsCheckedByIR = false }
            try bridge(wasm, operands, instruction.result, &lowering)
        }
    }

    // MARK: Vectors

    /// SIMD instructions without memory access. Constants, splats and the lane arithmetic that
    /// is one instruction work on the allocated registers directly (VEX three-operand forms
    /// with AVX); the rest go through the bridge to the baseline's emitters, which choose the
    /// CPU's best sequence.
    mutating func lowerVector(_ instruction: Instruction, _ operands: [IRValue], _ result: IRValue,
                              _ lowering: inout X64Lowering) throws(WasmError) {
        switch instruction {
        case .v128Const(let value):
            // xmm0, not xmm15, when spilled: constants with distinct halves use xmm15.
            let register = resultXMM(result, fallback: .xmm0, lowering)
            loadVectorConstant(register, value)
            storeResult(result, from: register, &lowering)
        case .simd(let operation):
            if let single = singleInstruction(operation) {
                lowerVectorBinary(single, operands, result, &lowering)
                return
            }
            if let single = singleUnaryInstruction(operation) {
                // `destination = op(source)` writes all of the destination: no copy needed.
                let register = resultXMM(result, fallback: .xmm0, lowering)
                switch lowering.allocation.locations[operands[0].id] {
                case .register(_, let index): assembler.vector(single, register, Self.optimizingXMMs[index])
                case .stack(let slot): assembler.vector(single, register, Self.spillSlot(slot, .v128))
                default:
                    loadXMM(operands[0], into: register, &lowering)
                    assembler.vector(single, register, register)
                }
                storeResult(result, from: register, &lowering)
                return
            }
            switch operation {
            case .i8x16Splat, .i16x8Splat, .i32x4Splat, .i64x2Splat:
                let scalar = registerOf(operands[0], lowering) ?? .rax
                loadGPR(operands[0], into: scalar, &lowering)
                let register = resultXMM(result, fallback: .xmm0, lowering)
                emitSplat(from: scalar, into: register, operation)
                storeResult(result, from: register, &lowering)
            case .f32x4Splat, .f64x2Splat:
                let register = resultXMM(result, fallback: .xmm0, lowering)
                let source = xmmOf(operands[0], lowering) ?? register
                loadXMM(operands[0], into: source, &lowering)
                if features.hasAVX {
                    assembler.vex(operation == .f32x4Splat ? .shufps : .shufpd, register, source, source, immediate: 0)
                } else {
                    if source != register { assembler.movaps(register, source) }
                    if operation == .f32x4Splat {
                        assembler.vector(.shufps, register, register, immediate: 0)
                    } else {
                        assembler.vector(.movlhps, register, register)
                    }
                }
                storeResult(result, from: register, &lowering)
            default:
                try bridge(instruction, operands, result, &lowering)
            }
        default:
            try bridge(instruction, operands, result, &lowering)
        }
    }

    /// The one instruction computing `a op b` for lane arithmetic whose baseline form is a
    /// single instruction on the first operand, or nil.
    func singleInstruction(_ operation: SIMDOperation) -> V? {
        switch operation {
        case .v128And: return .pand
        case .v128Or: return .por
        case .v128Xor: return .pxor
        case .i8x16Add: return .paddb
        case .i8x16Sub: return .psubb
        case .i16x8Add: return .paddw
        case .i16x8Sub: return .psubw
        case .i16x8Mul: return .pmullw
        case .i32x4Add: return .paddd
        case .i32x4Sub: return .psubd
        case .i32x4Mul: return features.hasSSE41 ? .pmulld : nil
        case .i64x2Add: return .paddq
        case .i64x2Sub: return .psubq
        case .i8x16AddSatS: return .paddsb
        case .i8x16AddSatU: return .paddusb
        case .i8x16SubSatS: return .psubsb
        case .i8x16SubSatU: return .psubusb
        case .i16x8AddSatS: return .paddsw
        case .i16x8AddSatU: return .paddusw
        case .i16x8SubSatS: return .psubsw
        case .i16x8SubSatU: return .psubusw
        case .i8x16MinU: return .pminub
        case .i8x16MaxU: return .pmaxub
        case .i16x8MinS: return .pminsw
        case .i16x8MaxS: return .pmaxsw
        case .i8x16AvgrU: return .pavgb
        case .i16x8AvgrU: return .pavgw
        case .i32x4DotI16x8S: return .pmaddwd
        case .i8x16Eq: return .pcmpeqb
        case .i16x8Eq: return .pcmpeqw
        case .i32x4Eq: return .pcmpeqd
        case .f32x4Add: return .addps
        case .f32x4Sub: return .subps
        case .f32x4Mul: return .mulps
        case .f32x4Div: return .divps
        case .f64x2Add: return .addpd
        case .f64x2Sub: return .subpd
        case .f64x2Mul: return .mulpd
        case .f64x2Div: return .divpd
        default: return nil
        }
    }

    /// The one instruction computing a unary lane operation from its operand, or nil (the
    /// low-half extends read only the slot's low 8 bytes from memory).
    func singleUnaryInstruction(_ operation: SIMDOperation) -> V? {
        switch operation {
        case .i16x8ExtendLowI8x16S: return features.hasSSE41 ? .pmovsxbw : nil
        case .i16x8ExtendLowI8x16U: return features.hasSSE41 ? .pmovzxbw : nil
        case .i32x4ExtendLowI16x8S: return features.hasSSE41 ? .pmovsxwd : nil
        case .i32x4ExtendLowI16x8U: return features.hasSSE41 ? .pmovzxwd : nil
        case .i64x2ExtendLowI32x4S: return features.hasSSE41 ? .pmovsxdq : nil
        case .i64x2ExtendLowI32x4U: return features.hasSSE41 ? .pmovzxdq : nil
        case .i8x16Abs: return features.hasSSSE3 ? .pabsb : nil
        case .i16x8Abs: return features.hasSSSE3 ? .pabsw : nil
        case .i32x4Abs: return features.hasSSSE3 ? .pabsd : nil
        case .f32x4Sqrt: return .sqrtps
        case .f64x2Sqrt: return .sqrtpd
        case .f32x4ConvertI32x4S: return .cvtdq2ps
        case .f64x2ConvertLowI32x4S: return .cvtdq2pd
        default: return nil
        }
    }

    /// `result = first op second` from the allocated locations: one VEX instruction with AVX
    /// (the second operand may be its 16-byte slot), else a copy and the two-operand form
    /// (slots are 16-byte aligned, as legacy SSE memory operands must be).
    mutating func lowerVectorBinary(_ operation: V, _ operands: [IRValue], _ result: IRValue, _ lowering: inout X64Lowering) {
        let first = operands[0]
        let second = operands[1]
        let destination = resultXMM(result, fallback: .xmm0, lowering)
        if features.hasAVX {
            let left = xmmOf(first, lowering) ?? .xmm0
            loadXMM(first, into: left, &lowering)
            if case .stack(let slot) = lowering.allocation.locations[second.id] {
                assembler.vex(operation, destination, left, Self.spillSlot(slot, .v128))
            } else {
                let right = xmmOf(second, lowering) ?? .xmm1
                loadXMM(second, into: right, &lowering)
                assembler.vex(operation, destination, left, right)
            }
            storeResult(result, from: destination, &lowering)
            return
        }
        var working = destination
        if xmmOf(second, lowering) == destination && first != second { working = .xmm0 }
        loadXMM(first, into: working, &lowering)
        switch lowering.allocation.locations[second.id] {
        case .register(_, let index): assembler.vector(operation, working, Self.optimizingXMMs[index])
        case .stack(let slot): assembler.vector(operation, working, Self.spillSlot(slot, .v128))
        default:
            loadXMM(second, into: .xmm1, &lowering)
            assembler.vector(operation, working, .xmm1)
        }
        storeResult(result, from: working, &lowering)
    }

    /// Writes a call's arguments to the outgoing slots and notes where its results will be.
    mutating func storeCallArguments(_ arguments: [IRValue], _ type: FunctionType, _ lowering: inout X64Lowering) {
        maxOutgoingSlots = max(maxOutgoingSlots, VMValueSlots.count(type.parameters), VMValueSlots.count(type.results))
        lowering.callResultOffsets = VMValueSlots.byteOffsets(type.results)
        let offsets = VMValueSlots.byteOffsets(type.parameters)
        var moves: [X64Move] = []
        for (index, argument) in arguments.enumerated() {
            moves.append(X64Move(destination: .memory(.at(.rsp, Int32(offsets[index]))), source: lowering.moveLocation(argument),
                                 type: lowering.function.type(of: argument)))
        }
        emitParallelMoves(moves)
    }

    /// Hands one operation to the baseline emitter: operands go into bridge-pool registers,
    /// the emitter generates the code, and its result moves to the result's location.
    mutating func bridge(_ instruction: Instruction, _ operands: [IRValue], _ result: IRValue?, _ lowering: inout X64Lowering) throws(WasmError) {
        stack.removeAll(keepingCapacity: true)
        freeGPRs = 0
        for register in Self.bridgeGPRs { freeGPRs |= 1 << UInt16(register.rawValue) }
        freeXMMs = 0
        for register in Self.bridgeXMMs { freeXMMs |= 1 << UInt16(register.rawValue) }
        reachable = true
        for operand in operands {
            let type = lowering.function.type(of: operand)
            if case .constant(let bits) = lowering.allocation.locations[operand.id] {
                push(Self.valueType(type), .constant(bits))
            } else if type.registerClass == .integer {
                let register = allocateGPR()
                loadGPR(operand, into: register, &lowering)
                pushGPR(Self.valueType(type), register)
            } else {
                let register = allocateXMM()
                loadXMM(operand, into: register, &lowering)
                pushXMM(Self.valueType(type), register)
            }
        }
        lendableXMMs = Self.optimizingXMMs.reversed()
        try emit(instruction, at: 0)
        lendableXMMs.removeAll()
        if !borrowedXMMs.isEmpty {
            // The result leaves a borrowed register before the registers get their values back.
            if result != nil, case .xmm(let register) = stack[stack.count - 1].location,
               borrowedXMMs.contains(where: { $0.register == register }) {
                assembler.movaps(Self.scratchXMM, register)
                stack[stack.count - 1].location = .xmm(Self.scratchXMM)
            }
            for (register, save) in borrowedXMMs { assembler.movdqu(register, save) }
            borrowedXMMs.removeAll()
        }
        if let result {
            let position = stack.count - 1
            let entry = stack[position]
            switch entry.location {
            case .gpr(let register): storeResult(result, from: register, &lowering)
            case .xmm(let register): storeResult(result, from: register, &lowering)
            case .constant(let bits):
                emitParallelMoves([X64Move(destination: lowering.moveLocation(result), source: .constant(bits),
                                           type: lowering.function.type(of: result))])
            case .spilled:
                emitParallelMoves([X64Move(destination: lowering.moveLocation(result), source: .memory(slotAddress(position)),
                                           type: lowering.function.type(of: result))])
            }
        }
        stack.removeAll(keepingCapacity: true)
    }

    // MARK: Memory

    /// Puts the zero-extended address into `register` (which the caller may have cleared).
    mutating func loadAddress(_ address: IRValue, into register: X64GPR, _ lowering: inout X64Lowering) {
        loadGPR(address, into: register, &lowering)
    }

    /// The memory operand for `address + offset` in memory `memory`. Uses r11 (address) and,
    /// for memories other than 0, rax (base).
    mutating func memoryOperand(_ address: IRValue, _ argument: MemoryArgument, _ lowering: inout X64Lowering) throws(WasmError) -> X64Memory {
        var base = Self.memoryBaseRegister
        if argument.memory != 0 {
            assembler.mov(.bits64, .rax, .at(Self.contextRegister, Int32(VMContextLayout.memories)))
            assembler.mov(.bits64, .rax, .at(.rax, try displacement(argument.memory, scale: 8, at: 0)))
            assembler.mov(.bits64, .rax, .at(.rax, Int32(VMMemoryLayout.base)))
            base = .rax
        }
        let offsetFits = argument.offset <= UInt64(Int32.max)
        if case .constant(let bits) = lowering.allocation.locations[address.id], offsetFits,
           UInt64(UInt32(truncatingIfNeeded: bits)) + argument.offset <= UInt64(Int32.max) {
            return .at(base, Int32(UInt64(UInt32(truncatingIfNeeded: bits)) + argument.offset))
        }
        var index: X64GPR
        if let register = registerOf(address, lowering) {
            index = register
        } else {
            loadGPR(address, into: Self.scratch, &lowering)
            index = Self.scratch
        }
        if !offsetFits {
            // A bounds check covered it: compute the 64-bit sum.
            if index != Self.scratch { assembler.mov(.bits32, Self.scratch, index) }
            assembler.movImmediate(.bits64, .r10, argument.offset)
            assembler.alu(.add, .bits64, Self.scratch, .r10)
            return X64Memory(base: base, index: Self.scratch)
        }
        return X64Memory(base: base, index: index, displacement: Int32(argument.offset))
    }

    var accessesMayFault: Bool { configuration.boundsChecks == .guardRegion }

    mutating func lowerLoad(_ operation: LoadOperation, _ argument: MemoryArgument, _ address: IRValue, _ result: IRValue,
                            _ lowering: inout X64Lowering) throws(WasmError) {
        let operand = try memoryOperand(address, argument, &lowering)
        let mayFault = accessesMayFault && argument.offset <= UInt64(Int32.max)
        let type = operation.resultType
        if type == .f32 || type == .f64 {
            let register = resultXMM(result, fallback: Self.scratchXMM, lowering)
            if mayFault { recordTrapSite(.memoryOutOfBounds) }
            assembler.movFloat(type == .f32 ? .single : .double, register, operand)
            storeResult(result, from: register, &lowering)
            return
        }
        let register = resultGPR(result, fallback: .r10, lowering)
        if mayFault { recordTrapSite(.memoryOutOfBounds) }
        switch operation {
        case .i32Load: assembler.mov(.bits32, register, operand)
        case .i64Load: assembler.mov(.bits64, register, operand)
        case .i32Load8S: assembler.movsx(.bits32, register, operand, from: .bits8)
        case .i32Load8U: assembler.movzx(.bits32, register, operand, from: .bits8)
        case .i32Load16S: assembler.movsx(.bits32, register, operand, from: .bits16)
        case .i32Load16U: assembler.movzx(.bits32, register, operand, from: .bits16)
        case .i64Load8S: assembler.movsx(.bits64, register, operand, from: .bits8)
        case .i64Load8U: assembler.movzx(.bits32, register, operand, from: .bits8)
        case .i64Load16S: assembler.movsx(.bits64, register, operand, from: .bits16)
        case .i64Load16U: assembler.movzx(.bits32, register, operand, from: .bits16)
        case .i64Load32S: assembler.movsx(.bits64, register, operand, from: .bits32)
        case .i64Load32U: assembler.mov(.bits32, register, operand)
        case .f32Load, .f64Load: break
        }
        storeResult(result, from: register, &lowering)
    }

    mutating func lowerStore(_ operation: StoreOperation, _ argument: MemoryArgument, _ address: IRValue, _ value: IRValue,
                             _ lowering: inout X64Lowering) throws(WasmError) {
        // The value first (r10 / xmm15), then the address (r11, rax).
        let type = lowering.function.type(of: value)
        var valueGPR: X64GPR = .r10
        var valueXMM: X64XMM = Self.scratchXMM
        if type.registerClass == .integer {
            if let register = registerOf(value, lowering) { valueGPR = register } else { loadGPR(value, into: .r10, &lowering) }
        } else {
            if let register = xmmOf(value, lowering) { valueXMM = register } else { loadXMM(value, into: Self.scratchXMM, &lowering) }
        }
        let operand = try memoryOperand(address, argument, &lowering)
        if accessesMayFault && argument.offset <= UInt64(Int32.max) { recordTrapSite(.memoryOutOfBounds) }
        switch operation {
        case .f32Store: assembler.movFloat(.single, operand, valueXMM)
        case .f64Store: assembler.movFloat(.double, operand, valueXMM)
        case .i32Store, .i64Store32: assembler.mov(.bits32, operand, valueGPR)
        case .i64Store: assembler.mov(.bits64, operand, valueGPR)
        case .i32Store8, .i64Store8: assembler.mov(.bits8, operand, valueGPR)
        case .i32Store16, .i64Store16: assembler.mov(.bits16, operand, valueGPR)
        }
    }

    // MARK: Numeric

    /// The flag condition of an integer comparison `first OP second`, or nil.
    static func fusedCondition(_ operation: NumericOperation) -> X64Condition? {
        switch operation {
        case .i32Eq, .i64Eq, .i32Eqz, .i64Eqz: return .equal
        case .i32Ne, .i64Ne: return .notEqual
        case .i32LtS, .i64LtS: return .less
        case .i32LtU, .i64LtU: return .below
        case .i32GtS, .i64GtS: return .greater
        case .i32GtU, .i64GtU: return .above
        case .i32LeS, .i64LeS: return .lessOrEqual
        case .i32LeU, .i64LeU: return .belowOrEqual
        case .i32GeS, .i64GeS: return .greaterOrEqual
        case .i32GeU, .i64GeU: return .aboveOrEqual
        default: return nil
        }
    }

    static func swapped(_ condition: X64Condition) -> X64Condition {
        switch condition {
        case .less: return .greater
        case .greater: return .less
        case .lessOrEqual: return .greaterOrEqual
        case .greaterOrEqual: return .lessOrEqual
        case .below: return .above
        case .above: return .below
        case .belowOrEqual: return .aboveOrEqual
        case .aboveOrEqual: return .belowOrEqual
        default: return condition
        }
    }

    /// Emits the compare of an integer comparison; returns the condition that means "true".
    mutating func emitCompare(_ operation: NumericOperation, _ operands: [IRValue], _ lowering: inout X64Lowering) -> X64Condition {
        var condition = Self.fusedCondition(operation)!
        let size = Self.operandSize(lowering.function.type(of: operands[0]))
        if operands.count == 1 {
            switch lowering.allocation.locations[operands[0].id] {
            case .register(_, let index): assembler.test(size, Self.optimizingGPRs[index], Self.optimizingGPRs[index])
            case .stack(let slot): assembler.alu(.cmp, size, Self.spillSlot(slot), immediate: 0)
            default:
                loadGPR(operands[0], into: Self.scratch, &lowering)
                assembler.test(size, Self.scratch, Self.scratch)
            }
            return condition
        }
        var first = operands[0]
        var second = operands[1]
        if case .constant = lowering.allocation.locations[first.id] {
            swap(&first, &second)
            condition = Self.swapped(condition)
        }
        var left: X64GPR
        if let register = registerOf(first, lowering) {
            left = register
        } else if case .stack(let slot) = lowering.allocation.locations[first.id],
                  case .constant(let bits) = lowering.allocation.locations[second.id], Self.fitsImmediate(bits, size) {
            assembler.alu(.cmp, size, Self.spillSlot(slot), immediate: Int32(truncatingIfNeeded: bits))
            return condition
        } else {
            loadGPR(first, into: Self.scratch, &lowering)
            left = Self.scratch
        }
        applyOperand(.cmp, size, left, second, &lowering)
        return condition
    }

    static func fitsImmediate(_ bits: UInt64, _ size: X64OperandSize) -> Bool {
        if size == .bits32 { return true }
        let value = Int64(bitPattern: bits)
        return value >= Int64(Int32.min) && value <= Int64(Int32.max)
    }

    /// `destination op= operand` with the operand as an immediate, a register or a slot.
    mutating func applyOperand(_ operation: X64Assembler.ALUOperation, _ size: X64OperandSize, _ destination: X64GPR,
                               _ operand: IRValue, _ lowering: inout X64Lowering) {
        switch lowering.allocation.locations[operand.id] {
        case .constant(let bits):
            if Self.fitsImmediate(bits, size) {
                assembler.alu(operation, size, destination, immediate: Int32(truncatingIfNeeded: bits))
            } else {
                let temporary: X64GPR = destination == .rdx ? .rcx : .rdx
                assembler.movImmediate(.bits64, temporary, bits)
                assembler.alu(operation, size, destination, temporary)
            }
        case .register(_, let index): assembler.alu(operation, size, destination, Self.optimizingGPRs[index])
        case .stack(let slot): assembler.alu(operation, size, destination, Self.spillSlot(slot))
        case .none: preconditionFailure("use of a value without a location")
        }
    }

    mutating func lowerNumeric(_ operation: NumericOperation, _ operands: [IRValue], _ result: IRValue,
                               _ lowering: inout X64Lowering) throws(WasmError) {
        let resultType = lowering.function.type(of: result)
        switch operation {
        case .i32Add, .i32Sub, .i32And, .i32Or, .i32Xor, .i64Add, .i64Sub, .i64And, .i64Or, .i64Xor:
            let aluOperation: X64Assembler.ALUOperation
            switch operation {
            case .i32Add, .i64Add: aluOperation = .add
            case .i32Sub, .i64Sub: aluOperation = .sub
            case .i32And, .i64And: aluOperation = .and
            case .i32Or, .i64Or: aluOperation = .or
            default: aluOperation = .xor
            }
            let commutative = aluOperation != .sub
            var first = operands[0]
            var second = operands[1]
            let destination = resultGPR(result, fallback: .rax, lowering)
            if commutative, registerOf(second, lowering) == destination, first != second { swap(&first, &second) }
            var working = destination
            if registerOf(second, lowering) == destination && first != second { working = .rax }
            loadGPR(first, into: working, &lowering)
            applyOperand(aluOperation, Self.operandSize(resultType), working, second, &lowering)
            storeResult(result, from: working, &lowering)
        case .i32Mul, .i64Mul:
            let size = Self.operandSize(resultType)
            var first = operands[0]
            var second = operands[1]
            if case .constant = lowering.allocation.locations[first.id] { swap(&first, &second) }
            let destination = resultGPR(result, fallback: .rax, lowering)
            if case .constant(let bits) = lowering.allocation.locations[second.id], Self.fitsImmediate(bits, size) {
                var source: X64GPR
                if let register = registerOf(first, lowering) { source = register } else {
                    loadGPR(first, into: .rax, &lowering)
                    source = .rax
                }
                assembler.imul(size, destination, source, immediate: Int32(truncatingIfNeeded: bits))
                storeResult(result, from: destination, &lowering)
                return
            }
            if registerOf(second, lowering) == destination, first != second { swap(&first, &second) }
            var working = destination
            if registerOf(second, lowering) == destination && first != second { working = .rax }
            loadGPR(first, into: working, &lowering)
            switch lowering.allocation.locations[second.id] {
            case .register(_, let index): assembler.imul(size, working, Self.optimizingGPRs[index])
            case .stack(let slot): assembler.imul(size, working, Self.spillSlot(slot))
            default:
                loadGPR(second, into: .rdx, &lowering)
                assembler.imul(size, working, .rdx)
            }
            storeResult(result, from: working, &lowering)
        case .i32Shl, .i32ShrS, .i32ShrU, .i32Rotl, .i32Rotr, .i64Shl, .i64ShrS, .i64ShrU, .i64Rotl, .i64Rotr:
            guard case .constant(let bits) = lowering.allocation.locations[operands[1].id] else {
                try bridge(.numeric(operation), operands, result, &lowering)
                return
            }
            let shift: X64Assembler.ShiftOperation
            switch operation {
            case .i32Shl, .i64Shl: shift = .shl
            case .i32ShrS, .i64ShrS: shift = .sar
            case .i32ShrU, .i64ShrU: shift = .shr
            case .i32Rotl, .i64Rotl: shift = .rol
            default: shift = .ror
            }
            let size = Self.operandSize(resultType)
            let destination = resultGPR(result, fallback: .rax, lowering)
            loadGPR(operands[0], into: destination, &lowering)
            assembler.shift(shift, size, destination, immediate: UInt8(bits & (size == .bits32 ? 31 : 63)))
            storeResult(result, from: destination, &lowering)
        case .i32Eqz, .i64Eqz, .i32Eq, .i32Ne, .i32LtS, .i32LtU, .i32GtS, .i32GtU, .i32LeS, .i32LeU, .i32GeS, .i32GeU,
             .i64Eq, .i64Ne, .i64LtS, .i64LtU, .i64GtS, .i64GtU, .i64LeS, .i64LeU, .i64GeS, .i64GeU:
            let condition = emitCompare(operation, operands, &lowering)
            let destination = resultGPR(result, fallback: .rax, lowering)
            assembler.setcc(condition, destination)
            assembler.movzx(.bits32, destination, destination, from: .bits8)
            storeResult(result, from: destination, &lowering)
        case .i32WrapI64, .i64ExtendI32U:
            let destination = resultGPR(result, fallback: .rax, lowering)
            switch lowering.allocation.locations[operands[0].id] {
            case .register(_, let index): assembler.mov(.bits32, destination, Self.optimizingGPRs[index])
            case .stack(let slot): assembler.mov(.bits32, destination, Self.spillSlot(slot))
            case .constant(let bits): assembler.movImmediate(.bits32, destination, bits)
            case .none: preconditionFailure("use of a value without a location")
            }
            storeResult(result, from: destination, &lowering)
        case .i64ExtendI32S:
            let destination = resultGPR(result, fallback: .rax, lowering)
            switch lowering.allocation.locations[operands[0].id] {
            case .register(_, let index): assembler.movsx(.bits64, destination, Self.optimizingGPRs[index], from: .bits32)
            case .stack(let slot): assembler.movsx(.bits64, destination, Self.spillSlot(slot), from: .bits32)
            default:
                loadGPR(operands[0], into: destination, &lowering)
                assembler.movsx(.bits64, destination, destination, from: .bits32)
            }
            storeResult(result, from: destination, &lowering)
        case .f32Add, .f32Sub, .f32Mul, .f32Div, .f64Add, .f64Sub, .f64Mul, .f64Div:
            let arithmetic: X64Assembler.FloatArithmetic
            switch operation {
            case .f32Add, .f64Add: arithmetic = .add
            case .f32Sub, .f64Sub: arithmetic = .sub
            case .f32Mul, .f64Mul: arithmetic = .mul
            default: arithmetic = .div
            }
            let precision = Self.precision(resultType)
            let destination = resultXMM(result, fallback: Self.scratchXMM, lowering)
            var working = destination
            if xmmOf(operands[1], lowering) == destination && operands[0] != operands[1] { working = Self.scratchXMM }
            loadXMM(operands[0], into: working, &lowering)
            switch lowering.allocation.locations[operands[1].id] {
            case .register(_, let index): assembler.floatArithmetic(arithmetic, precision, working, Self.optimizingXMMs[index])
            case .stack(let slot): assembler.floatArithmetic(arithmetic, precision, working, Self.spillSlot(slot))
            default:
                loadXMM(operands[1], into: .xmm0, &lowering)
                assembler.floatArithmetic(arithmetic, precision, working, .xmm0)
            }
            storeResult(result, from: working, &lowering)
        case .f32Sqrt, .f64Sqrt:
            let precision = Self.precision(resultType)
            let destination = resultXMM(result, fallback: Self.scratchXMM, lowering)
            switch lowering.allocation.locations[operands[0].id] {
            case .register(_, let index): assembler.floatArithmetic(.sqrt, precision, destination, Self.optimizingXMMs[index])
            case .stack(let slot): assembler.floatArithmetic(.sqrt, precision, destination, Self.spillSlot(slot))
            default:
                loadXMM(operands[0], into: destination, &lowering)
                assembler.floatArithmetic(.sqrt, precision, destination, destination)
            }
            storeResult(result, from: destination, &lowering)
        default:
            try bridge(.numeric(operation), operands, result, &lowering)
        }
    }
}

/// The registers the x86_64 lowering gives the register allocator (for tools).
public enum X64RegisterFile {
    public static var allocatable: AllocatableRegisters { X64CodeGenerator.optimizingRegisters }
}

/// Per-function state of the x86_64 lowering.
struct X64Lowering {
    let function: IRFunction
    let allocation: RegisterAllocation
    let uses: [Int]
    var blockLabels: [X64Label?]
    /// Out-of-line edges with moves, emitted after the last block.
    var edgeStubs: [(label: X64Label, edge: IREdge)] = []
    /// Byte offsets of the last call's results in the outgoing slots (for `callResult`).
    var callResultOffsets: [Int] = []

    init(function: IRFunction, allocation: RegisterAllocation) {
        self.function = function
        self.allocation = allocation
        uses = useCounts(function)
        blockLabels = Array(repeating: nil, count: function.blocks.count)
    }

    func moveLocation(_ value: IRValue) -> X64MoveLocation {
        switch allocation.locations[value.id] {
        case .register(.integer, let index): return .gpr(X64CodeGenerator.optimizingGPRs[index])
        case .register(.float, let index): return .xmm(X64CodeGenerator.optimizingXMMs[index])
        case .register: return .none
        case .stack(let slot): return .memory(X64CodeGenerator.spillSlot(slot, function.type(of: value)))
        case .constant(let bits): return .constant(bits)
        case .none: return .none
        }
    }

    /// Whether taking `edge` needs any move.
    func hasMoves(_ edge: IREdge) -> Bool {
        let parameters = function.blocks[edge.target.id].parameters
        for (argument, parameter) in zip(edge.arguments, parameters) {
            let destination = moveLocation(parameter)
            if destination != .none && destination != moveLocation(argument) { return true }
        }
        return false
    }
}
