import WasmFrontEnd

extension X64CodeGenerator {
    static func mask(_ register: X64GPR) -> UInt16 { 1 << UInt16(register.rawValue) }

    mutating func emitNumeric(_ operation: NumericOperation, at offset: Int) throws(WasmError) {
        switch operation {
        case .i32Eqz: emitEqz(.i32)
        case .i64Eqz: emitEqz(.i64)
        case .i32Eq: emitCompare(.equal, .i32)
        case .i32Ne: emitCompare(.notEqual, .i32)
        case .i32LtS: emitCompare(.less, .i32)
        case .i32LtU: emitCompare(.below, .i32)
        case .i32GtS: emitCompare(.greater, .i32)
        case .i32GtU: emitCompare(.above, .i32)
        case .i32LeS: emitCompare(.lessOrEqual, .i32)
        case .i32LeU: emitCompare(.belowOrEqual, .i32)
        case .i32GeS: emitCompare(.greaterOrEqual, .i32)
        case .i32GeU: emitCompare(.aboveOrEqual, .i32)
        case .i64Eq: emitCompare(.equal, .i64)
        case .i64Ne: emitCompare(.notEqual, .i64)
        case .i64LtS: emitCompare(.less, .i64)
        case .i64LtU: emitCompare(.below, .i64)
        case .i64GtS: emitCompare(.greater, .i64)
        case .i64GtU: emitCompare(.above, .i64)
        case .i64LeS: emitCompare(.lessOrEqual, .i64)
        case .i64LeU: emitCompare(.belowOrEqual, .i64)
        case .i64GeS: emitCompare(.greaterOrEqual, .i64)
        case .i64GeU: emitCompare(.aboveOrEqual, .i64)

        case .i32Clz: emitCountLeadingZeros(.i32)
        case .i64Clz: emitCountLeadingZeros(.i64)
        case .i32Ctz: emitCountTrailingZeros(.i32)
        case .i64Ctz: emitCountTrailingZeros(.i64)
        case .i32Popcnt: emitPopulationCount(.i32)
        case .i64Popcnt: emitPopulationCount(.i64)

        case .i32Add: emitALU(.add, .i32)
        case .i32Sub: emitALU(.sub, .i32)
        case .i32And: emitALU(.and, .i32)
        case .i32Or: emitALU(.or, .i32)
        case .i32Xor: emitALU(.xor, .i32)
        case .i64Add: emitALU(.add, .i64)
        case .i64Sub: emitALU(.sub, .i64)
        case .i64And: emitALU(.and, .i64)
        case .i64Or: emitALU(.or, .i64)
        case .i64Xor: emitALU(.xor, .i64)
        case .i32Mul: emitMultiply(.i32)
        case .i64Mul: emitMultiply(.i64)
        case .i32DivS: emitDivision(.i32, signed: true, remainder: false)
        case .i32DivU: emitDivision(.i32, signed: false, remainder: false)
        case .i32RemS: emitDivision(.i32, signed: true, remainder: true)
        case .i32RemU: emitDivision(.i32, signed: false, remainder: true)
        case .i64DivS: emitDivision(.i64, signed: true, remainder: false)
        case .i64DivU: emitDivision(.i64, signed: false, remainder: false)
        case .i64RemS: emitDivision(.i64, signed: true, remainder: true)
        case .i64RemU: emitDivision(.i64, signed: false, remainder: true)
        case .i32Shl: emitShift(.shl, .i32)
        case .i32ShrS: emitShift(.sar, .i32)
        case .i32ShrU: emitShift(.shr, .i32)
        case .i32Rotl: emitShift(.rol, .i32)
        case .i32Rotr: emitShift(.ror, .i32)
        case .i64Shl: emitShift(.shl, .i64)
        case .i64ShrS: emitShift(.sar, .i64)
        case .i64ShrU: emitShift(.shr, .i64)
        case .i64Rotl: emitShift(.rol, .i64)
        case .i64Rotr: emitShift(.ror, .i64)

        case .i32WrapI64:
            let register = popGPR()
            assembler.mov(.bits32, register, register)
            pushGPR(.i32, register)
        case .i64ExtendI32S: emitSignExtension(from: .bits32, to: .i64)
        case .i64ExtendI32U:
            let register = popGPR()
            assembler.mov(.bits32, register, register)
            pushGPR(.i64, register)
        case .i32Extend8S: emitSignExtension(from: .bits8, to: .i32)
        case .i32Extend16S: emitSignExtension(from: .bits16, to: .i32)
        case .i64Extend8S: emitSignExtension(from: .bits8, to: .i64)
        case .i64Extend16S: emitSignExtension(from: .bits16, to: .i64)
        case .i64Extend32S: emitSignExtension(from: .bits32, to: .i64)

        default:
            emitFloatNumeric(operation)
        }
    }

