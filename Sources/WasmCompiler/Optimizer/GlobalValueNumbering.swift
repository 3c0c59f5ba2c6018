import WasmFrontEnd

/// Global value numbering over the dominator tree, with two memory-aware parts:
/// - pure instructions and trapping arithmetic (an identical dominating instruction already
///   trapped or produced the same value) and `global.get` of immutable globals are merged with
///   an identical instruction that dominates them;
/// - **bounds-check elimination**: a `boundsCheck` dominated by a check of the same address
///   and memory with an end at least as large is removed (memories never shrink);
/// - **redundant load elimination**: inside a block, a load of the same address, width and
///   offset as an earlier one with no store, call or bulk memory operation in between reuses
///   its value.
public func numberValues(_ function: inout IRFunction, immutableGlobals: [Bool]) {
    let analysis = ControlFlowAnalysis(function)
    let children = analysis.dominatorTreeChildren()
    var substitution = ValueSubstitution(valueCount: function.values.count)
    var available: [ValueKey: IRValue] = [:]
    var checks: [CheckKey: UInt64] = [:]
    enum Undo {
        case value(ValueKey, IRValue?)
        case check(CheckKey, UInt64?)
    }
    var undo: [Undo] = []
    // Depth-first walk of the dominator tree with explicit scopes.
    var work: [(block: IRBlockID, mark: Int, entering: Bool)] = [(function.entry, 0, true)]
    while let item = work.popLast() {
        if !item.entering {
            while undo.count > item.mark {
                switch undo.removeLast() {
                case .value(let key, let previous): available[key] = previous
                case .check(let key, let previous): checks[key] = previous
                }
            }
            continue
        }
        let block = item.block
        work.append((block, undo.count, false))
        var loads: [LoadKey: IRValue] = [:]
        var kept: [IRInstruction] = []
        kept.reserveCapacity(function.blocks[block.id].instructions.count)
        for var instruction in function.blocks[block.id].instructions {
            instruction.operands = instruction.operands.map(substitution.resolve)
            let operation = instruction.operation
            if case .boundsCheck(let memory, let end) = operation {
                let key = CheckKey(memory: memory, address: instruction.operands[0])
                if let known = checks[key], known >= end { continue }
                undo.append(.check(key, checks[key]))
                checks[key] = end
                kept.append(instruction)
                continue
            }
            if case .load(let load, let argument) = operation, let result = instruction.result {
                let key = LoadKey(operation: load.rawValue, memory: argument.memory, offset: argument.offset,
                                  address: instruction.operands[0])
                if let earlier = loads[key] {
                    substitution.replace(result, with: earlier)
                    continue
                }
                loads[key] = result
                kept.append(instruction)
                continue
            }
            if operation.hasSideEffects { loads.removeAll(keepingCapacity: true) }
            if let result = instruction.result,
               let key = ValueKey(operation, instruction.operands, function.type(of: result), immutableGlobals) {
                if let existing = available[key] {
                    substitution.replace(result, with: existing)
                    continue
                }
                undo.append(.value(key, nil))
                available[key] = result
            }
            kept.append(instruction)
        }
        function.blocks[block.id].instructions = kept
        function.blocks[block.id].terminator.mapValues(substitution.resolve)
        for child in children[block.id].reversed() { work.append((child, undo.count, true)) }
    }
    for index in function.values.indices where substitution.resolve(IRValue(index)).id != index {
        function.values[index].definition = .removed
    }
    substitution.apply(to: &function)
}

/// What makes two instructions compute the same value.
struct ValueKey: Hashable {
    var tag: UInt8
    var type: IRType
    var payload: UInt64
    /// A SIMD instruction's 128-bit immediate (`v128.const`, shuffle lanes).
    var immediate = V128(low: 0, high: 0)
    var operands: [IRValue]

    init?(_ operation: IROperation, _ operands: [IRValue], _ type: IRType, _ immutableGlobals: [Bool]) {
        self.type = type
        self.operands = operands
        switch operation {
        case .constant(let bits): tag = 1; payload = bits
        case .numeric(let numeric): tag = 2; payload = UInt64(numeric.rawValue)
        case .select: tag = 3; payload = 0
        case .refIsNull: tag = 4; payload = 0
        case .refFunc(let function): tag = 5; payload = UInt64(function)
        case .globalGet(let index):
            guard Int(index) < immutableGlobals.count, immutableGlobals[Int(index)] else { return nil }
            tag = 6; payload = UInt64(index)
        case .vector(let instruction):
            tag = 7
            switch instruction {
            case .simd(let operation): payload = 1 << 40 | UInt64(operation.rawValue)
            case .simdLane(let operation, let lane): payload = 2 << 40 | UInt64(operation.rawValue) << 8 | UInt64(lane)
            case .relaxedSIMD(let operation): payload = 3 << 40 | UInt64(operation.rawValue)
            case .v128Const(let value): payload = 4 << 40; immediate = value
            case .i8x16Shuffle(let lanes): payload = 5 << 40; immediate = lanes
            default: return nil
            }
        default:
            return nil
        }
    }
}

struct CheckKey: Hashable {
    var memory: UInt32
    var address: IRValue
}

struct LoadKey: Hashable {
    var operation: UInt8
    var memory: UInt32
    var offset: UInt64
    var address: IRValue
}
