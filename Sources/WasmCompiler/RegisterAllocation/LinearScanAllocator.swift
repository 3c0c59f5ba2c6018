import WasmFrontEnd

/// Register allocation for the optimising tier: linear scan (Poletto & Sarkar) over live
/// intervals in layout order, ISA-neutral. The ISA says how many allocatable registers each
/// class has; the result names register *indices* (the lowering maps them to machine
/// registers) or 8-byte stack slots (a v128 value takes an aligned pair of them).
///
/// Live intervals come from SSA and the structured layout without a data-flow fixpoint: a
/// value lives from its definition to its last use, and a use inside a loop that the
/// definition is outside of extends the interval to the end of that loop (loops are contiguous
/// in the layout). This is conservative (no lifetime holes) and linear in the function size.
///
/// Every register is caller-saved in the wasm calling convention, so a value live across a
/// call is kept in a stack slot. Integer constants get no register at all: the lowering
/// rematerialises them (as immediates where the instruction allows).
public enum IRLocation: Equatable, Sendable {
    /// Defined but never needed (a removed value).
    case none
    case register(IRRegisterClass, Int)
    /// 8-byte stack slot `n`. A v128 value takes slots `n` and `n + 1` with `n` even, so the
    /// lowering can keep every pair 16-byte aligned.
    case stack(Int)
    /// An integer constant, rematerialised at each use.
    case constant(UInt64)
}

public struct RegisterAllocation: Sendable {
    public var locations: [IRLocation]
    /// 8-byte slots (v128 pairs included).
    public var spillSlotCount: Int
    /// Allocation statistics (for `apus compile` and the notes): values given a register,
    /// values spilled because of pressure, values spilled because they live across a call.
    public var registerCount = 0
    public var pressureSpills = 0
    public var callSpills = 0
}

/// The registers an ISA hands to the allocator (per class, as indices 0..<count).
public struct AllocatableRegisters: Sendable {
    public var integer: Int
    public var float: Int
    public init(integer: Int, float: Int) {
        self.integer = integer
        self.float = float
    }
}