    /// `dst op= rhs`, with rhs as an immediate, a register or its slot.
    mutating func applyALU(_ operation: X64Assembler.ALUOperation, _ size: X64OperandSize, _ destination: X64GPR,
                           _ rhs: StackEntry, position: Int) {
        switch rhs.location {
        case .constant(let bits):
            let value = Int64(bitPattern: bits)
            if size == .bits32 {
                assembler.alu(operation, size, destination, immediate: Int32(truncatingIfNeeded: bits))
            } else if value >= Int64(Int32.min) && value <= Int64(Int32.max) {
                assembler.alu(operation, size, destination, immediate: Int32(value))
            } else {
                assembler.movImmediate(.bits64, Self.scratch, bits)
                assembler.alu(operation, size, destination, Self.scratch)
            }
        case .gpr(let register):
            assembler.alu(operation, size, destination, register)
        case .spilled:
            assembler.alu(operation, size, destination, slotAddress(position))
        case .xmm:
            preconditionFailure("integer operand in a vector register")
        }
    }

    mutating func emitALU(_ operation: X64Assembler.ALUOperation, _ type: ValueType) {
        let position = stack.count - 1
        let rhs = pop()
        let lhs = popGPR()
        applyALU(operation, Self.size(of: type), lhs, rhs, position: position)
        release(rhs)
        pushGPR(type, lhs)
    }

    mutating func emitCompare(_ condition: X64Condition, _ type: ValueType) {
        let position = stack.count - 1
        let rhs = pop()
        let lhs = popGPR()
        applyALU(.cmp, Self.size(of: type), lhs, rhs, position: position)
        release(rhs)
        pushCondition(condition, into: lhs)
    }

    /// Materializes a flag condition as 0/1 in `register` and pushes it as an i32.
    mutating func pushCondition(_ condition: X64Condition, into register: X64GPR) {
        assembler.setcc(condition, register)
        assembler.movzx(.bits32, register, register, from: .bits8)
        pushGPR(.i32, register)
    }

    mutating func emitEqz(_ type: ValueType) {
        let register = popGPR()
        assembler.test(Self.size(of: type), register, register)
        pushCondition(.equal, into: register)
    }

    mutating func emitMultiply(_ type: ValueType) {
        let size = Self.size(of: type)
        let position = stack.count - 1
        let rhs = pop()
        let lhs = popGPR()
        switch rhs.location {
        case .constant(let bits):
            let value = Int64(bitPattern: bits)
            if size == .bits32 {
                assembler.imul(size, lhs, lhs, immediate: Int32(truncatingIfNeeded: bits))
            } else if value >= Int64(Int32.min) && value <= Int64(Int32.max) {
                assembler.imul(size, lhs, lhs, immediate: Int32(value))
            } else {
                assembler.movImmediate(.bits64, Self.scratch, bits)
                assembler.imul(size, lhs, Self.scratch)
            }
        case .gpr(let register):
            assembler.imul(size, lhs, register)
        case .spilled:
            assembler.imul(size, lhs, slotAddress(position))
        case .xmm:
            preconditionFailure("integer operand in a vector register")
        }
        release(rhs)
        pushGPR(type, lhs)
    }

    /// Division and remainder through rdx:rax, with the WebAssembly traps: division by zero,
    /// and `INT_MIN / -1` overflow for div_s (rem_s of `INT_MIN, -1` is 0).
    mutating func emitDivision(_ type: ValueType, signed: Bool, remainder: Bool) {
        let size = Self.size(of: type)
        evict(.rax)
        markUsed(.rax)
        evict(.rdx)
        markUsed(.rdx)
        let divisor = popGPR(excluding: Self.mask(.rax) | Self.mask(.rdx))
        _ = popGPR(into: .rax)
        assembler.test(size, divisor, divisor)
        assembler.jcc(.equal, trapLabel(.integerDivideByZero))
        if signed {
            let normal = assembler.newLabel()
            let done = assembler.newLabel()
            assembler.alu(.cmp, size, divisor, immediate: -1)
            assembler.jcc(.notEqual, normal, short: true)
            if remainder {
                assembler.alu(.xor, .bits32, .rdx, .rdx)
                assembler.jmp(done, short: true)
            } else {
                if size == .bits32 {
                    assembler.alu(.cmp, .bits32, .rax, immediate: Int32.min)
                } else {
                    assembler.movImmediate(.bits64, Self.scratch, UInt64(1) << 63)
                    assembler.alu(.cmp, .bits64, .rax, Self.scratch)
                }
                assembler.jcc(.equal, trapLabel(.integerOverflow))
            }
            assembler.bind(normal)
            assembler.signExtendAccumulator(size)
            assembler.unary(.idiv, size, divisor)
            assembler.bind(done)
        } else {
            assembler.alu(.xor, .bits32, .rdx, .rdx)
            assembler.unary(.div, size, divisor)
        }
        release(divisor)
        if remainder {
            release(.rax)
            pushGPR(type, .rdx)
        } else {
            release(.rdx)
            pushGPR(type, .rax)
        }
    }

