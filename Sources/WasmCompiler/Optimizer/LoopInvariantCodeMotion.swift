import WasmFrontEnd

/// Loop-invariant code motion: a pure instruction inside a loop whose operands are all
/// defined before the loop moves to the end of the loop's preheader (the one block outside
/// the loop that enters the header, ending in a jump). Inner loops are processed first, so
/// an invariant hoisted out of an inner loop can leave the outer one too. Trapping and
/// memory-reading instructions stay (they may not execute on every path).
public func hoistLoopInvariants(_ function: inout IRFunction) {
    let analysis = ControlFlowAnalysis(function)
    let layout = function.liveBlocks
    // Layout position of each value's definition.
    var definedAt = Array(repeating: Int.max, count: function.values.count)
    for (position, block) in layout.enumerated() {
        for parameter in function.blocks[block.id].parameters { definedAt[parameter.id] = position }
        for instruction in function.blocks[block.id].instructions {
            if let result = instruction.result { definedAt[result.id] = position }
        }
    }
    // Headers from the innermost (latest start) to the outermost.
    var headers: [(start: Int, end: Int, block: IRBlockID)] = []
    for (position, block) in layout.enumerated() where analysis.loopEnd[block.id] >= position {
        headers.append((position, analysis.loopEnd[block.id], block))
    }
    headers.sort { $0.start > $1.start }
    for header in headers {
        let outside = analysis.predecessors[header.block.id].filter { analysis.layoutPosition[$0.id] < header.start }
        guard outside.count == 1, case .jump = function.blocks[outside[0].id].terminator else { continue }
        let preheader = outside[0]
        let preheaderPosition = analysis.layoutPosition[preheader.id]
        var hoisted: [IRInstruction] = []
        for position in header.start...header.end {
            let block = layout[position]
            var kept: [IRInstruction] = []
            var moved = false
            for instruction in function.blocks[block.id].instructions {
                if instruction.operation.isPure, let result = instruction.result,
                   instruction.operands.allSatisfy({ definedAt[$0.id] < header.start }) {
                    hoisted.append(instruction)
                    definedAt[result.id] = preheaderPosition
                    function.values[result.id].definition = .instruction(preheader)
                    moved = true
                } else {
                    kept.append(instruction)
                }
            }
            if moved { function.blocks[block.id].instructions = kept }
        }
        function.blocks[preheader.id].instructions.append(contentsOf: hoisted)
    }
}
