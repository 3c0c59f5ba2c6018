import WasmFrontEnd

/// Removes trivial block parameters: a parameter whose incoming arguments are all one value
/// (or the parameter itself, around a loop) is that value. The translator gives every loop
/// header a parameter per local; this pass keeps only the locals the loop really changes.
/// Repeats until nothing changes, since removing one parameter can make another trivial.
public func simplifyBlockParameters(_ function: inout IRFunction) {
    var substitution = ValueSubstitution(valueCount: function.values.count)
    var changed = true
    while changed {
        changed = false
        let analysis = ControlFlowAnalysis(function)
        // Incoming edges per block: (predecessor, edge slot).
        var incoming: [[(block: IRBlockID, slot: Int)]] = Array(repeating: [], count: function.blocks.count)
        for block in function.liveBlocks where analysis.isReachable(block) {
            let terminator = function.blocks[block.id].terminator
            for slot in 0..<terminator.edgeCount {
                incoming[terminator.edge(slot).target.id].append((block, slot))
            }
        }
        for block in function.liveBlocks where block.id != 0 && !function.blocks[block.id].parameters.isEmpty {
            let parameters = function.blocks[block.id].parameters
            var keep = Array(repeating: true, count: parameters.count)
            for (position, parameter) in parameters.enumerated() {
                var unique: IRValue?
                var trivial = true
                for edge in incoming[block.id] {
                    let argument = substitution.resolve(function.blocks[edge.block.id].terminator.edge(edge.slot).arguments[position])
                    if argument == parameter { continue }
                    if let seen = unique, seen != argument { trivial = false; break }
                    unique = argument
                }
                if trivial, let unique {
                    substitution.replace(parameter, with: unique)
                    keep[position] = false
                }
            }
            guard keep.contains(false) else { continue }
            changed = true
            var kept: [IRValue] = []
            for (position, parameter) in parameters.enumerated() {
                if keep[position] {
                    function.values[parameter.id].definition = .parameter(block, kept.count)
                    kept.append(parameter)
                } else {
                    function.values[parameter.id].definition = .removed
                }
            }
            function.blocks[block.id].parameters = kept
            for edge in incoming[block.id] {
                var outgoing = function.blocks[edge.block.id].terminator.edge(edge.slot)
                var arguments: [IRValue] = []
                for (position, argument) in outgoing.arguments.enumerated() where keep[position] { arguments.append(argument) }
                outgoing.arguments = arguments
                function.blocks[edge.block.id].terminator.setEdge(edge.slot, outgoing)
            }
        }
    }
    substitution.apply(to: &function)
}
