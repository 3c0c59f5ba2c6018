/// Operand types (bottom to top) and result types of a SIMD instruction, after checking its
/// immediates that need no module context: lane indices ("invalid lane index") and alignment
/// ("alignment must not be larger than natural"). The validator checks the memory index.
/// The returned arrays are shared constants: typing allocates nothing.
func simdTyping(of instruction: Instruction, offset: Int) throws(WasmError) -> (operands: [ValueType], results: [ValueType]) {
    switch instruction {
    case .simd(let operation):
        let signature = operation.signature
        return (signature.operandTypes, signature.resultType == .i32 ? SIMDTypeLists.i32 : SIMDTypeLists.v128)

    case .relaxedSIMD(let operation):
        return (operation.signature.operandTypes, SIMDTypeLists.v128)

    case .v128Const:
        return (SIMDTypeLists.none, SIMDTypeLists.v128)

    case .i8x16Shuffle(let lanes):
        // Each byte selects one of the 32 lanes of the two operands.
        guard (lanes.low | lanes.high) & 0xE0E0_E0E0_E0E0_E0E0 == 0 else {
            throw .invalid("invalid lane index", at: offset)
        }
        return (SIMDTypeLists.v128v128, SIMDTypeLists.v128)

    case .simdLoad(let operation, let memoryArgument):
        try checkAlignment(memoryArgument, natural: operation.naturalAlignment, offset: offset)
        return (SIMDTypeLists.i32, SIMDTypeLists.v128)

    case .v128Store(let memoryArgument):
        try checkAlignment(memoryArgument, natural: 4, offset: offset)
        return (SIMDTypeLists.i32v128, SIMDTypeLists.none)

    case .simdLoadLane(let operation, let memoryArgument, let lane):
        try checkAlignment(memoryArgument, natural: operation.naturalAlignment, offset: offset)
        try checkLane(lane, count: operation.laneCount, offset: offset)
        return (SIMDTypeLists.i32v128, SIMDTypeLists.v128)

    case .simdStoreLane(let operation, let memoryArgument, let lane):
        try checkAlignment(memoryArgument, natural: operation.naturalAlignment, offset: offset)
        try checkLane(lane, count: operation.laneCount, offset: offset)
        return (SIMDTypeLists.i32v128, SIMDTypeLists.none)

    case .simdLane(let operation, let lane):
        try checkLane(lane, count: operation.laneCount, offset: offset)
        if operation.isReplace {
            return (SIMDTypeLists.v128With(operation.scalarType), SIMDTypeLists.v128)
        }
        return (SIMDTypeLists.v128, SIMDTypeLists.single(operation.scalarType))

    default:
        throw .invalid("not a SIMD instruction", at: offset)
    }
}

@inline(__always)
private func checkAlignment(_ memoryArgument: MemoryArgument, natural: UInt32, offset: Int) throws(WasmError) {
    guard memoryArgument.align <= natural else {
        throw .invalid("alignment must not be larger than natural", at: offset)
    }
}

@inline(__always)
private func checkLane(_ lane: UInt8, count: Int, offset: Int) throws(WasmError) {
    guard Int(lane) < count else { throw .invalid("invalid lane index", at: offset) }
}
