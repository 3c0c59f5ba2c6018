import WasmFrontEnd

extension X64CodeGenerator {
    /// Validates and compiles the body of defined function `functionIndex` at the current
    /// offset; returns its code range and frame size.
    mutating func compileFunction(_ body: FunctionBody, functionIndex: UInt32) throws(WasmError) -> CompiledFunction {
        var validator = try FunctionValidator(context: context, functionIndex: functionIndex, body: body)
        let type = validator.type
        prepareFrame(body, functionIndex: functionIndex, type: type, localCount: validator.localCount)
        // Implementation limits and unsupported instructions do not stop validation: the
        // error is kept and reported after the whole module validated, so that an invalid
        // module reports its validation error like `validateModule` does.
        var generating = true
        if declaredLocalCount * slotBytes > Self.maximumFrameBytes / 2 {
            deferError(limitError("too many locals for this implementation", at: body.code.lowerBound))
            generating = false
            declaredLocalCount = 0
        }
        stack.removeAll(keepingCapacity: true)
        frames.removeAll(keepingCapacity: true)
        resetRegisters()
        reachable = true
        maxStackHeight = 0
        maxOutgoingSlots = 0
        frameSizePatches.removeAll(keepingCapacity: true)
        trapLabels = Array(repeating: nil, count: Self.allTrapKinds.count + 1)
        builtinTrapDispatch = nil

        let start = assembler.offset
        assembler.bind(functionLabels[Int(functionIndex) - context.importedFunctionCount])
        if let bodyOffset = emitTieringRedirect() { baselineBodyOffsets.append(UInt32(bodyOffset)) }
        emitPrologue(body: body, validator: validator)
        emitTierUpCheck(loopOffset: nil)
        frames.append(ControlFrame(kind: .function, label: assembler.newLabel(), elseLabel: nil, base: 0,
                                   parameters: [], results: type.results, reachableAtEntry: true))

        var reader = InstructionReader(module: module, body: body)
        while !reader.isAtEnd {
            let offset = reader.offset
            let instruction: Instruction
            do {
                instruction = try reader.next()
            } catch {
                var located = error
                if located.functionIndex == nil { located.functionIndex = functionIndex }
                throw located
            }
            try validator.validate(instruction, at: offset)
            guard generating, !frames.isEmpty else { continue }
            do {
                try emit(instruction, at: offset)
            } catch {
                deferError(error)
                generating = false
            }
        }
        try validator.finish(at: reader.offset)
        guard generating else {
            return CompiledFunction(codeOffset: UInt32(start), codeSize: 0, frameSize: 0)
        }

        emitTierUpStubs()
        emitTrapStubs()
        let frameBytes = Self.fixedFrameBytes + slotBytes * (declaredLocalCount + maxStackHeight) + 8 * maxOutgoingSlots
        guard frameBytes <= Self.maximumFrameBytes else {
            deferError(limitError("function frame too large for this implementation", at: body.code.lowerBound))
            return CompiledFunction(codeOffset: UInt32(start), codeSize: 0, frameSize: 0)
        }
        let frameSize = (frameBytes + 15) & ~15
        for position in frameSizePatches {
            assembler.patch32(at: position, UInt32(truncatingIfNeeded: frameSize))
        }
        // lea rax, [rsp - frameSize] carries the negated size.
        if let first = frameSizePatches.first {
            assembler.patch32(at: first, UInt32(bitPattern: Int32(-frameSize)))
        }
        return CompiledFunction(codeOffset: UInt32(start), codeSize: UInt32(assembler.offset - start),
                                frameSize: UInt32(frameSize + 16))
    }