public func allocateRegisters(_ function: IRFunction, registers: AllocatableRegisters) -> RegisterAllocation {
    let layout = function.liveBlocks
    let analysis = ControlFlowAnalysis(function)
    let valueCount = function.values.count
    var start = Array(repeating: -1, count: valueCount)
    var end = Array(repeating: -1, count: valueCount)
    var locations = Array(repeating: IRLocation.none, count: valueCount)
    var blockStart = Array(repeating: 0, count: function.blocks.count)
    var blockEnd = Array(repeating: 0, count: function.blocks.count)
    var callPositions: [Int] = []
    // Number definitions.
    var position = 0
    for block in layout {
        blockStart[block.id] = position
        for parameter in function.blocks[block.id].parameters { start[parameter.id] = position; end[parameter.id] = position }
        for instruction in function.blocks[block.id].instructions {
            position += 2
            if instruction.operation.isCall { callPositions.append(position) }
            if let result = instruction.result {
                // Call results are written right after the call.
                start[result.id] = position
                end[result.id] = position
                if case .constant(let bits) = instruction.operation, function.type(of: result).registerClass == .integer {
                    locations[result.id] = .constant(bits)
                }
            }
        }
        position += 2
        blockEnd[block.id] = position
        position += 2
    }
    // Innermost loop of each block and the loop tree (header → enclosing header).
    var innermostLoop = Array(repeating: -1, count: function.blocks.count)
    var parentLoop = Array(repeating: -1, count: function.blocks.count)
    var open: [(header: Int, endPosition: Int)] = []
    for (layoutPosition, block) in layout.enumerated() {
        while let last = open.last, last.endPosition < layoutPosition { open.removeLast() }
        if analysis.loopEnd[block.id] >= layoutPosition {
            parentLoop[block.id] = open.last?.header ?? -1
            open.append((block.id, analysis.loopEnd[block.id]))
        }
        innermostLoop[block.id] = open.last?.header ?? -1
    }
    func use(_ value: IRValue, at usePosition: Int, in block: IRBlockID) {
        var extended = usePosition
        var loop = innermostLoop[block.id]
        let definition = start[value.id]
        while loop >= 0, blockStart[loop] > definition {
            let loopLast = layout[analysis.loopEnd[loop]]
            extended = max(extended, blockEnd[loopLast.id])
            loop = parentLoop[loop]
        }
        if extended > end[value.id] { end[value.id] = extended }
    }
    for block in layout {
        var instructionPosition = blockStart[block.id]
        for instruction in function.blocks[block.id].instructions {
            instructionPosition += 2
            for operand in instruction.operands { use(operand, at: instructionPosition, in: block) }
        }
        let terminator = function.blocks[block.id].terminator
        for operand in terminator.operands { use(operand, at: blockEnd[block.id], in: block) }
        for edge in terminator.edges {
            for argument in edge.arguments { use(argument, at: blockEnd[block.id], in: block) }
        }
    }
    // Intervals to allocate, by start.
    var intervals: [Int] = []
    for value in 0..<valueCount where start[value] >= 0 && function.values[value].definition != .removed {
        if case .constant = locations[value] { continue }
        intervals.append(value)
    }
    intervals.sort { start[$0] != start[$1] ? start[$0] < start[$1] : $0 < $1 }
    var allocation = RegisterAllocation(locations: locations, spillSlotCount: 0)
    func crossesCall(_ value: Int) -> Bool {
        // First call position after the definition.
        var low = 0
        var high = callPositions.count
        while low < high {
            let middle = (low + high) / 2
            if callPositions[middle] <= start[value] { low = middle + 1 } else { high = middle }
        }
        return low < callPositions.count && callPositions[low] < end[value]
    }
    var spilled: [Int] = []
    for registerClass in [IRRegisterClass.integer, .float] {
        let registerCount = registerClass == .integer ? registers.integer : registers.float
        var free = Array((0..<registerCount).reversed())
        // Active intervals with their register, kept sorted by end.
        var active: [(value: Int, register: Int)] = []
        for value in intervals where function.values[value].type.registerClass == registerClass {
            if crossesCall(value) {
                spilled.append(value)
                allocation.callSpills += 1
                continue
            }
            while let first = active.first, end[first.value] < start[value] {
                free.append(first.register)
                active.removeFirst()
            }
            var register: Int
            if let available = free.popLast() {
                register = available
            } else if let last = active.last, end[last.value] > end[value] {
                // Spill the interval that lives longest and give its register to this one.
                register = last.register
                spilled.append(last.value)
                allocation.locations[last.value] = .none
                active.removeLast()
                allocation.pressureSpills += 1
            } else {
                spilled.append(value)
                allocation.pressureSpills += 1
                continue
            }
            allocation.locations[value] = .register(registerClass, register)
            var insertion = active.count
            while insertion > 0 && end[active[insertion - 1].value] > end[value] { insertion -= 1 }
            active.insert((value, register), at: insertion)
        }
    }
    // Stack slots, reused once an interval ends; v128 values get pairs starting at an even
    // slot, reused only by v128 values.
    spilled.sort { start[$0] != start[$1] ? start[$0] < start[$1] : $0 < $1 }
    var freeSlots: [Int] = []
    var freePairs: [Int] = []
    var busySlots: [(end: Int, slot: Int, isPair: Bool)] = []
    for value in spilled {
        busySlots.sort { $0.end > $1.end }
        while let last = busySlots.last, last.end < start[value] {
            if last.isPair { freePairs.append(last.slot) } else { freeSlots.append(last.slot) }
            busySlots.removeLast()
        }
        let isPair = function.values[value].type == .v128
        let slot: Int
        if isPair {
            if let reused = freePairs.popLast() {
                slot = reused
            } else {
                if allocation.spillSlotCount % 2 != 0 {
                    // The padding slot serves scalars.
                    freeSlots.append(allocation.spillSlotCount)
                    allocation.spillSlotCount += 1
                }
                slot = allocation.spillSlotCount
                allocation.spillSlotCount += 2
            }
        } else if let reused = freeSlots.popLast() {
            slot = reused
        } else {
            slot = allocation.spillSlotCount
            allocation.spillSlotCount += 1
        }
        busySlots.append((end[value], slot, isPair))
        allocation.locations[value] = .stack(slot)
    }
    for location in allocation.locations {
        if case .register = location { allocation.registerCount += 1 }
    }
    return allocation
}
