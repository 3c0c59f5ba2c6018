import WasmFrontEnd

/// Replacing values by others, shared by the passes: a pass records `v → w` while it scans and
/// applies all records in one sweep over the function at the end.
struct ValueSubstitution {
    private var replacement: [Int32]
    private(set) var isEmpty = true

    init(valueCount: Int) {
        replacement = Array(repeating: -1, count: valueCount)
    }

    mutating func grow(to count: Int) {
        if replacement.count < count { replacement.append(contentsOf: repeatElement(-1, count: count - replacement.count)) }
    }

    /// The final replacement of `value` (following chains).
    func resolve(_ value: IRValue) -> IRValue {
        var current = value.index
        while Int(current) < replacement.count, replacement[Int(current)] >= 0 { current = replacement[Int(current)] }
        return IRValue(Int(current))
    }

    mutating func replace(_ value: IRValue, with other: IRValue) {
        let target = resolve(other)
        guard target != value else { return }
        replacement[value.id] = target.index
        isEmpty = false
    }

    /// Rewrites every use in `function`.
    func apply(to function: inout IRFunction) {
        guard !isEmpty else { return }
        for block in function.liveBlocks {
            for index in function.blocks[block.id].instructions.indices {
                let operands = function.blocks[block.id].instructions[index].operands
                if operands.isEmpty { continue }
                function.blocks[block.id].instructions[index].operands = operands.map(resolve)
            }
            function.blocks[block.id].terminator.mapValues(resolve)
        }
    }
}

/// Uses of each value, counted over instructions, terminators and edge arguments.
func useCounts(_ function: IRFunction) -> [Int] {
    var counts = Array(repeating: 0, count: function.values.count)
    for block in function.liveBlocks {
        for instruction in function.blocks[block.id].instructions {
            for operand in instruction.operands { counts[operand.id] += 1 }
        }
        let terminator = function.blocks[block.id].terminator
        for operand in terminator.operands { counts[operand.id] += 1 }
        for edge in terminator.edges {
            for argument in edge.arguments { counts[argument.id] += 1 }
        }
    }
    return counts
}