    /// The per-function state that fixes the frame layout (`localAddress`, `slotAddress`).
    mutating func prepareFrame(_ body: FunctionBody, functionIndex: UInt32, type: FunctionType, localCount: Int) {
        self.functionIndex = functionIndex
        parameterCount = type.parameters.count
        parameterTypes = type.parameters
        parameterSlots = VMValueSlots.byteOffsets(type.parameters).map { $0 / 8 }
        functionResults = type.results
        localRuns = body.locals
        localRunEnds.removeAll(keepingCapacity: true)
        var end = parameterCount
        for run in body.locals {
            end += Int(run.count)
            localRunEnds.append(end)
        }
        declaredLocalCount = localCount - parameterCount
        slotBytes = usesVectors(body) ? 16 : 8
    }

    /// Keeps the first implementation-limit error; `compileModule` throws it at the end.
    mutating func deferError(_ error: WasmError) {
        if deferredError == nil { deferredError = error }
    }

    /// Frame set-up: frame pointer, stack-limit check, frame allocation, context save, zeroed
    /// locals, memory base.
    mutating func emitPrologue(body: FunctionBody, validator: FunctionValidator) {
        assembler.push(.rbp)
        assembler.mov(.bits64, .rbp, .rsp)
        // if rsp - frameSize < storeContext.stackLimit: trap (the frame size is patched in).
        assembler.mov(.bits64, Self.scratch, .at(Self.contextRegister, Int32(VMContextLayout.storeContext)))
        assembler.lea(.rax, .at(.rsp, -0x10000))
        frameSizePatches.append(assembler.offset - 4)
        assembler.alu(.cmp, .bits64, .rax, .at(Self.scratch, Int32(VMStoreContextLayout.stackLimit)))
        assembler.jcc(.below, trapLabel(.callStackExhausted))
        assembler.alu(.sub, .bits64, .rsp, immediate: 0x10000)
        frameSizePatches.append(assembler.offset - 4)
        assembler.mov(.bits64, .at(.rbp, Self.savedContextOffset), Self.contextRegister)
        assembler.mov(.bits64, .at(.rbp, -16), immediate: 0)
        // The declared locals occupy the quadwords just below [rbp - 16].
        let localQuadwords = declaredLocalCount * slotBytes / 8
        if localQuadwords > 0 && localQuadwords <= 8 {
            for index in 0..<localQuadwords {
                assembler.mov(.bits64, .at(.rbp, Int32(-(Self.fixedFrameBytes + 8 * (index + 1)))), immediate: 0)
            }
        } else if localQuadwords > 8 {
            assembler.lea(.rdi, localAddress(parameterCount + declaredLocalCount - 1))
            assembler.movImmediate(.bits32, .rcx, UInt64(localQuadwords))
            assembler.alu(.xor, .bits32, .rax, .rax)
            assembler.repStosq()
        }
        reloadMemoryBase()
    }

    /// Writes the results to the argument slots and returns.
    mutating func emitReturn() {
        let results = functionResults
        let first = stack.count - results.count
        let offsets = VMValueSlots.byteOffsets(results)
        for index in 0..<results.count {
            store(stack[first + index], to: .at(.rbp, Int32(16 + offsets[index])), position: first + index)
        }
        assembler.leave()
        assembler.ret()
    }

    /// Drops operands above `height`, releasing their registers.
    mutating func truncateStack(to height: Int) {
        while stack.count > height {
            release(stack.removeLast())
        }
    }

    /// Resets the abstract stack to `base` plus spilled operands of `types` (a label's state).
    mutating func resetStack(base: Int, types: [ValueType]) {
        truncateStack(to: base)
        for type in types { push(type, .spilled) }
    }

    func blockSignature(_ blockType: BlockType) -> (parameters: [ValueType], results: [ValueType]) {
        switch blockType {
        case .empty: return ([], [])
        case .value(let type): return ([], [type])
        case .typeIndex(let index):
            let type = context.types[Int(index)]
            return (type.parameters, type.results)
        }
    }

    // MARK: Instruction dispatch

