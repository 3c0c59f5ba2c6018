import WasmFrontEnd

/// The optimising tier's intermediate representation: an ISA-neutral SSA form.
///
/// A function is a list of basic blocks in *layout order* (the order the translator filled
/// them, which follows the structure of the wasm body: every loop's blocks are contiguous and
/// every definition comes before its uses). Blocks take parameters instead of φ-nodes; every
/// edge passes one argument per parameter. Each instruction defines at most one value.
/// Instructions stay close to wasm semantics (a `numeric` instruction traps where wasm traps)
/// and add machine-neutral ones the passes can reason about: explicit bounds checks,
/// call results read after a call.

/// The type of an SSA value. Both reference types are 64-bit handles.
public enum IRType: UInt8, Equatable, Hashable, Sendable {
    case i32, i64, f32, f64, v128, ref

    public init(_ type: ValueType) {
        switch type {
        case .i32: self = .i32
        case .i64: self = .i64
        case .f32: self = .f32
        case .f64: self = .f64
        case .v128: self = .v128
        case .funcref, .externref: self = .ref
        }
    }

    /// Which register file holds a value of this type.
    public var registerClass: IRRegisterClass {
        switch self {
        case .i32, .i64, .ref: return .integer
        case .f32, .f64, .v128: return .float
        }
    }

    public var name: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .ref: return "ref"
        }
    }
}

/// The two register files every supported ISA has.
public enum IRRegisterClass: Int, Equatable, Sendable {
    case integer = 0, float = 1
}

/// An SSA value: an index into `IRFunction.values`.
public struct IRValue: Hashable, Sendable {
    public var index: Int32
    public init(_ index: Int) { self.index = Int32(index) }
    public var id: Int { Int(index) }
}

/// A basic block: an index into `IRFunction.blocks`.
public struct IRBlockID: Hashable, Sendable {
    public var index: Int32
    public init(_ index: Int) { self.index = Int32(index) }
    public var id: Int { Int(index) }
}

/// What an instruction does. Operands are in `IRInstruction.operands`, in the order given.
public enum IROperation: Equatable, Sendable {
    /// The constant's bits (floats by bit pattern, i32 zero-extended); no operands. Scalars
    /// only: a v128 constant is `vector(.v128Const)`.
    case constant(UInt64)
    /// A wasm numeric instruction (operands bottom to top); traps where wasm traps.
    case numeric(NumericOperation)
    /// Operands: first, second, condition — `condition != 0 ? first : second`.
    case select
    /// Operand: the i32 address. Traps with `memoryOutOfBounds` unless
    /// `zext(address) + end <= memory length`. Memories never shrink, so a check that passed
    /// stays true for the rest of the function.
    case boundsCheck(memory: UInt32, end: UInt64)
    /// Operand: address. Guard-region configuration: faults (a trap site) when out of bounds,
    /// unless a `boundsCheck` already covers it (explicit configuration, or a huge offset).
    case load(LoadOperation, MemoryArgument)
    /// Operands: address, value.
    case store(StoreOperation, MemoryArgument)
    case globalGet(UInt32)
    /// Operand: value.
    case globalSet(UInt32)
    /// Operands: the arguments. The results are read by the `callResult` instructions that
    /// immediately follow it.
    case call(function: UInt32)
    /// Operands: the arguments, then the table element index.
    case callIndirect(typeIndex: UInt32, table: UInt32)
    /// Result `index` of the call just before (no operands).
    case callResult(UInt32)
    case memorySize(UInt32)
    /// Operand: delta pages. Result: old size or -1.
    case memoryGrow(UInt32)
    /// Operands: destination, value, length.
    case memoryFill(UInt32)
    /// Operands: destination, source, length.
    case memoryCopy(destination: UInt32, source: UInt32)
    /// Operands: destination, source, length.
    case memoryInit(data: UInt32, memory: UInt32)
    case dataDrop(UInt32)
    /// Operand: index.
    case tableGet(UInt32)
    /// Operands: index, value.
    case tableSet(UInt32)
    case tableSize(UInt32)
    /// Operands: initial value, delta.
    case tableGrow(UInt32)
    /// Operands: destination, value, length.
    case tableFill(UInt32)
    /// Operands: destination, source, length.
    case tableCopy(destination: UInt32, source: UInt32)
    /// Operands: destination, source, length.
    case tableInit(element: UInt32, table: UInt32)
    case elemDrop(UInt32)
    /// Operand: a reference. Result: i32 1 if null.
    case refIsNull
    case refFunc(UInt32)
    /// A SIMD instruction without memory access (`v128.const`, `i8x16.shuffle`, `simd`,
    /// `simdLane`, `relaxedSIMD`); operands: its wasm operands, bottom to top. None traps.
    case vector(Instruction)
    /// `simdLoad` or `simdLoadLane`; operands: address (and the vector for a lane load).
    /// Traps like `load` (a preceding `boundsCheck` covers it where the configuration needs).
    case vectorLoad(Instruction)
    /// `v128.store` or `simdStoreLane`; operands: address, vector.
    case vectorStore(Instruction)
    /// Operand: the frame pointer an on-stack-replacement entry receives (its only parameter).
    /// Loads the value at that byte offset of the interrupted baseline frame (a local or an
    /// operand slot, `BaselineFrameMap`). Only in the entry block of such an entry.
    case frameLoad(Int32)
}

