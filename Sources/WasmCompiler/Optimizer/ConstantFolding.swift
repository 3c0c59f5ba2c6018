import WasmFrontEnd

/// Constant folding and algebraic simplification, in one forward sweep over the layout
/// (definitions come before uses): integer operations on constants become constants, identities
/// (`x + 0`, `x * 1`, `x & -1`, `x | 0`, shifts by 0, …) become their operand, a `select` or
/// a `branch` on a constant picks its side. Float arithmetic is not folded: NaN payloads and
/// rounding are left to the machine, exactly as unoptimised code computes them.
public func foldConstants(_ function: inout IRFunction) {
    var constants: [UInt64?] = Array(repeating: nil, count: function.values.count)
    var substitution = ValueSubstitution(valueCount: function.values.count)
    for block in function.liveBlocks {
        for index in function.blocks[block.id].instructions.indices {
            var instruction = function.blocks[block.id].instructions[index]
            instruction.operands = instruction.operands.map(substitution.resolve)
            defer { function.blocks[block.id].instructions[index] = instruction }
            guard let result = instruction.result else { continue }
            if case .constant(let bits) = instruction.operation {
                constants[result.id] = bits
                continue
            }
            let values = instruction.operands.map { constants[$0.id] }
            switch instruction.operation {
            case .numeric(let operation):
                if values.allSatisfy({ $0 != nil }), let folded = evaluate(operation, values.map { $0! }) {
                    instruction = IRInstruction(.constant(folded), [], result: result)
                    constants[result.id] = folded
                } else if let identity = simplify(operation, instruction.operands, values) {
                    substitution.replace(result, with: identity)
                    if let bits = constants[identity.id] { constants[result.id] = bits }
                }
            case .select:
                if let condition = values[2] {
                    let chosen = condition != 0 ? instruction.operands[0] : instruction.operands[1]
                    substitution.replace(result, with: chosen)
                    constants[result.id] = constants[chosen.id]
                } else if instruction.operands[0] == instruction.operands[1] {
                    substitution.replace(result, with: instruction.operands[0])
                }
            default:
                break
            }
        }
        var terminator = function.blocks[block.id].terminator
        terminator.mapValues(substitution.resolve)
        switch terminator {
        case .branch(let condition, let taken, let notTaken):
            if let bits = constants[condition.id] { terminator = .jump((bits & 0xFFFF_FFFF) != 0 ? taken : notTaken) }
        case .branchTable(let index, let targets, let defaultTarget):
            if let bits = constants[index.id] {
                let selector = Int(bits & 0xFFFF_FFFF)
                terminator = .jump(selector < targets.count ? targets[selector] : defaultTarget)
            }
        default:
            break
        }
        function.blocks[block.id].terminator = terminator
    }
    substitution.apply(to: &function)
}