    /// Shifts and rotates; the count is taken modulo the width (x86 masks it the same way).
    mutating func emitShift(_ operation: X64Assembler.ShiftOperation, _ type: ValueType) {
        let size = Self.size(of: type)
        let width: UInt64 = type == .i32 ? 32 : 64
        if case .constant(let bits) = stack[stack.count - 1].location {
            _ = pop()
            let value = popGPR()
            assembler.shift(operation, size, value, immediate: UInt8(bits % width))
            pushGPR(type, value)
            return
        }
        _ = popGPR(into: .rcx)
        let value = popGPR(excluding: Self.mask(.rcx))
        assembler.shift(operation, size, value)
        release(.rcx)
        pushGPR(type, value)
    }

    mutating func emitCountLeadingZeros(_ type: ValueType) {
        let size = Self.size(of: type)
        let value = popGPR()
        if features.hasLZCNT {
            assembler.bitCount(.lzcnt, size, value, value)
        } else {
            // bsr gives the index of the highest set bit (ZF for zero): clz = (width-1) ^ index,
            // and the zero case uses 2*width-1 so that the xor yields width.
            let width: UInt64 = type == .i32 ? 32 : 64
            assembler.movImmediate(.bits32, Self.scratch, 2 * width - 1)
            assembler.bitCount(.bsr, size, value, value)
            assembler.cmov(.equal, size, value, Self.scratch)
            assembler.alu(.xor, size, value, immediate: Int32(width - 1))
        }
        pushGPR(type, value)
    }

    mutating func emitCountTrailingZeros(_ type: ValueType) {
        let size = Self.size(of: type)
        let value = popGPR()
        if features.hasTZCNT {
            assembler.bitCount(.tzcnt, size, value, value)
        } else {
            assembler.movImmediate(.bits32, Self.scratch, type == .i32 ? 32 : 64)
            assembler.bitCount(.bsf, size, value, value)
            assembler.cmov(.equal, size, value, Self.scratch)
        }
        pushGPR(type, value)
    }

    mutating func emitPopulationCount(_ type: ValueType) {
        let size = Self.size(of: type)
        let value = popGPR()
        if features.hasPOPCNT {
            assembler.bitCount(.popcnt, size, value, value)
            pushGPR(type, value)
            return
        }
        // SWAR bit count.
        let temporary = allocateGPR()
        func constant(_ pattern: UInt64) -> UInt64 { type == .i32 ? pattern & 0xFFFF_FFFF : pattern }
        func andConstant(_ register: X64GPR, _ pattern: UInt64, assembler: inout X64Assembler) {
            if size == .bits32 {
                assembler.alu(.and, .bits32, register, immediate: Int32(truncatingIfNeeded: pattern))
            } else {
                assembler.movImmediate(.bits64, Self.scratch, pattern)
                assembler.alu(.and, .bits64, register, Self.scratch)
            }
        }
        assembler.mov(.bits64, temporary, value)
        assembler.shift(.shr, size, temporary, immediate: 1)
        andConstant(temporary, constant(0x5555_5555_5555_5555), assembler: &assembler)
        assembler.alu(.sub, size, value, temporary)
        assembler.mov(.bits64, temporary, value)
        assembler.shift(.shr, size, temporary, immediate: 2)
        andConstant(temporary, constant(0x3333_3333_3333_3333), assembler: &assembler)
        andConstant(value, constant(0x3333_3333_3333_3333), assembler: &assembler)
        assembler.alu(.add, size, value, temporary)
        assembler.mov(.bits64, temporary, value)
        assembler.shift(.shr, size, temporary, immediate: 4)
        assembler.alu(.add, size, value, temporary)
        andConstant(value, constant(0x0F0F_0F0F_0F0F_0F0F), assembler: &assembler)
        if size == .bits32 {
            assembler.imul(.bits32, value, value, immediate: 0x0101_0101)
            assembler.shift(.shr, .bits32, value, immediate: 24)
        } else {
            assembler.movImmediate(.bits64, Self.scratch, 0x0101_0101_0101_0101)
            assembler.imul(.bits64, value, Self.scratch)
            assembler.shift(.shr, .bits64, value, immediate: 56)
        }
        release(temporary)
        pushGPR(type, value)
    }

    mutating func emitSignExtension(from fromSize: X64OperandSize, to type: ValueType) {
        let register = popGPR()
        assembler.movsx(Self.size(of: type), register, register, from: fromSize)
        pushGPR(type, register)
    }
}