/// One instruction; `result` is the value it defines, if any.
public struct IRInstruction: Equatable, Sendable {
    public var operation: IROperation
    public var operands: [IRValue]
    public var result: IRValue?

    public init(_ operation: IROperation, _ operands: [IRValue] = [], result: IRValue? = nil) {
        self.operation = operation
        self.operands = operands
        self.result = result
    }
}

/// A control-flow edge: the target block and one argument per target parameter.
public struct IREdge: Equatable, Sendable {
    public var target: IRBlockID
    public var arguments: [IRValue]

    public init(_ target: IRBlockID, _ arguments: [IRValue] = []) {
        self.target = target
        self.arguments = arguments
    }
}

/// How a block ends.
public enum IRTerminator: Equatable, Sendable {
    case jump(IREdge)
    /// `condition != 0` (an i32) takes the first edge.
    case branch(IRValue, IREdge, IREdge)
    /// `targets[index]`, or `defaultTarget` when the index is out of range.
    case branchTable(IRValue, [IREdge], IREdge)
    case `return`([IRValue])
    case trap(TrapKind)

    /// The outgoing edges in a fixed order (edge slot numbers index into it).
    public var edges: [IREdge] {
        switch self {
        case .jump(let edge): return [edge]
        case .branch(_, let taken, let notTaken): return [taken, notTaken]
        case .branchTable(_, let targets, let defaultTarget): return targets + [defaultTarget]
        case .return, .trap: return []
        }
    }

    public var edgeCount: Int {
        switch self {
        case .jump: return 1
        case .branch: return 2
        case .branchTable(_, let targets, _): return targets.count + 1
        case .return, .trap: return 0
        }
    }

    public func edge(_ slot: Int) -> IREdge {
        switch self {
        case .jump(let edge): return edge
        case .branch(_, let taken, let notTaken): return slot == 0 ? taken : notTaken
        case .branchTable(_, let targets, let defaultTarget): return slot < targets.count ? targets[slot] : defaultTarget
        case .return, .trap: preconditionFailure("terminator without edges")
        }
    }

    public mutating func setEdge(_ slot: Int, _ edge: IREdge) {
        switch self {
        case .jump: self = .jump(edge)
        case .branch(let condition, let taken, let notTaken):
            self = slot == 0 ? .branch(condition, edge, notTaken) : .branch(condition, taken, edge)
        case .branchTable(let index, var targets, var defaultTarget):
            if slot < targets.count { targets[slot] = edge } else { defaultTarget = edge }
            self = .branchTable(index, targets, defaultTarget)
        case .return, .trap: preconditionFailure("terminator without edges")
        }
    }

    /// Values the terminator itself reads (not the edge arguments).
    public var operands: [IRValue] {
        switch self {
        case .branch(let condition, _, _): return [condition]
        case .branchTable(let index, _, _): return [index]
        case .return(let values): return values
        case .jump, .trap: return []
        }
    }

    /// Rewrites every value the terminator reads, edge arguments included.
    public mutating func mapValues(_ transform: (IRValue) -> IRValue) {
        func mapEdge(_ edge: IREdge) -> IREdge { IREdge(edge.target, edge.arguments.map(transform)) }
        switch self {
        case .jump(let edge): self = .jump(mapEdge(edge))
        case .branch(let condition, let taken, let notTaken):
            self = .branch(transform(condition), mapEdge(taken), mapEdge(notTaken))
        case .branchTable(let index, let targets, let defaultTarget):
            self = .branchTable(transform(index), targets.map(mapEdge), mapEdge(defaultTarget))
        case .return(let values): self = .return(values.map(transform))
        case .trap: break
        }
    }
}

public struct IRBlock: Equatable, Sendable {
    public var parameters: [IRValue]
    public var instructions: [IRInstruction]
    public var terminator: IRTerminator

    public init(parameters: [IRValue] = [], instructions: [IRInstruction] = [], terminator: IRTerminator = .trap(.unreachable)) {
        self.parameters = parameters
        self.instructions = instructions
        self.terminator = terminator
    }
}

/// Where a value comes from.
public enum IRDefinition: Equatable, Sendable {
    /// Parameter `index` of a block.
    case parameter(IRBlockID, Int)
    /// The result of an instruction in a block.
    case instruction(IRBlockID)
    /// Replaced by another value or deleted by a pass.
    case removed
}

