import WasmFrontEnd

extension X64CodeGenerator {
    // MARK: Linear memory

    /// Computes the operand addressing `address + offset` in memory `memory` for an access of
    /// `width` bytes, emitting the bounds check the configuration needs. The zero-extended
    /// address is in r11. Returns the operand, whether the access itself may fault (guard
    /// region: record a trap site), and temporaries to release after the access.
    mutating func memoryOperand(address: X64GPR, argument: MemoryArgument, width: Int, at offset: Int)
        throws(WasmError) -> (operand: X64Memory, mayFault: Bool, temporaries: [X64GPR]) {
        let memoryDisplacement = try displacement(argument.memory, scale: 8, at: offset)
        let staticOffset = argument.offset
        let offsetFits = staticOffset <= UInt64(Int32.max)
        let explicit = (configuration.boundsChecks == .explicit && !boundsCheckedByIR) || !offsetFits
        var temporaries: [X64GPR] = []
        assembler.mov(.bits32, Self.scratch, address)  // zero-extend the 32-bit address
        var vmMemory: X64GPR?
        if explicit || argument.memory != 0 {
            let register = allocateGPR()
            temporaries.append(register)
            assembler.mov(.bits64, register, .at(Self.contextRegister, Int32(VMContextLayout.memories)))
            assembler.mov(.bits64, register, .at(register, memoryDisplacement))
            vmMemory = register
        }
        if explicit, let vmMemory {
            // end = address + offset + width (no overflow in 64 bits); trap if end > length.
            let end = allocateGPR()
            temporaries.append(end)
            let limit = staticOffset + UInt64(width)
            if limit <= UInt64(Int32.max) {
                assembler.lea(end, .at(Self.scratch, Int32(limit)))
            } else {
                assembler.movImmediate(.bits64, end, limit)
                assembler.alu(.add, .bits64, end, Self.scratch)
            }
            assembler.alu(.cmp, .bits64, end, .at(vmMemory, Int32(VMMemoryLayout.length)))
            assembler.jcc(.above, trapLabel(.memoryOutOfBounds))
            if !offsetFits {
                assembler.movImmediate(.bits64, end, staticOffset)
                assembler.alu(.add, .bits64, Self.scratch, end)
            }
        }
        var base = Self.memoryBaseRegister
        if argument.memory != 0, let vmMemory {
            assembler.mov(.bits64, vmMemory, .at(vmMemory, Int32(VMMemoryLayout.base)))
            base = vmMemory
        }
        let operand = X64Memory(base: base, index: Self.scratch, displacement: offsetFits ? Int32(staticOffset) : 0)
        return (operand, configuration.boundsChecks == .guardRegion && offsetFits, temporaries)
    }

    mutating func emitLoad(_ operation: LoadOperation, _ argument: MemoryArgument, at offset: Int) throws(WasmError) {
        let address = popGPR()
        let (operand, mayFault, temporaries) = try memoryOperand(address: address, argument: argument,
                                                                 width: operation.byteWidth, at: offset)
        let type = operation.resultType
        if type == .f32 || type == .f64 {
            release(address)
            let register = allocateXMM()
            if mayFault { recordTrapSite(.memoryOutOfBounds) }
            assembler.movFloat(type == .f32 ? .single : .double, register, operand)
            for temporary in temporaries { release(temporary) }
            pushXMM(type, register)
            return
        }
        let result = address  // r11 holds the address now; reuse its former register
        if mayFault { recordTrapSite(.memoryOutOfBounds) }
        switch operation {
        case .i32Load: assembler.mov(.bits32, result, operand)
        case .i64Load: assembler.mov(.bits64, result, operand)
        case .i32Load8S: assembler.movsx(.bits32, result, operand, from: .bits8)
        case .i32Load8U: assembler.movzx(.bits32, result, operand, from: .bits8)
        case .i32Load16S: assembler.movsx(.bits32, result, operand, from: .bits16)
        case .i32Load16U: assembler.movzx(.bits32, result, operand, from: .bits16)
        case .i64Load8S: assembler.movsx(.bits64, result, operand, from: .bits8)
        case .i64Load8U: assembler.movzx(.bits32, result, operand, from: .bits8)
        case .i64Load16S: assembler.movsx(.bits64, result, operand, from: .bits16)
        case .i64Load16U: assembler.movzx(.bits32, result, operand, from: .bits16)
        case .i64Load32S: assembler.movsx(.bits64, result, operand, from: .bits32)
        case .i64Load32U: assembler.mov(.bits32, result, operand)
        case .f32Load, .f64Load: break
        }
        for temporary in temporaries { release(temporary) }
        pushGPR(type, result)
    }