/// The result of an integer (or bit-reinterpreting) operation on constant operands, or nil
/// when it traps or is a float computation.
func evaluate(_ operation: NumericOperation, _ operands: [UInt64]) -> UInt64? {
    let a = operands[0]
    let b = operands.count > 1 ? operands[1] : 0
    let a32 = UInt32(truncatingIfNeeded: a)
    let b32 = UInt32(truncatingIfNeeded: b)
    func bool(_ value: Bool) -> UInt64 { value ? 1 : 0 }
    func i32(_ value: UInt32) -> UInt64 { UInt64(value) }
    switch operation {
    case .i32Eqz: return bool(a32 == 0)
    case .i32Eq: return bool(a32 == b32)
    case .i32Ne: return bool(a32 != b32)
    case .i32LtS: return bool(Int32(bitPattern: a32) < Int32(bitPattern: b32))
    case .i32LtU: return bool(a32 < b32)
    case .i32GtS: return bool(Int32(bitPattern: a32) > Int32(bitPattern: b32))
    case .i32GtU: return bool(a32 > b32)
    case .i32LeS: return bool(Int32(bitPattern: a32) <= Int32(bitPattern: b32))
    case .i32LeU: return bool(a32 <= b32)
    case .i32GeS: return bool(Int32(bitPattern: a32) >= Int32(bitPattern: b32))
    case .i32GeU: return bool(a32 >= b32)
    case .i64Eqz: return bool(a == 0)
    case .i64Eq: return bool(a == b)
    case .i64Ne: return bool(a != b)
    case .i64LtS: return bool(Int64(bitPattern: a) < Int64(bitPattern: b))
    case .i64LtU: return bool(a < b)
    case .i64GtS: return bool(Int64(bitPattern: a) > Int64(bitPattern: b))
    case .i64GtU: return bool(a > b)
    case .i64LeS: return bool(Int64(bitPattern: a) <= Int64(bitPattern: b))
    case .i64LeU: return bool(a <= b)
    case .i64GeS: return bool(Int64(bitPattern: a) >= Int64(bitPattern: b))
    case .i64GeU: return bool(a >= b)
    case .i32Clz: return i32(UInt32(a32.leadingZeroBitCount))
    case .i32Ctz: return i32(UInt32(a32.trailingZeroBitCount))
    case .i32Popcnt: return i32(UInt32(a32.nonzeroBitCount))
    case .i32Add: return i32(a32 &+ b32)
    case .i32Sub: return i32(a32 &- b32)
    case .i32Mul: return i32(a32 &* b32)
    case .i32DivS:
        guard b32 != 0, !(a32 == 0x8000_0000 && b32 == 0xFFFF_FFFF) else { return nil }
        return i32(UInt32(bitPattern: Int32(bitPattern: a32) / Int32(bitPattern: b32)))
    case .i32DivU:
        guard b32 != 0 else { return nil }
        return i32(a32 / b32)
    case .i32RemS:
        guard b32 != 0 else { return nil }
        if b32 == 0xFFFF_FFFF { return 0 }
        return i32(UInt32(bitPattern: Int32(bitPattern: a32) % Int32(bitPattern: b32)))
    case .i32RemU:
        guard b32 != 0 else { return nil }
        return i32(a32 % b32)
    case .i32And: return i32(a32 & b32)
    case .i32Or: return i32(a32 | b32)
    case .i32Xor: return i32(a32 ^ b32)
    case .i32Shl: return i32(a32 << (b32 & 31))
    case .i32ShrS: return i32(UInt32(bitPattern: Int32(bitPattern: a32) >> Int32(b32 & 31)))
    case .i32ShrU: return i32(a32 >> (b32 & 31))
    case .i32Rotl:
        let shift = b32 & 31
        return i32(shift == 0 ? a32 : (a32 << shift) | (a32 >> (32 - shift)))
    case .i32Rotr:
        let shift = b32 & 31
        return i32(shift == 0 ? a32 : (a32 >> shift) | (a32 << (32 - shift)))
    case .i64Clz: return UInt64(a.leadingZeroBitCount)
    case .i64Ctz: return UInt64(a.trailingZeroBitCount)
    case .i64Popcnt: return UInt64(a.nonzeroBitCount)
    case .i64Add: return a &+ b
    case .i64Sub: return a &- b
    case .i64Mul: return a &* b
    case .i64DivS:
        guard b != 0, !(a == 0x8000_0000_0000_0000 && b == UInt64.max) else { return nil }
        return UInt64(bitPattern: Int64(bitPattern: a) / Int64(bitPattern: b))
    case .i64DivU:
        guard b != 0 else { return nil }
        return a / b
    case .i64RemS:
        guard b != 0 else { return nil }
        if b == UInt64.max { return 0 }
        return UInt64(bitPattern: Int64(bitPattern: a) % Int64(bitPattern: b))
    case .i64RemU:
        guard b != 0 else { return nil }
        return a % b
    case .i64And: return a & b
    case .i64Or: return a | b
    case .i64Xor: return a ^ b
    case .i64Shl: return a << (b & 63)
    case .i64ShrS: return UInt64(bitPattern: Int64(bitPattern: a) >> Int64(b & 63))
    case .i64ShrU: return a >> (b & 63)
    case .i64Rotl:
        let shift = b & 63
        return shift == 0 ? a : (a << shift) | (a >> (64 - shift))
    case .i64Rotr:
        let shift = b & 63
        return shift == 0 ? a : (a >> shift) | (a << (64 - shift))
    case .i32WrapI64: return i32(a32)
    case .i64ExtendI32S: return UInt64(bitPattern: Int64(Int32(bitPattern: a32)))
    case .i64ExtendI32U: return UInt64(a32)
    case .i32Extend8S: return i32(UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: a32))))
    case .i32Extend16S: return i32(UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: a32))))
    case .i64Extend8S: return UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: a)))
    case .i64Extend16S: return UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: a)))
    case .i64Extend32S: return UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: a)))
    case .i32ReinterpretF32, .f32ReinterpretI32: return i32(a32)
    case .i64ReinterpretF64, .f64ReinterpretI64: return a
    default: return nil
    }
}

/// The operand an operation reduces to when one side is an identity element.
func simplify(_ operation: NumericOperation, _ operands: [IRValue], _ constants: [UInt64?]) -> IRValue? {
    guard operands.count == 2 else { return nil }
    let left = constants[0]
    let right = constants[1]
    switch operation {
    case .i32Add, .i32Or, .i32Xor, .i64Add, .i64Or, .i64Xor:
        if right == 0 { return operands[0] }
        if left == 0 { return operands[1] }
    case .i32Sub, .i64Sub, .i32Shl, .i32ShrS, .i32ShrU, .i32Rotl, .i32Rotr:
        if let right, operation == .i32Sub || operation == .i64Sub ? right == 0 : (right & 31) == 0 { return operands[0] }
    case .i64Shl, .i64ShrS, .i64ShrU, .i64Rotl, .i64Rotr:
        if let right, (right & 63) == 0 { return operands[0] }
    case .i32Mul, .i64Mul:
        if right == 1 { return operands[0] }
        if left == 1 { return operands[1] }
    case .i32And:
        if right == 0xFFFF_FFFF { return operands[0] }
        if left == 0xFFFF_FFFF { return operands[1] }
    case .i64And:
        if right == UInt64.max { return operands[0] }
        if left == UInt64.max { return operands[1] }
    default:
        break
    }
    if (operation == .i32And || operation == .i64And || operation == .i32Or || operation == .i64Or), operands[0] == operands[1] {
        return operands[0]
    }
    return nil
}
