/// The kind of a control frame on the validator's control stack.
public enum ControlKind: UInt8, Equatable, Sendable {
    /// The implicit frame of the function body (label depth `controlDepth - 1`).
    case function
    case block
    case loop
    /// An `if` whose `else` has not been seen (yet).
    case `if`
    /// The `else` arm of an `if`.
    case `else`
}

/// A snapshot of one control frame, for the compiler.
public struct ControlFrameInfo: Sendable {
    public var kind: ControlKind
    /// The block type's parameters (for the function frame: none; the parameters are locals).
    public var parameterTypes: ValueTypeList
    /// The block type's results (for the function frame: the function's results).
    public var resultTypes: ValueTypeList
    /// Operand stack height (`operandCount`) at which this frame's own operands start:
    /// the block parameters sit just above it.
    public var height: Int
    /// Whether the rest of this frame is dead code (after br, br_table, return, unreachable).
    public var isUnreachable: Bool
}

/// The single-pass type checker of one function body (core spec §3.3 and the validation
/// algorithm of its appendix). Feed it the body's instructions in order with `validate(_:at:)`,
/// then call `finish(at:)`. The compiler runs it in its code-generation loop, reading the
/// operand and control state *before* validating each instruction (the way V8's Liftoff and
/// Wasmtime's Winch validate while compiling). No memory is allocated per instruction apart
/// from the amortised growth of the operand and control stacks.
///
/// Errors are `WasmError`s with phase `.validation` (phase `.decoding` for the structural
/// "END opcode expected" / "section size mismatch"), the instruction's byte offset and the
/// function index.
public struct FunctionValidator: Sendable {
    /// The deepest control nesting accepted (counting the function frame). Hostile bodies of
    /// nested blocks are rejected here instead of growing the compiler's structures unboundedly.
    public static let maximumControlDepth = 10_000

    public let context: ValidationContext
    /// The function's index in the function index space.
    public let functionIndex: UInt32
    /// The function's type index (into `context.types`).
    public let typeIndex: UInt32
    public let type: FunctionType

    /// Types of all locals (parameters first) when there are at most `flatLocalLimit`;
    /// otherwise empty and `localType` searches the runs.
    private let flatLocalTypes: [ValueType]
    private static let flatLocalLimit = 1 << 16
    /// Types of the declared locals as runs; `localRunEnds[i]` is one past the last local
    /// index (parameters included) covered by `localRuns[i]`.
    private let localRuns: [LocalRun]
    private let localRunEnds: [UInt64]
    /// Number of locals, parameters included.
    public let localCount: Int

    /// The operand stack; `nil` stands for an operand of unknown type that only exists in
    /// unreachable code (the spec's `Unknown`).
    private var operands: [ValueType?] = []
    private var frames: [Frame] = []
    /// Type indices whose label types one `br_table` has already checked (a bit per type,
    /// allocated on first need, cleared after each use).
    private var checkedBranchTypes: [UInt64] = []

    private struct Frame: Sendable {
        var kind: ControlKind
        var blockType: FrameType
        var height: Int
        var isUnreachable: Bool
    }

    /// A block type whose type index has been checked.
    private enum FrameType: Sendable {
        case empty
        case value(ValueType)
        case typeIndex(UInt32)
    }

    // MARK: Set-up

    /// Prepares to check the body of function `functionIndex` (function index space; must be a
    /// function with a valid type in `context`).
    public init(context: ValidationContext, functionIndex: UInt32, body: FunctionBody) throws(WasmError) {
        guard let typeIndex = context.typeIndex(ofFunction: functionIndex) else {
            throw .invalid("unknown function " + String(functionIndex), at: body.code.lowerBound)
        }
        self.context = context
        self.functionIndex = functionIndex
        self.typeIndex = typeIndex
        self.type = context.types[Int(typeIndex)]
        var ends: [UInt64] = []
        ends.reserveCapacity(body.locals.count)
        var total = UInt64(type.parameters.count)
        for run in body.locals {
            total += UInt64(run.count)  // at most 2^32 runs of 2^32: no overflow in 64 bits
            ends.append(total)
        }
        guard total <= UInt64(Int32.max) else {
            throw .malformed("too many locals", at: body.code.lowerBound)
        }
        localRuns = body.locals
        localRunEnds = ends
        localCount = Int(total)
        if localCount <= Self.flatLocalLimit {
            var flat = type.parameters
            flat.reserveCapacity(localCount)
            for run in body.locals { flat.append(contentsOf: repeatElement(run.type, count: Int(run.count))) }
            flatLocalTypes = flat
        } else {
            flatLocalTypes = []
        }
        operands.reserveCapacity(16)
        frames.reserveCapacity(8)
        frames.append(Frame(kind: .function, blockType: .typeIndex(typeIndex), height: 0, isUnreachable: false))
    }