    mutating func emitStore(_ operation: StoreOperation, _ argument: MemoryArgument, at offset: Int) throws(WasmError) {
        let (_, value) = popToRegister()
        let address = popGPR()
        let (operand, mayFault, temporaries) = try memoryOperand(address: address, argument: argument,
                                                                 width: operation.byteWidth, at: offset)
        if mayFault { recordTrapSite(.memoryOutOfBounds) }
        switch (operation, value) {
        case (.f32Store, .xmm(let register)): assembler.movFloat(.single, operand, register)
        case (.f64Store, .xmm(let register)): assembler.movFloat(.double, operand, register)
        case (.i32Store, .gpr(let register)), (.i64Store32, .gpr(let register)):
            assembler.mov(.bits32, operand, register)
        case (.i64Store, .gpr(let register)): assembler.mov(.bits64, operand, register)
        case (.i32Store8, .gpr(let register)), (.i64Store8, .gpr(let register)):
            assembler.mov(.bits8, operand, register)
        case (.i32Store16, .gpr(let register)), (.i64Store16, .gpr(let register)):
            assembler.mov(.bits16, operand, register)
        default:
            preconditionFailure("store operand in the wrong register class")
        }
        switch value {
        case .gpr(let register): release(register)
        case .xmm(let register): release(register)
        default: break
        }
        release(address)
        for temporary in temporaries { release(temporary) }
    }

    mutating func emitMemorySize(_ memory: UInt32, at offset: Int) throws(WasmError) {
        let register = allocateGPR()
        assembler.mov(.bits64, register, .at(Self.contextRegister, Int32(VMContextLayout.memories)))
        assembler.mov(.bits64, register, .at(register, try displacement(memory, scale: 8, at: offset)))
        assembler.mov(.bits64, register, .at(register, Int32(VMMemoryLayout.length)))
        assembler.shift(.shr, .bits64, register, immediate: 16)
        pushGPR(.i32, register)
    }

    // MARK: Globals

    /// Loads the cell pointer of global `index` into `register`.
    mutating func loadGlobalCell(_ index: UInt32, into register: X64GPR, at offset: Int) throws(WasmError) {
        assembler.mov(.bits64, register, .at(Self.contextRegister, Int32(VMContextLayout.globals)))
        assembler.mov(.bits64, register, .at(register, try displacement(index, scale: 8, at: offset)))
    }

    mutating func emitGlobalGet(_ index: UInt32, at offset: Int) throws(WasmError) {
        let type = context.globals[Int(index)].valueType
        try loadGlobalCell(index, into: Self.scratch, at: offset)
        pushLoaded(type, from: .at(Self.scratch))
    }

    mutating func emitGlobalSet(_ index: UInt32, at offset: Int) throws(WasmError) {
        let (entry, value) = popToRegister()
        try loadGlobalCell(index, into: Self.scratch, at: offset)
        store(StackEntry(type: entry.type, location: value), to: .at(Self.scratch))
        switch value {
        case .gpr(let register): release(register)
        case .xmm(let register): release(register)
        default: break
        }
    }

    // MARK: Tables

    /// Loads the `VMTable` pointer of `table` into `register`.
    mutating func loadTable(_ table: UInt32, into register: X64GPR, at offset: Int) throws(WasmError) {
        assembler.mov(.bits64, register, .at(Self.contextRegister, Int32(VMContextLayout.tables)))
        assembler.mov(.bits64, register, .at(register, try displacement(table, scale: 8, at: offset)))
    }

    /// Bounds-checks the element index in `index` (zero-extended in place) against the table in
    /// r11 and leaves the element storage pointer in r11.
    mutating func checkTableIndex(_ index: X64GPR) {
        assembler.mov(.bits32, index, index)
        assembler.alu(.cmp, .bits64, index, .at(Self.scratch, Int32(VMTableLayout.length)))
        assembler.jcc(.aboveOrEqual, trapLabel(.tableOutOfBounds))
        assembler.mov(.bits64, Self.scratch, .at(Self.scratch, Int32(VMTableLayout.elements)))
    }

    mutating func emitTableGet(_ table: UInt32, at offset: Int) throws(WasmError) {
        let type = context.tables[Int(table)].elementType.valueType
        let index = popGPR()
        try loadTable(table, into: Self.scratch, at: offset)
        checkTableIndex(index)
        assembler.mov(.bits64, index, X64Memory(base: Self.scratch, index: index, scale: 8))
        pushGPR(type, index)
    }

    mutating func emitTableSet(_ table: UInt32, at offset: Int) throws(WasmError) {
        let value = popGPR()
        let index = popGPR()
        try loadTable(table, into: Self.scratch, at: offset)
        checkTableIndex(index)
        assembler.mov(.bits64, X64Memory(base: Self.scratch, index: index, scale: 8), value)
        release(value)
        release(index)
    }

    mutating func emitTableSize(_ table: UInt32, at offset: Int) throws(WasmError) {
        let register = allocateGPR()
        try loadTable(table, into: register, at: offset)
        assembler.mov(.bits32, register, .at(register, Int32(VMTableLayout.length)))
        pushGPR(.i32, register)
    }
}