public struct IRValueInfo: Equatable, Sendable {
    public var type: IRType
    public var definition: IRDefinition
}

/// One function in SSA form. Block 0 is the entry; its parameters are the wasm parameters.
public struct IRFunction: Sendable {
    public var functionIndex: UInt32
    public var type: FunctionType
    public var blocks: [IRBlock] = []
    public var values: [IRValueInfo] = []
    /// Blocks removed by a pass keep their slot (so ids stay stable) and are marked here.
    public var isRemoved: [Bool] = []
    /// Every block once, in layout order: the order the translator filled them (the wasm
    /// body's order). Loops are contiguous in it and definitions come before their uses; the
    /// register allocator numbers instructions in this order and the lowering emits it.
    public var layout: [IRBlockID] = []

    public init(functionIndex: UInt32, type: FunctionType) {
        self.functionIndex = functionIndex
        self.type = type
    }

    public var entry: IRBlockID { IRBlockID(0) }

    public mutating func newBlock() -> IRBlockID {
        blocks.append(IRBlock())
        isRemoved.append(false)
        return IRBlockID(blocks.count - 1)
    }

    public mutating func newValue(_ type: IRType, _ definition: IRDefinition) -> IRValue {
        values.append(IRValueInfo(type: type, definition: definition))
        return IRValue(values.count - 1)
    }

    public mutating func addParameter(_ block: IRBlockID, _ type: IRType) -> IRValue {
        let value = newValue(type, .parameter(block, blocks[block.id].parameters.count))
        blocks[block.id].parameters.append(value)
        return value
    }

    /// Appends an instruction to `block`; returns its result (nil for `resultType == nil`).
    @discardableResult
    public mutating func append(_ block: IRBlockID, _ operation: IROperation, _ operands: [IRValue] = [],
                                resultType: IRType? = nil) -> IRValue? {
        var result: IRValue?
        if let resultType { result = newValue(resultType, .instruction(block)) }
        blocks[block.id].instructions.append(IRInstruction(operation, operands, result: result))
        return result
    }

    public func type(of value: IRValue) -> IRType { values[value.id].type }

    /// Live (not removed) block ids in layout order.
    public var liveBlocks: [IRBlockID] {
        var result: [IRBlockID] = []
        result.reserveCapacity(layout.count)
        for block in layout where !isRemoved[block.id] { result.append(block) }
        return result
    }

    public var instructionCount: Int {
        var count = 0
        for index in blocks.indices where !isRemoved[index] { count += blocks[index].instructions.count + 1 }
        return count
    }
}

// MARK: Effects

extension IROperation {
    /// Calls into other code (wasm, host or runtime builtins): every register is clobbered.
    public var isCall: Bool {
        switch self {
        case .call, .callIndirect, .memoryGrow, .memoryFill, .memoryCopy, .memoryInit, .dataDrop,
             .tableGrow, .tableFill, .tableCopy, .tableInit, .elemDrop:
            return true
        default:
            return false
        }
    }

    /// Writes state other code can observe (memory, globals, tables, or anything via a call).
    public var hasSideEffects: Bool {
        switch self {
        case .store, .vectorStore, .globalSet, .tableSet: return true
        default: return isCall
        }
    }

    /// May stop execution with a trap.
    public var mayTrap: Bool {
        switch self {
        case .numeric(let operation): return operation.mayTrap
        case .boundsCheck, .load, .store, .vectorLoad, .vectorStore, .tableGet, .tableSet: return true
        default: return isCall
        }
    }

    /// Reads state that side effects change (memory, mutable globals, tables, call results).
    public var readsState: Bool {
        switch self {
        case .load, .vectorLoad, .globalGet, .tableGet, .tableSize, .memorySize, .callResult, .frameLoad: return true
        default: return false
        }
    }

    /// Computes its result from its operands alone: may be removed when unused, merged with
    /// an identical instruction and moved anywhere its operands are available.
    public var isPure: Bool {
        switch self {
        case .constant, .select, .refIsNull, .refFunc, .vector: return true
        case .numeric(let operation): return !operation.mayTrap
        default: return false
        }
    }
}

extension NumericOperation {
    /// Division, remainder and the non-saturating float → int truncations trap.
    public var mayTrap: Bool {
        switch self {
        case .i32DivS, .i32DivU, .i32RemS, .i32RemU, .i64DivS, .i64DivU, .i64RemS, .i64RemU,
             .i32TruncF32S, .i32TruncF32U, .i32TruncF64S, .i32TruncF64U,
             .i64TruncF32S, .i64TruncF32U, .i64TruncF64S, .i64TruncF64U:
            return true
        default:
            return false
        }
    }
}
