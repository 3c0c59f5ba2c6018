import WasmFrontEnd

/// Removes blocks the entry cannot reach.
public func removeUnreachableBlocks(_ function: inout IRFunction) {
    let analysis = ControlFlowAnalysis(function)
    for index in function.blocks.indices where !function.isRemoved[index] && !analysis.isReachable(IRBlockID(index)) {
        function.isRemoved[index] = true
        for parameter in function.blocks[index].parameters { function.values[parameter.id].definition = .removed }
        for instruction in function.blocks[index].instructions {
            if let result = instruction.result { function.values[result.id].definition = .removed }
        }
        function.blocks[index] = IRBlock()
    }
}

/// Dead code elimination: removes instructions whose result nobody uses and that have no
/// effect (pure ones, and reads of state that cannot trap), repeatedly, with a worklist of
/// use counts. Unused block parameters are left to `simplifyBlockParameters`/the allocator.
public func eliminateDeadCode(_ function: inout IRFunction) {
    removeUnreachableBlocks(&function)
    var uses = useCounts(function)
    var changed = true
    while changed {
        changed = false
        for block in function.liveBlocks.reversed() {
            var instructions = function.blocks[block.id].instructions
            var index = instructions.count - 1
            var removedAny = false
            while index >= 0 {
                let instruction = instructions[index]
                if let result = instruction.result, uses[result.id] == 0, isRemovable(instruction.operation) {
                    for operand in instruction.operands { uses[operand.id] -= 1 }
                    function.values[result.id].definition = .removed
                    instructions.remove(at: index)
                    removedAny = true
                    changed = true
                }
                index -= 1
            }
            if removedAny { function.blocks[block.id].instructions = instructions }
        }
    }
}

private func isRemovable(_ operation: IROperation) -> Bool {
    if operation.isPure { return true }
    switch operation {
    case .globalGet, .memorySize, .tableSize, .callResult: return true
    default: return false
    }
}