    mutating func emit(_ instruction: Instruction, at offset: Int) throws(WasmError) {
        guard reachable else {
            emitUnreachableStructure(instruction)
            return
        }
        switch instruction {
        case .unreachable:
            assembler.jmp(trapLabel(.unreachable))
            reachable = false
        case .nop:
            break
        case .block(let blockType):
            let (parameters, results) = blockSignature(blockType)
            spillAll()
            frames.append(ControlFrame(kind: .block, label: assembler.newLabel(), elseLabel: nil,
                                       base: stack.count - parameters.count, parameters: parameters,
                                       results: results, reachableAtEntry: true))
        case .loop(let blockType):
            let (parameters, results) = blockSignature(blockType)
            spillAll()
            let label = assembler.newLabel()
            assembler.bind(label)
            emitTierUpCheck(loopOffset: UInt32(truncatingIfNeeded: offset))
            frames.append(ControlFrame(kind: .loop, label: label, elseLabel: nil,
                                       base: stack.count - parameters.count, parameters: parameters,
                                       results: results, reachableAtEntry: true))
        case .if(let blockType):
            let (parameters, results) = blockSignature(blockType)
            let condition = popGPR()
            spillAll()
            assembler.test(.bits32, condition, condition)
            release(condition)
            let elseLabel = assembler.newLabel()
            assembler.jcc(.equal, elseLabel)
            frames.append(ControlFrame(kind: .if, label: assembler.newLabel(), elseLabel: elseLabel,
                                       base: stack.count - parameters.count, parameters: parameters,
                                       results: results, reachableAtEntry: true))
        case .else:
            spillAll()
            let frame = frames[frames.count - 1]
            assembler.jmp(frame.label)
            enterElse()
        case .end:
            if frames.count > 1 { spillAll() }
            endFrame()
        case .br(let depth):
            emitBranch(depth: Int(depth))
            reachable = false
        case .brIf(let depth):
            emitBranchIf(depth: Int(depth))
        case .brTable(let table):
            emitBranchTable(table)
            reachable = false
        case .return:
            emitReturn()
            reachable = false
        case .call(let function):
            try emitCall(function: function, at: offset)
        case .callIndirect(let typeIndex, let table):
            try emitCallIndirect(typeIndex: typeIndex, table: table, at: offset)

        case .drop:
            release(pop())
        case .select, .typedSelect:
            emitSelect()

        case .localGet(let index):
            let type = try localType(index, at: offset)
            pushLoaded(type, from: localAddress(Int(index)))
        case .localSet(let index):
            _ = try localType(index, at: offset)
            let position = stack.count - 1
            let entry = pop()
            store(entry, to: localAddress(Int(index)), position: position)
            release(entry)
        case .localTee(let index):
            _ = try localType(index, at: offset)
            let position = stack.count - 1
            if stack[position].location == .spilled {
                let (entry, location) = popToRegister()
                push(entry.type, location)
            }
            store(stack[position], to: localAddress(Int(index)), position: position)

        case .i32Const(let value):
            push(.i32, .constant(UInt64(UInt32(bitPattern: value))))
        case .i64Const(let value):
            push(.i64, .constant(UInt64(bitPattern: value)))
        case .f32Const(let bits):
            push(.f32, .constant(UInt64(bits)))
        case .f64Const(let bits):
            push(.f64, .constant(bits))

        case .numeric(let operation):
            try emitNumeric(operation, at: offset)

        case .globalGet(let index):
            try emitGlobalGet(index, at: offset)
        case .globalSet(let index):
            try emitGlobalSet(index, at: offset)

        case .load(let operation, let argument):
            try emitLoad(operation, argument, at: offset)
        case .store(let operation, let argument):
            try emitStore(operation, argument, at: offset)
        case .memorySize(let memory):
            try emitMemorySize(memory, at: offset)
        case .memoryGrow(let memory):
            emitBuiltinCall(.memoryGrow, immediates: [UInt64(memory)], operands: [.bits32], result: .i32)
            reloadMemoryBase()
        case .memoryFill(let memory):
            emitBuiltinCall(.memoryFill, immediates: [UInt64(memory)], operands: [.bits32, .bits32, .bits32], result: nil)
        case .memoryCopy(let destination, let source):
            emitBuiltinCall(.memoryCopy, immediates: [UInt64(destination), UInt64(source)],
                            operands: [.bits32, .bits32, .bits32], result: nil)
        case .memoryInit(let data, let memory):
            emitBuiltinCall(.memoryInit, immediates: [UInt64(memory), UInt64(data)],
                            operands: [.bits32, .bits32, .bits32], result: nil)
        case .dataDrop(let data):
            emitBuiltinCall(.dataDrop, immediates: [UInt64(data)], operands: [], result: nil)

        case .tableGet(let table):
            try emitTableGet(table, at: offset)
        case .tableSet(let table):
            try emitTableSet(table, at: offset)
        case .tableSize(let table):
            try emitTableSize(table, at: offset)
        case .tableGrow(let table):
            emitBuiltinCall(.tableGrow, immediates: [UInt64(table)], operands: [.bits64, .bits32], result: .i32)
        case .tableFill(let table):
            emitBuiltinCall(.tableFill, immediates: [UInt64(table)], operands: [.bits32, .bits64, .bits32], result: nil)
        case .tableCopy(let destination, let source):
            emitBuiltinCall(.tableCopy, immediates: [UInt64(destination), UInt64(source)],
                            operands: [.bits32, .bits32, .bits32], result: nil)
        case .tableInit(let element, let table):
            emitBuiltinCall(.tableInit, immediates: [UInt64(table), UInt64(element)],
                            operands: [.bits32, .bits32, .bits32], result: nil)
        case .elemDrop(let element):
            emitBuiltinCall(.elemDrop, immediates: [UInt64(element)], operands: [], result: nil)

        case .refNull(let type):
            push(type.valueType, .constant(0))
        case .refIsNull:
            let register = popGPR()
            assembler.test(.bits64, register, register)
            assembler.setcc(.equal, register)
            assembler.movzx(.bits32, register, register, from: .bits8)
            pushGPR(.i32, register)
        case .refFunc(let function):
            let register = allocateGPR()
            assembler.mov(.bits64, register, .at(Self.contextRegister, Int32(VMContextLayout.functions)))
            assembler.lea(register, .at(register, try displacement(function, scale: VMFuncRefLayout.size, at: offset)))
            pushGPR(.funcref, register)

        case .v128Const(let value):
            let register = allocateXMM()
            loadVectorConstant(register, value)
            pushXMM(.v128, register)
        case .i8x16Shuffle(let lanes):
            emitShuffle(lanes)
        case .simd(let operation):
            try emitSIMD(operation, at: offset)
        case .simdLoad(let operation, let argument):
            try emitSIMDLoad(operation, argument, at: offset)
        case .v128Store(let argument):
            try emitVectorStore(argument, at: offset)
        case .simdLoadLane(let operation, let argument, let lane):
            try emitLoadLane(operation, argument, lane: lane, at: offset)
        case .simdStoreLane(let operation, let argument, let lane):
            try emitStoreLane(operation, argument, lane: lane, at: offset)
        case .simdLane(let operation, let lane):
            emitLaneOperation(operation, lane: lane)
        case .relaxedSIMD(let operation):
            emitRelaxedSIMD(operation)
        }
    }

    /// Type of a local the validator has accepted (parameters first, then the declared runs).
    func localType(_ index: UInt32, at offset: Int) throws(WasmError) -> ValueType {
        var type: ValueType = .i32
        if Int(index) < parameterTypes.count {
            type = parameterTypes[Int(index)]
        } else {
            // First run whose end is beyond the index (binary search: bodies may have many runs).
            var low = 0
            var high = localRunEnds.count
            while low < high {
                let middle = (low + high) / 2
                if localRunEnds[middle] > Int(index) { high = middle } else { low = middle + 1 }
            }
            if low < localRuns.count { type = localRuns[low].type }
        }
        return type
    }
}