    // MARK: State for the compiler

    /// Whether the code at this point is dead (after `br`, `br_table`, `return` or
    /// `unreachable` in the current frame). Operands below the frame may then be `nil`.
    public var isUnreachable: Bool { frames.last?.isUnreachable ?? true }

    /// Number of operands on the stack, all frames together. In unreachable code the
    /// instructions may pop more operands than this (they are of unknown type).
    public var operandCount: Int { operands.count }

    /// Type of the operand `depth` places below the top (0 = top), or nil if unknown: in
    /// unreachable code, either a placeholder or a position below the current frame's base.
    public func operandType(fromTop depth: Int) -> ValueType? {
        guard let frame = frames.last else { return nil }
        let position = operands.count - 1 - depth
        guard depth >= 0, position >= frame.height else { return nil }
        return operands[position]
    }

    /// Number of open control frames, the function frame included (0 after the final `end`).
    /// Valid branch depths are `0..<controlDepth`.
    public var controlDepth: Int { frames.count }

    /// Whether the function's final `end` has been validated.
    public var isFinished: Bool { frames.isEmpty }

    /// The types a branch to label `depth` carries (a loop's parameters, otherwise the
    /// block's results), or nil if there is no such label.
    public func labelTypes(depth: UInt32) -> ValueTypeList? {
        labelTypesIfPresent(depth)
    }

    // The hot paths call these inlined forms: calling a non-inlined method on `self` from a
    // mutating method copies the whole validator.
    @inline(__always)
    private func labelTypesIfPresent(_ depth: UInt32) -> ValueTypeList? {
        guard Int(depth) < frames.count else { return nil }
        return labelTypes(of: frames[frames.count - 1 - Int(depth)])
    }

    /// The control frame `depth` levels out (0 = innermost), or nil.
    public func frame(depth: Int) -> ControlFrameInfo? {
        guard depth >= 0, depth < frames.count else { return nil }
        let frame = frames[frames.count - 1 - depth]
        return ControlFrameInfo(
            kind: frame.kind, parameterTypes: parameterTypes(of: frame.blockType),
            resultTypes: resultTypes(of: frame.blockType), height: frame.height,
            isUnreachable: frame.isUnreachable)
    }

    /// Parameter types of the innermost frame's block type.
    public var blockParameterTypes: ValueTypeList {
        guard let frame = frames.last else { return .empty }
        return parameterTypes(of: frame.blockType)
    }

    /// Result types of the innermost frame's block type.
    public var blockResultTypes: ValueTypeList {
        guard let frame = frames.last else { return .empty }
        return resultTypes(of: frame.blockType)
    }

    /// Type of local `index` (parameters first), or nil if there is no such local.
    public func localType(_ index: UInt32) -> ValueType? {
        localTypeIfPresent(index)
    }

