import WasmFrontEnd

/// Checks the invariants every pass must keep; the tests run it after every pass.
///
/// - every value is defined exactly once, where `values[v].definition` says;
/// - every use is dominated by its definition (same block: earlier instruction);
/// - edges pass one argument per target parameter, of the parameter's type;
/// - `callResult` instructions directly follow their call (or another call result);
/// - `constant` defines scalars only (a v128 constant is a `vector(.v128Const)`);
/// - edges target live blocks, and the entry has the function's parameters.
public struct IRVerificationError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

extension IRFunction {
    public func verify() throws(IRVerificationError) {
        let analysis = ControlFlowAnalysis(self)
        // Position of each value's definition: (block, index in block; -1 = parameter).
        var definedAt = Array(repeating: (block: -1, index: -2), count: values.count)
        guard blocks[0].parameters.count == type.parameters.count else {
            throw IRVerificationError("entry block has \(blocks[0].parameters.count) parameters, function has \(type.parameters.count)")
        }
        var placed = Array(repeating: 0, count: blocks.count)
        for block in layout { placed[block.id] += 1 }
        for index in blocks.indices where !isRemoved[index] && placed[index] != 1 {
            throw IRVerificationError("block\(index) appears \(placed[index]) times in the layout")
        }
        for block in liveBlocks {
            for (position, parameter) in blocks[block.id].parameters.enumerated() {
                guard definedAt[parameter.id].block < 0 else { throw IRVerificationError("v\(parameter.index) defined twice") }
                guard values[parameter.id].definition == .parameter(block, position) else {
                    throw IRVerificationError("v\(parameter.index): definition record does not match block\(block.index)")
                }
                definedAt[parameter.id] = (block.id, -1)
            }
            for (position, instruction) in blocks[block.id].instructions.enumerated() {
                guard let result = instruction.result else { continue }
                guard definedAt[result.id].block < 0 else { throw IRVerificationError("v\(result.index) defined twice") }
                guard values[result.id].definition == .instruction(block) else {
                    throw IRVerificationError("v\(result.index): definition record does not match block\(block.index)")
                }
                definedAt[result.id] = (block.id, position)
            }
        }
        func checkUse(_ value: IRValue, in block: IRBlockID, at position: Int) throws(IRVerificationError) {
            guard value.id >= 0, value.id < values.count, definedAt[value.id].block >= 0 else {
                throw IRVerificationError("block\(block.index): use of undefined v\(value.index)")
            }
            let definition = definedAt[value.id]
            if definition.block == block.id {
                guard definition.index < position else {
                    throw IRVerificationError("block\(block.index): v\(value.index) used before its definition")
                }
            } else if !analysis.dominates(IRBlockID(definition.block), block)
                || analysis.layoutPosition[definition.block] > analysis.layoutPosition[block.id] {
                throw IRVerificationError("block\(block.index): v\(value.index) is not dominated by its definition in block\(definition.block)")
            }
        }
        for block in liveBlocks where analysis.isReachable(block) {
            let instructions = blocks[block.id].instructions
            for (position, instruction) in instructions.enumerated() {
                for operand in instruction.operands { try checkUse(operand, in: block, at: position) }
                if case .callResult = instruction.operation {
                    guard position > 0 else { throw IRVerificationError("block\(block.index): call result without a call") }
                    switch instructions[position - 1].operation {
                    case .call, .callIndirect, .callResult: break
                    default: throw IRVerificationError("block\(block.index): call result does not follow a call")
                    }
                }
                if case .constant = instruction.operation, let result = instruction.result, type(of: result) == .v128 {
                    throw IRVerificationError("block\(block.index): v\(result.index) is a v128 scalar constant")
                }
                if instruction.operation.isPure || instruction.operation.readsState {
                    guard instruction.result != nil else {
                        throw IRVerificationError("block\(block.index): value-producing instruction without a result")
                    }
                }
            }
            let terminator = blocks[block.id].terminator
            for operand in terminator.operands { try checkUse(operand, in: block, at: instructions.count) }
            for edge in terminator.edges {
                guard edge.target.id > 0, edge.target.id < blocks.count, !isRemoved[edge.target.id] else {
                    throw IRVerificationError("block\(block.index): edge to a missing block\(edge.target.index)")
                }
                let parameters = blocks[edge.target.id].parameters
                guard parameters.count == edge.arguments.count else {
                    throw IRVerificationError("block\(block.index): edge to block\(edge.target.index) passes \(edge.arguments.count) arguments for \(parameters.count) parameters")
                }
                for (argument, parameter) in zip(edge.arguments, parameters) {
                    try checkUse(argument, in: block, at: instructions.count)
                    guard type(of: argument) == type(of: parameter) else {
                        throw IRVerificationError("block\(block.index): argument v\(argument.index) has the wrong type for block\(edge.target.index)")
                    }
                }
            }
        }
    }
}