    @inline(__always)
    private func localTypeIfPresent(_ index: UInt32) -> ValueType? {
        if Int(index) < flatLocalTypes.count { return flatLocalTypes[Int(index)] }
        if !flatLocalTypes.isEmpty || localCount == 0 { return nil }
        let parameters = type.parameters
        if Int(index) < parameters.count { return parameters[Int(index)] }
        // First run whose end is beyond `index` (binary search; most bodies have few runs).
        var low = 0
        var high = localRunEnds.count
        let target = UInt64(index)
        while low < high {
            let middle = (low + high) / 2
            if localRunEnds[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low < localRuns.count ? localRuns[low].type : nil
    }

    // MARK: Checking

    /// Applies the typing rule of one instruction found at byte `offset`.
    public mutating func validate(_ instruction: Instruction, at offset: Int) throws(WasmError) {
        guard !frames.isEmpty else {
            // Bytes remain in the body after the function's final `end`.
            throw WasmError(.decoding, "section size mismatch", offset: offset, functionIndex: functionIndex)
        }
        switch instruction {
        // Control
        case .unreachable:
            markUnreachable()
        case .nop:
            break
        case .block(let blockType):
            try enter(.block, blockType, at: offset)
        case .loop(let blockType):
            try enter(.loop, blockType, at: offset)
        case .if(let blockType):
            try pop(.i32, at: offset)
            try enter(.if, blockType, at: offset)
        case .else:
            guard var frame = frames.last, frame.kind == .if else {
                throw WasmError(.decoding, "END opcode expected", offset: offset, functionIndex: functionIndex)
            }
            try popFrameResults(frame, at: offset)
            frame.kind = .else
            frame.isUnreachable = false
            frames[frames.count - 1] = frame
            push(parameterTypes(of: frame.blockType))
        case .end:
            try end(at: offset)
        case .br(let depth):
            try pop(try label(depth, at: offset), at: offset)
            markUnreachable()
        case .brIf(let depth):
            let types = try label(depth, at: offset)
            try pop(.i32, at: offset)
            try pop(types, at: offset)
            push(types)
        case .brTable(let table):
            try pop(.i32, at: offset)
            let defaultTypes = try label(table.defaultTarget, at: offset)
            try checkBranchTableTargets(table.targets, arity: defaultTypes.count, at: offset)
            try pop(defaultTypes, at: offset)
            markUnreachable()
        case .return:
            try pop(resultTypes(of: .typeIndex(typeIndex)), at: offset)
            markUnreachable()
        case .call(let function):
            guard let calleeType = context.functionType(function) else {
                throw invalid("unknown function " + String(function), at: offset)
            }
            try pop(ValueTypeList(calleeType.parameters), at: offset)
            push(ValueTypeList(calleeType.results))
        case .callIndirect(let typeIndex, let table):
            let elementType = try tableType(table, at: offset).elementType
            guard elementType == .funcref else { throw mismatch(at: offset) }
            guard Int(typeIndex) < context.types.count else {
                throw invalid("unknown type " + String(typeIndex), at: offset)
            }
            let calleeType = context.types[Int(typeIndex)]
            try pop(.i32, at: offset)
            try pop(ValueTypeList(calleeType.parameters), at: offset)
            push(ValueTypeList(calleeType.results))

        // Reference
        case .refNull(let referenceType):
            push(referenceType.valueType)
        case .refIsNull:
            let operand = try popAny(at: offset)
            if let operand, !operand.isReference { throw mismatch(at: offset) }
            push(.i32)
        case .refFunc(let function):
            guard Int(function) < context.functionCount else {
                throw invalid("unknown function " + String(function), at: offset)
            }
            guard context.isDeclaredReference(function) else {
                throw invalid("undeclared function reference", at: offset)
            }
            push(.funcref)

        // Parametric
        case .drop:
            _ = try popAny(at: offset)
        case .select:
            try pop(.i32, at: offset)
            let first = try popAny(at: offset)
            let second = try popAny(at: offset)
            if let first, first.isReference { throw mismatch(at: offset) }
            if let second, second.isReference { throw mismatch(at: offset) }
            if let first, let second, first != second { throw mismatch(at: offset) }
            pushOptional(first ?? second)
        case .typedSelect(let valueType):
            try pop(.i32, at: offset)
            try pop(valueType, at: offset)
            try pop(valueType, at: offset)
            push(valueType)

        // Variables
        case .localGet(let index):
            push(try local(index, at: offset))
        case .localSet(let index):
            try pop(try local(index, at: offset), at: offset)
        case .localTee(let index):
            let valueType = try local(index, at: offset)
            try pop(valueType, at: offset)
            push(valueType)
        case .globalGet(let index):
            push(try global(index, at: offset).valueType)
        case .globalSet(let index):
            let global = try global(index, at: offset)
            guard global.isMutable else { throw invalid("global is immutable", at: offset) }
            try pop(global.valueType, at: offset)

        // Tables
        case .tableGet(let table):
            let elementType = try tableType(table, at: offset).elementType.valueType
            try pop(.i32, at: offset)
            push(elementType)
        case .tableSet(let table):
            let elementType = try tableType(table, at: offset).elementType.valueType
            try pop(elementType, at: offset)
            try pop(.i32, at: offset)
        case .tableInit(let element, let table):
            let tableElementType = try tableType(table, at: offset).elementType
            guard try elementSegmentType(element, at: offset) == tableElementType else {
                throw mismatch(at: offset)
            }
            try popI32s(3, at: offset)
        case .elemDrop(let element):
            _ = try elementSegmentType(element, at: offset)
        case .tableCopy(let destination, let source):
            let destinationType = try tableType(destination, at: offset).elementType
            let sourceType = try tableType(source, at: offset).elementType
            guard destinationType == sourceType else { throw mismatch(at: offset) }
            try popI32s(3, at: offset)
        case .tableGrow(let table):
            let elementType = try tableType(table, at: offset).elementType.valueType
            try pop(.i32, at: offset)
            try pop(elementType, at: offset)
            push(.i32)
        case .tableSize(let table):
            _ = try tableType(table, at: offset)
            push(.i32)
        case .tableFill(let table):
            let elementType = try tableType(table, at: offset).elementType.valueType
            try pop(.i32, at: offset)
            try pop(elementType, at: offset)
            try pop(.i32, at: offset)

        // Memory
        case .load(let operation, let argument):
            try checkMemoryArgument(argument, byteWidth: operation.byteWidth, at: offset)
            try pop(.i32, at: offset)
            push(operation.resultType)
        case .store(let operation, let argument):
            try checkMemoryArgument(argument, byteWidth: operation.byteWidth, at: offset)
            try pop(operation.valueType, at: offset)
            try pop(.i32, at: offset)
        case .memorySize(let memory):
            try checkMemory(memory, at: offset)
            push(.i32)
        case .memoryGrow(let memory):
            try checkMemory(memory, at: offset)
            try pop(.i32, at: offset)
            push(.i32)
        case .memoryInit(let data, let memory):
            try checkMemory(memory, at: offset)
            try checkDataSegment(data, at: offset)
            try popI32s(3, at: offset)
        case .dataDrop(let data):
            try checkDataSegment(data, at: offset)
        case .memoryCopy(let destination, let source):
            try checkMemory(destination, at: offset)
            try checkMemory(source, at: offset)
            try popI32s(3, at: offset)
        case .memoryFill(let memory):
            try checkMemory(memory, at: offset)
            try popI32s(3, at: offset)

        // Numeric
        case .i32Const:
            push(.i32)
        case .i64Const:
            push(.i64)
        case .f32Const:
            push(.f32)
        case .f64Const:
            push(.f64)
        case .numeric(let operation):
            let signature = operation.signature
            switch signature.operands {
            case .unary(let operand):
                try pop(operand, at: offset)
            case .binary(let operand):
                try pop(operand, at: offset)
                try pop(operand, at: offset)
            }
            push(signature.result)

        // SIMD
        case .v128Const:
            push(.v128)
        case .simdLoad(_, let argument), .v128Store(let argument),
             .simdLoadLane(_, let argument, _), .simdStoreLane(_, let argument, _):
            try checkMemory(argument.memory, at: offset)
            try applySIMD(instruction, at: offset)
        case .i8x16Shuffle, .simd, .simdLane, .relaxedSIMD:
            try applySIMD(instruction, at: offset)
        }
    }

    /// Checks that the body ended properly: called once the reader has consumed the body.
    /// `offset` is the end of the body (for the error position).
    public func finish(at offset: Int) throws(WasmError) {
        guard frames.isEmpty else {
            throw WasmError(.decoding, "END opcode expected", offset: offset, functionIndex: functionIndex)
        }
    }

    // MARK: Control frames

    private mutating func enter(_ kind: ControlKind, _ blockType: BlockType, at offset: Int) throws(WasmError) {
        let frameType: FrameType
        switch blockType {
        case .empty: frameType = .empty
        case .value(let valueType): frameType = .value(valueType)
        case .typeIndex(let index):
            guard Int(index) < context.types.count else {
                throw invalid("unknown type " + String(index), at: offset)
            }
            frameType = .typeIndex(index)
        }
        guard frames.count < FunctionValidator.maximumControlDepth else {
            throw invalid("control nesting too deep (limit "
                          + String(FunctionValidator.maximumControlDepth) + ")", at: offset)
        }
        let parameters = parameterTypes(of: frameType)
        try pop(parameters, at: offset)
        frames.append(Frame(kind: kind, blockType: frameType, height: operands.count, isUnreachable: false))
        push(parameters)
    }

    private mutating func end(at offset: Int) throws(WasmError) {
        let frame = frames[frames.count - 1]
        try popFrameResults(frame, at: offset)
        let results = resultTypes(of: frame.blockType)
        if frame.kind == .if, parameterTypes(of: frame.blockType) != results {
            // An `if` without `else` passes its parameters through the missing arm.
            throw mismatch(at: offset)
        }
        frames.removeLast()
        if !frames.isEmpty { push(results) }
    }

    /// Pops the frame's results and requires that nothing else is left in it.
    private mutating func popFrameResults(_ frame: Frame, at offset: Int) throws(WasmError) {
        try pop(resultTypes(of: frame.blockType), at: offset)
        guard operands.count == frame.height else { throw mismatch(at: offset) }
    }

    private mutating func markUnreachable() {
        let index = frames.count - 1
        operands.removeSubrange(frames[index].height...)
        frames[index].isUnreachable = true
    }

    @inline(__always)
    private func label(_ depth: UInt32, at offset: Int) throws(WasmError) -> ValueTypeList {
        guard let types = labelTypesIfPresent(depth) else {
            throw invalid("unknown label", at: offset)
        }
        return types
    }

    @inline(__always)
    private func labelTypes(of frame: Frame) -> ValueTypeList {
        frame.kind == .loop ? parameterTypes(of: frame.blockType) : resultTypes(of: frame.blockType)
    }

    @inline(__always)
    private func parameterTypes(of frameType: FrameType) -> ValueTypeList {
        switch frameType {
        case .empty, .value: return .empty
        case .typeIndex(let index): return ValueTypeList(context.types[Int(index)].parameters)
        }
    }

    @inline(__always)
    private func resultTypes(of frameType: FrameType) -> ValueTypeList {
        switch frameType {
        case .empty: return .empty
        case .value(let valueType): return ValueTypeList(single: valueType)
        case .typeIndex(let index): return ValueTypeList(context.types[Int(index)].results)
        }
    }

    // MARK: Operand stack

    @inline(__always)
    private mutating func push(_ valueType: ValueType) {
        operands.append(valueType)
    }

    private mutating func pushOptional(_ valueType: ValueType?) {
        operands.append(valueType)
    }

    private mutating func push(_ types: ValueTypeList) {
        for valueType in types { operands.append(valueType) }
    }

    /// Pops one operand of type `expected`; below the frame's base only unreachable code
    /// may pop (an operand of unknown type).
    @inline(__always)
    private mutating func pop(_ expected: ValueType, at offset: Int) throws(WasmError) {
        let frame = frames[frames.count - 1]
        if operands.count == frame.height {
            guard frame.isUnreachable else { throw mismatch(at: offset) }
            return
        }
        if let actual = operands.removeLast(), actual != expected { throw mismatch(at: offset) }
    }

    /// Pops one operand of any type; nil if its type is unknown.
    private mutating func popAny(at offset: Int) throws(WasmError) -> ValueType? {
        let frame = frames[frames.count - 1]
        if operands.count == frame.height {
            guard frame.isUnreachable else { throw mismatch(at: offset) }
            return nil
        }
        return operands.removeLast()
    }

    /// Pops operands matching `types` (the last type is on top).
    private mutating func pop(_ types: ValueTypeList, at offset: Int) throws(WasmError) {
        var index = types.count
        while index > 0 {
            index -= 1
            try pop(types[index], at: offset)
        }
    }

    private mutating func popI32s(_ count: Int, at offset: Int) throws(WasmError) {
        for _ in 0..<count { try pop(.i32, at: offset) }
    }

    /// Checks each `br_table` target: same arity as the default, and the operands match its
    /// label types. Label types given by the same type index are checked once, so a hostile
    /// table cannot cost targets × arity.
    private mutating func checkBranchTableTargets(_ targets: [UInt32], arity: Int, at offset: Int) throws(WasmError) {
        var usesBitset = false
        defer {
            if usesBitset { clearCheckedBranchTypes(targets) }
        }
        for target in targets {
            guard Int(target) < frames.count else { throw invalid("unknown label", at: offset) }
            let frame = frames[frames.count - 1 - Int(target)]
            let types = labelTypes(of: frame)
            guard types.count == arity else { throw mismatch(at: offset) }
            if arity > 1, case .typeIndex(let index) = frame.blockType {
                if checkedBranchTypes.isEmpty {
                    checkedBranchTypes = [UInt64](repeating: 0, count: context.types.count / 32 + 1)
                }
                usesBitset = true
                let key = Self.branchTypeKey(index, frame.kind)
                let word = Int(key / 64)
                let bit: UInt64 = 1 << (key % 64)
                if checkedBranchTypes[word] & bit != 0 { continue }
                checkedBranchTypes[word] |= bit
            }
            try check(types, at: offset)
        }
    }

    private mutating func clearCheckedBranchTypes(_ targets: [UInt32]) {
        for target in targets where Int(target) < frames.count {
            let frame = frames[frames.count - 1 - Int(target)]
            if case .typeIndex(let index) = frame.blockType {
                checkedBranchTypes[Int(Self.branchTypeKey(index, frame.kind) / 64)] = 0
            }
        }
    }

    /// A loop's label is its type's parameters, any other frame's its results: two bits per type.
    private static func branchTypeKey(_ typeIndex: UInt32, _ kind: ControlKind) -> UInt64 {
        UInt64(typeIndex) * 2 + (kind == .loop ? 1 : 0)
    }

    /// Checks, without popping, that the top of the stack matches `types` (a `br_table`
    /// target); the same as popping and pushing back what was popped.
    @inline(__always)
    private func check(_ types: ValueTypeList, at offset: Int) throws(WasmError) {
        let frame = frames[frames.count - 1]
        var position = operands.count
        var index = types.count
        while index > 0 {
            index -= 1
            position -= 1
            if position < frame.height {
                guard frame.isUnreachable else { throw mismatch(at: offset) }
                return
            }
            if let actual = operands[position], actual != types[index] { throw mismatch(at: offset) }
        }
    }

    // MARK: Index spaces

    @inline(__always)
    private func local(_ index: UInt32, at offset: Int) throws(WasmError) -> ValueType {
        guard let valueType = localTypeIfPresent(index) else {
            throw invalid("unknown local " + String(index), at: offset)
        }
        return valueType
    }

    @inline(__always)
    private func global(_ index: UInt32, at offset: Int) throws(WasmError) -> GlobalType {
        guard Int(index) < context.globals.count else {
            throw invalid("unknown global " + String(index), at: offset)
        }
        return context.globals[Int(index)]
    }

    @inline(__always)
    private func tableType(_ index: UInt32, at offset: Int) throws(WasmError) -> TableType {
        guard Int(index) < context.tables.count else {
            throw invalid("unknown table " + String(index), at: offset)
        }
        return context.tables[Int(index)]
    }

    @inline(__always)
    private func elementSegmentType(_ index: UInt32, at offset: Int) throws(WasmError) -> ReferenceType {
        guard Int(index) < context.elementTypes.count else {
            throw invalid("unknown elem segment " + String(index), at: offset)
        }
        return context.elementTypes[Int(index)]
    }

    @inline(__always)
    private func checkMemory(_ index: UInt32, at offset: Int) throws(WasmError) {
        guard Int(index) < context.memories.count else {
            throw invalid("unknown memory " + String(index), at: offset)
        }
    }

    @inline(__always)
    private func checkDataSegment(_ index: UInt32, at offset: Int) throws(WasmError) {
        guard Int(index) < context.dataCount else {
            throw invalid("unknown data segment " + String(index), at: offset)
        }
    }

    @inline(__always)
    private func checkMemoryArgument(_ argument: MemoryArgument, byteWidth: Int, at offset: Int) throws(WasmError) {
        try checkMemory(argument.memory, at: offset)
        // 2^align must not exceed the access width (at most 8 bytes: align ≤ 3).
        guard argument.align <= 3, 1 << Int(argument.align) <= byteWidth else {
            throw invalid("alignment must not be larger than natural", at: offset)
        }
    }

    // MARK: SIMD

    private mutating func applySIMD(_ instruction: Instruction, at offset: Int) throws(WasmError) {
        let typing: (operands: [ValueType], results: [ValueType])
        do {
            typing = try simdTyping(of: instruction, offset: offset)
        } catch {
            var located = error
            located.functionIndex = functionIndex
            throw located
        }
        try pop(ValueTypeList(typing.operands), at: offset)
        push(ValueTypeList(typing.results))
    }

    // MARK: Errors

    @inline(__always)
    private func invalid(_ message: String, at offset: Int) -> WasmError {
        .invalid(message, at: offset, function: functionIndex)
    }

    @inline(__always)
    private func mismatch(at offset: Int) -> WasmError {
        .invalid("type mismatch", at: offset, function: functionIndex)
    }
}
