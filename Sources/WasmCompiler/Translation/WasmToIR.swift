import WasmFrontEnd

/// What an on-stack-replacement entry needs: the loop it enters (its `loop` instruction's
/// byte offset in the module) and where the baseline frame keeps the state there.
struct OSREntryRequest {
    var loopOffset: Int
    var frame: BaselineFrameMap
}

/// The state of an on-stack-replacement translation (see `enterLoopForOSR`).
///
/// The entry cannot simply jump to the target loop's header when that loop is nested: the
/// code of each enclosing loop before the next inner one would become reachable only
/// through the enclosing loop's back edge, after the header it defines values for (and the
/// layout would no longer list definitions before uses). Instead the entry jumps to the
/// outermost enclosing loop, and each loop of that chain gets an extra `entering` flag
/// parameter (1 from the entry, 0 on its other edges) on which its header branches straight
/// to the next loop of the chain. The CFG stays structured and reducible; the flag costs one
/// test per iteration of an enclosing loop.
struct OSRTranslationState {
    var request: OSREntryRequest
    /// Offsets of the loops that enclose the target loop (outermost first).
    var enclosingLoops: [Int]
    /// How many loops of the chain (the target included) have been entered.
    var entered = 0
    /// The block that jumps to the next loop of the chain: block 0, then each enclosing loop's
    /// dispatch block.
    var dispatch: IRBlockID = IRBlockID(0)
    /// The operand stack just inside the last chain loop entered: the next one must find it
    /// unchanged below its parameters (only the entry's loads and the loops' parameters carry
    /// values past the skipped code).
    var stackInside: [IRValue] = []
    /// The locals just inside the last chain loop entered (its header's parameters): on the
    /// entry's path they hold the loaded values, so its dispatch block passes them on.
    var localsInside: [IRValue] = []

    var isComplete: Bool { entered > enclosingLoops.count }
}

/// Offsets of the `loop` instructions enclosing the one at `loopOffset` in `body`, outermost
/// first; nil when there is no loop there.
func enclosingLoopOffsets(_ loopOffset: Int, module: Module, body: FunctionBody) -> [Int]? {
    var reader = InstructionReader(module: module, body: body)
    var open: [Int?] = []  // per open block/loop/if: the loop's offset, or nil
    while !reader.isAtEnd {
        let offset = reader.offset
        guard let instruction = try? reader.next() else { return nil }
        switch instruction {
        case .loop:
            if offset == loopOffset { return open.compactMap { $0 } }
            open.append(offset)
        case .block, .if: open.append(nil)
        case .end: if !open.isEmpty { open.removeLast() }
        default: break
        }
    }
    return nil
}

/// Translates one validated function body into SSA IR in a single pass, validating each
/// instruction with the front end's `FunctionValidator` as it goes.
///
/// Locals become SSA values directly: the translator keeps the current value of every local.
/// A forward merge (the end of a block or `if` that is reached by branches) gets a parameter
/// for a local only where the incoming edges disagree; a loop header gets a parameter for every
/// local (the body's assignments are not known yet) and `simplifyBlockParameters` removes the
/// ones that turn out trivial.
struct WasmToIRTranslator {
    let module: Module
    let context: ValidationContext
    let configuration: CompilerConfiguration
    var function: IRFunction
    var locals: [IRValue] = []
    var stack: [IRValue] = []
    var frames: [Frame] = []
    /// The block being filled, or nil in unreachable code.
    var current: IRBlockID?
    /// Building an on-stack-replacement entry: block 0 takes the baseline frame pointer and
    /// enters the requested loop (through its enclosing loops); the code before is translated
    /// unreachable from it.
    var osr: OSRTranslationState?

    /// An edge whose arguments are filled in when its forward target is closed.
    struct PendingEdge {
        var block: IRBlockID
        var slot: Int
        var values: [IRValue]
        var locals: [IRValue]
    }

    enum FrameKind { case block, loop, `if`, function }

    struct Frame {
        var kind: FrameKind
        var parameters: [ValueType]
        var results: [ValueType]
        /// Stack height below the frame's parameters.
        var base: Int
        /// Loop: the header. Block/if: the merge block (created when first needed).
        var target: IRBlockID?
        var pending: [PendingEdge] = []
        /// `if`: the block the false condition enters, with the entry state.
        var elseBlock: IRBlockID?
        var entryValues: [IRValue] = []
        var entryLocals: [IRValue] = []
        var sawElse = false
        /// The frame was opened in unreachable code: it produces no IR.
        var dead = false
        /// Loop: an enclosing loop of an on-stack-replacement entry's target; its header's last
        /// parameter is the `entering` flag (0 on every edge but the entry's).
        var hasEnteringFlag = false

        var branchTypes: [ValueType] { kind == .loop ? parameters : results }
    }

    init(module: Module, context: ValidationContext, configuration: CompilerConfiguration, functionIndex: UInt32, type: FunctionType) {
        self.module = module
        self.context = context
        self.configuration = configuration
        function = IRFunction(functionIndex: functionIndex, type: type)
    }

    static func unsupported(_ message: String, at offset: Int, function: UInt32) -> WasmError {
        WasmError.invalid(message, at: offset, function: function)
    }

    /// Builds the IR of `body` (function `functionIndex`), or throws the validation error.
    static func translate(module: Module, context: ValidationContext, configuration: CompilerConfiguration,
                          body: FunctionBody, functionIndex: UInt32,
                          osr: OSREntryRequest? = nil) throws(WasmError) -> IRFunction {
        var validator = try FunctionValidator(context: context, functionIndex: functionIndex, body: body)
        var translator = WasmToIRTranslator(module: module, context: context, configuration: configuration,
                                            functionIndex: functionIndex, type: validator.type)
        if let osr {
            guard let chain = enclosingLoopOffsets(osr.loopOffset, module: module, body: body) else {
                throw unsupported("no loop at offset \(osr.loopOffset) for on-stack replacement",
                                  at: body.code.lowerBound, function: functionIndex)
            }
            translator.osr = OSRTranslationState(request: osr, enclosingLoops: chain)
        }
        try translator.begin(body: body, validator: validator)
        var reader = InstructionReader(module: module, body: body)
        while !reader.isAtEnd {
            let offset = reader.offset
            let instruction: Instruction
            do {
                instruction = try reader.next()
            } catch {
                var located = error
                if located.functionIndex == nil { located.functionIndex = functionIndex }
                throw located
            }
            try validator.validate(instruction, at: offset)
            guard !translator.frames.isEmpty else { continue }
            try translator.translate(instruction, at: offset)
        }
        try validator.finish(at: reader.offset)
        if let osr = translator.osr, !osr.isComplete {
            throw unsupported("no reachable loop at offset \(osr.request.loopOffset) for on-stack replacement",
                              at: body.code.lowerBound, function: functionIndex)
        }
        return translator.function
    }

    mutating func begin(body: FunctionBody, validator: FunctionValidator) throws(WasmError) {
        var entry = function.newBlock()
        function.layout.append(entry)
        if osr != nil {
            // Block 0 receives the frame pointer; the wasm entry becomes an unreachable block
            // (removed by the pipeline) whose parameters stand for the wasm parameters.
            _ = function.addParameter(entry, .i64)
            function.type = FunctionType(parameters: [.i64], results: function.type.results)
            entry = function.newBlock()
            function.layout.append(entry)
        }
        for parameter in validator.type.parameters {
            locals.append(function.addParameter(entry, IRType(parameter)))
        }
        current = entry
        var zeros: [IRType: IRValue] = [:]
        for run in body.locals {
            let type = IRType(run.type)
            let zero: IRValue
            if let existing = zeros[type] {
                zero = existing
            } else {
                let operation: IROperation = type == .v128 ? .vector(.v128Const(V128(low: 0, high: 0))) : .constant(0)
                zero = function.append(entry, operation, resultType: type)!
                zeros[type] = zero
            }
            for _ in 0..<run.count { locals.append(zero) }
        }
        frames.append(Frame(kind: .function, parameters: [], results: function.type.results, base: 0))
    }

    // MARK: Helpers

    mutating func pop() -> IRValue { stack.removeLast() }

    mutating func popMany(_ count: Int) -> [IRValue] {
        let values = Array(stack[(stack.count - count)...])
        stack.removeLast(count)
        return values
    }

    mutating func emit(_ operation: IROperation, _ operands: [IRValue] = [], result: IRType? = nil) -> IRValue? {
        function.append(current!, operation, operands, resultType: result)
    }

    mutating func push(_ operation: IROperation, _ operands: [IRValue] = [], result: IRType) {
        stack.append(emit(operation, operands, result: result)!)
    }

    mutating func constant(_ bits: UInt64, _ type: IRType) -> IRValue {
        emit(.constant(bits), result: type)!
    }

    mutating func terminate(_ terminator: IRTerminator) {
        function.blocks[current!.id].terminator = terminator
        current = nil
    }

    mutating func startBlock(_ block: IRBlockID) {
        current = block
        function.layout.append(block)
    }

    func blockSignature(_ blockType: BlockType) -> (parameters: [ValueType], results: [ValueType]) {
        switch blockType {
        case .empty: return ([], [])
        case .value(let type): return ([], [type])
        case .typeIndex(let index):
            let type = context.types[Int(index)]
            return (type.parameters, type.results)
        }
    }

    /// The edge for a branch from the current block to frame `depth`, as edge `slot` of the
    /// terminator about to be installed. Loop edges are complete; forward edges are recorded
    /// and completed when the target closes. Branches to the function frame are returns and
    /// must be handled by the caller.
    mutating func branchEdge(depth: Int, slot: Int) -> IREdge {
        let index = frames.count - 1 - depth
        let frame = frames[index]
        let carried = Array(stack[(stack.count - frame.branchTypes.count)...])
        if frame.kind == .loop {
            return IREdge(frame.target!, carried + locals + (frame.hasEnteringFlag ? [constant(0, .i32)] : []))
        }
        let target = frame.target ?? function.newBlock()
        frames[index].target = target
        frames[index].pending.append(PendingEdge(block: current!, slot: slot, values: carried, locals: locals))
        return IREdge(target, [])
    }

    /// Closes a forward merge: creates the parameters where incoming edges disagree, fills the
    /// edges' arguments and continues in the merge block (or stays unreachable).
    mutating func closeMerge(_ frame: Frame) {
        var pending = frame.pending
        if let block = current {
            // The fallthrough into the merge.
            let values = Array(stack[(stack.count - frame.results.count)...])
            if pending.isEmpty {
                // Straight-line code: keep filling the current block.
                stack.removeLast(stack.count - frame.base)
                stack.append(contentsOf: values)
                return
            }
            let target = frame.target!
            pending.append(PendingEdge(block: block, slot: 0, values: values, locals: locals))
            function.blocks[block.id].terminator = .jump(IREdge(target, []))
        }
        stack.removeLast(stack.count - frame.base)
        guard let target = frame.target, !pending.isEmpty else {
            current = nil
            return
        }
        let first = pending[0]
        var mergedValues: [IRValue] = []
        var mergedLocals: [IRValue] = []
        // Which positions become parameters (value positions first, then locals).
        var parameterSources: [(isLocal: Bool, index: Int)] = []
        for index in 0..<first.values.count {
            let value = first.values[index]
            if pending.allSatisfy({ $0.values[index] == value }) {
                mergedValues.append(value)
            } else {
                mergedValues.append(function.addParameter(target, IRType(frame.results[index])))
                parameterSources.append((false, index))
            }
        }
        for index in 0..<first.locals.count {
            let value = first.locals[index]
            if pending.allSatisfy({ $0.locals[index] == value }) {
                mergedLocals.append(value)
            } else {
                mergedLocals.append(function.addParameter(target, function.type(of: value)))
                parameterSources.append((true, index))
            }
        }
        for edge in pending {
            var arguments: [IRValue] = []
            arguments.reserveCapacity(parameterSources.count)
            for source in parameterSources {
                arguments.append(source.isLocal ? edge.locals[source.index] : edge.values[source.index])
            }
            function.blocks[edge.block.id].terminator.setEdge(edge.slot, IREdge(target, arguments))
        }
        stack.append(contentsOf: mergedValues)
        locals = mergedLocals
        startBlock(target)
    }

    /// Whether the loop at `offset` is one the on-stack-replacement entry passes through (an
    /// enclosing loop of the target, which gets the `entering` flag) or the target itself.
    func osrRole(ofLoopAt offset: Int) -> (inChain: Bool, isTarget: Bool) {
        guard let osr, !osr.isComplete else { return (false, false) }
        return (osr.enclosingLoops.contains(offset), osr.request.loopOffset == offset)
    }

    /// Connects the loop just opened (`header`, its parameters and the locals' parameters
    /// added, `stack` holding them above `base`) to the on-stack-replacement entry: the entry
    /// (block 0 or the enclosing chain loop's dispatch block) jumps to `header` with the
    /// loop's state loaded from the baseline frame. Throws when operands pushed inside an
    /// enclosing loop of the chain are still on the stack (the skipped code defines them).
    mutating func enterLoopForOSR(_ header: IRBlockID, base: Int, inChain: Bool, at offset: Int) throws(WasmError) {
        guard var state = osr else { return }
        let framePointer = function.blocks[0].parameters[0]
        let source = state.dispatch
        func load(_ type: IRType, _ frameOffset: Int32, in block: IRBlockID) -> IRValue {
            function.append(block, .frameLoad(frameOffset), [framePointer], resultType: type)!
        }
        if state.entered == 0 {
            // The code before the first loop of the chain is dead: the operands below it are
            // the entry's loads wherever they are used.
            for position in 0..<base {
                stack[position] = load(function.type(of: stack[position]), state.request.frame.operandSlot(position),
                                       in: function.entry)
            }
        } else if Array(stack[0..<base]) != state.stackInside {
            throw Self.unsupported("on-stack replacement: operands pushed inside an enclosing loop are live across loop \(offset)",
                                   at: offset, function: function.functionIndex)
        }
        var arguments: [IRValue] = []
        for position in base..<stack.count {
            arguments.append(load(function.type(of: stack[position]), state.request.frame.operandSlot(position), in: source))
        }
        if state.entered == 0 {
            for index in locals.indices {
                arguments.append(load(function.type(of: locals[index]), state.request.frame.localOffsets[index], in: source))
            }
        } else {
            arguments.append(contentsOf: state.localsInside)
        }
        if inChain { arguments.append(function.append(source, .constant(1), resultType: .i32)!) }
        function.blocks[source.id].terminator = .jump(IREdge(header, arguments))
        if state.entered > 0 {
            // The dispatch block sits between the code before this loop and its header.
            function.layout.append(state.dispatch)
        }
        state.entered += 1
        state.stackInside = stack
        state.localsInside = locals
        osr = state
    }

    /// In an enclosing loop of the chain (its header being filled): adds the `entering` flag
    /// parameter's branch — to a dispatch block that `enterLoopForOSR` fills for the next loop
    /// of the chain — and continues in the loop's body.
    mutating func branchOnEnteringFlag(_ flag: IRValue) {
        let dispatch = function.newBlock()
        let body = function.newBlock()
        terminate(.branch(flag, IREdge(dispatch), IREdge(body)))
        osr!.dispatch = dispatch
        startBlock(body)
    }

    // MARK: Instructions

    mutating func translate(_ instruction: Instruction, at offset: Int) throws(WasmError) {
        if current == nil {
            translateUnreachable(instruction)
            return
        }
        switch instruction {
        case .unreachable:
            terminate(.trap(.unreachable))
        case .nop:
            break
        case .block(let blockType):
            let (parameters, results) = blockSignature(blockType)
            frames.append(Frame(kind: .block, parameters: parameters, results: results, base: stack.count - parameters.count))
        case .loop(let blockType):
            let (parameters, results) = blockSignature(blockType)
            let header = function.newBlock()
            let role = osrRole(ofLoopAt: offset)
            var arguments = Array(stack[(stack.count - parameters.count)...])
            arguments.append(contentsOf: locals)
            if role.inChain { arguments.append(constant(0, .i32)) }
            terminate(.jump(IREdge(header, arguments)))
            stack.removeLast(parameters.count)
            let base = stack.count
            for type in parameters { stack.append(function.addParameter(header, IRType(type))) }
            for index in locals.indices { locals[index] = function.addParameter(header, function.type(of: locals[index])) }
            let enteringFlag = role.inChain ? function.addParameter(header, .i32) : nil
            if role.inChain || role.isTarget { try enterLoopForOSR(header, base: base, inChain: role.inChain, at: offset) }
            var frame = Frame(kind: .loop, parameters: parameters, results: results, base: base, target: header)
            frame.hasEnteringFlag = role.inChain
            frames.append(frame)
            startBlock(header)
            if let enteringFlag { branchOnEnteringFlag(enteringFlag) }
        case .if(let blockType):
            let (parameters, results) = blockSignature(blockType)
            let condition = pop()
            let thenBlock = function.newBlock()
            let elseBlock = function.newBlock()
            var frame = Frame(kind: .if, parameters: parameters, results: results, base: stack.count - parameters.count)
            frame.elseBlock = elseBlock
            frame.entryValues = Array(stack[(stack.count - parameters.count)...])
            frame.entryLocals = locals
            frames.append(frame)
            terminate(.branch(condition, IREdge(thenBlock), IREdge(elseBlock)))
            startBlock(thenBlock)
        case .else:
            enterElse()
        case .end:
            endFrame()
        case .br(let depth):
            branch(depth: Int(depth))
        case .brIf(let depth):
            let condition = pop()
            let index = frames.count - 1 - Int(depth)
            let continuation = function.newBlock()
            if frames[index].kind == .function {
                // A conditional return: return from a block of its own.
                let returnBlock = function.newBlock()
                let values = Array(stack[(stack.count - frames[index].results.count)...])
                terminate(.branch(condition, IREdge(returnBlock), IREdge(continuation)))
                function.blocks[returnBlock.id].terminator = .return(values)
                function.layout.append(returnBlock)
            } else {
                let edge = branchEdge(depth: Int(depth), slot: 0)
                terminate(.branch(condition, edge, IREdge(continuation)))
            }
            startBlock(continuation)
        case .brTable(let table):
            let selector = pop()
            var edges: [IREdge] = []
            let depths = table.targets + [table.defaultTarget]
            // Returns through the table go through a shared return block.
            var returnBlock: IRBlockID?
            for (slot, depth) in depths.enumerated() {
                let index = frames.count - 1 - Int(depth)
                if frames[index].kind == .function {
                    if returnBlock == nil {
                        let block = function.newBlock()
                        let values = Array(stack[(stack.count - frames[index].results.count)...])
                        function.blocks[block.id].terminator = .return(values)
                        function.layout.append(block)
                        returnBlock = block
                    }
                    edges.append(IREdge(returnBlock!))
                } else {
                    edges.append(branchEdge(depth: Int(depth), slot: slot))
                }
            }
            let defaultEdge = edges.removeLast()
            terminate(.branchTable(selector, edges, defaultEdge))
        case .return:
            let values = Array(stack[(stack.count - function.type.results.count)...])
            terminate(.return(values))
        case .call(let callee):
            let type = context.types[Int(context.functionTypeIndices[Int(callee)])]
            let arguments = popMany(type.parameters.count)
            _ = emit(.call(function: callee), arguments)
            pushCallResults(type.results)
        case .callIndirect(let typeIndex, let table):
            let type = context.types[Int(typeIndex)]
            let index = pop()
            let arguments = popMany(type.parameters.count)
            _ = emit(.callIndirect(typeIndex: typeIndex, table: table), arguments + [index])
            pushCallResults(type.results)
        case .drop:
            _ = pop()
        case .select, .typedSelect:
            let condition = pop()
            let second = pop()
            let first = pop()
            push(.select, [first, second, condition], result: function.type(of: first))
        case .localGet(let index):
            stack.append(locals[Int(index)])
        case .localSet(let index):
            locals[Int(index)] = pop()
        case .localTee(let index):
            locals[Int(index)] = stack[stack.count - 1]
        case .globalGet(let index):
            let type = context.globals[Int(index)].valueType
            push(.globalGet(index), result: IRType(type))
        case .globalSet(let index):
            _ = emit(.globalSet(index), [pop()])
        case .i32Const(let value):
            stack.append(constant(UInt64(UInt32(bitPattern: value)), .i32))
        case .i64Const(let value):
            stack.append(constant(UInt64(bitPattern: value), .i64))
        case .f32Const(let bits):
            stack.append(constant(UInt64(bits), .f32))
        case .f64Const(let bits):
            stack.append(constant(bits, .f64))
        case .numeric(let operation):
            let signature = operation.signature
            switch signature.operands {
            case .unary:
                push(.numeric(operation), [pop()], result: IRType(signature.result))
            case .binary:
                let second = pop()
                let first = pop()
                push(.numeric(operation), [first, second], result: IRType(signature.result))
            }
        case .load(let operation, let argument):
            let address = pop()
            checkBounds(address, argument, width: operation.byteWidth)
            push(.load(operation, argument), [address], result: IRType(operation.resultType))
        case .store(let operation, let argument):
            let value = pop()
            let address = pop()
            checkBounds(address, argument, width: operation.byteWidth)
            _ = emit(.store(operation, argument), [address, value])
        case .memorySize(let memory):
            push(.memorySize(memory), result: .i32)
        case .memoryGrow(let memory):
            push(.memoryGrow(memory), [pop()], result: .i32)
        case .memoryFill(let memory):
            _ = emit(.memoryFill(memory), popMany(3))
        case .memoryCopy(let destination, let source):
            _ = emit(.memoryCopy(destination: destination, source: source), popMany(3))
        case .memoryInit(let data, let memory):
            _ = emit(.memoryInit(data: data, memory: memory), popMany(3))
        case .dataDrop(let data):
            _ = emit(.dataDrop(data))
        case .tableGet(let table):
            push(.tableGet(table), [pop()], result: .ref)
        case .tableSet(let table):
            _ = emit(.tableSet(table), popMany(2))
        case .tableSize(let table):
            push(.tableSize(table), result: .i32)
        case .tableGrow(let table):
            push(.tableGrow(table), popMany(2), result: .i32)
        case .tableFill(let table):
            _ = emit(.tableFill(table), popMany(3))
        case .tableCopy(let destination, let source):
            _ = emit(.tableCopy(destination: destination, source: source), popMany(3))
        case .tableInit(let element, let table):
            _ = emit(.tableInit(element: element, table: table), popMany(3))
        case .elemDrop(let element):
            _ = emit(.elemDrop(element))
        case .refNull:
            stack.append(constant(0, .ref))
        case .refIsNull:
            push(.refIsNull, [pop()], result: .i32)
        case .refFunc(let index):
            push(.refFunc(index), result: .ref)
        case .v128Const, .i8x16Shuffle, .simd, .simdLane, .relaxedSIMD:
            translateVector(instruction)
        case .simdLoad(let operation, let argument):
            let address = pop()
            checkBounds(address, argument, width: operation.memoryByteWidth)
            push(.vectorLoad(instruction), [address], result: .v128)
        case .simdLoadLane(let operation, let argument, _):
            let vector = pop()
            let address = pop()
            checkBounds(address, argument, width: operation.memoryByteWidth)
            push(.vectorLoad(instruction), [address, vector], result: .v128)
        case .v128Store(let argument):
            let vector = pop()
            let address = pop()
            checkBounds(address, argument, width: 16)
            _ = emit(.vectorStore(instruction), [address, vector])
        case .simdStoreLane(let operation, let argument, _):
            let vector = pop()
            let address = pop()
            checkBounds(address, argument, width: operation.memoryByteWidth)
            _ = emit(.vectorStore(instruction), [address, vector])
        }
    }

    /// A SIMD instruction without memory access: its wasm operands in, one value out.
    mutating func translateVector(_ instruction: Instruction) {
        let operandCount: Int
        let resultType: ValueType
        switch instruction {
        case .v128Const: operandCount = 0; resultType = .v128
        case .i8x16Shuffle: operandCount = 2; resultType = .v128
        case .simd(let operation):
            operandCount = operation.signature.operandTypes.count
            resultType = operation.signature.resultType
        case .relaxedSIMD(let operation):
            operandCount = operation.signature.operandTypes.count
            resultType = operation.signature.resultType
        case .simdLane(let operation, _):
            operandCount = operation.isReplace ? 2 : 1
            resultType = operation.isReplace ? .v128 : operation.scalarType
        default: preconditionFailure("not a SIMD instruction without memory access")
        }
        push(.vector(instruction), popMany(operandCount), result: IRType(resultType))
    }

    mutating func pushCallResults(_ results: [ValueType]) {
        for (index, type) in results.enumerated() {
            push(.callResult(UInt32(index)), result: IRType(type))
        }
    }

    /// Explicit bounds checks: always in the explicit configuration, and for static offsets
    /// the guard region cannot cover (2 GiB and more).
    mutating func checkBounds(_ address: IRValue, _ argument: MemoryArgument, width: Int) {
        if configuration.boundsChecks == .explicit || argument.offset > UInt64(Int32.max) {
            _ = emit(.boundsCheck(memory: argument.memory, end: argument.offset + UInt64(width)), [address])
        }
    }

    mutating func branch(depth: Int) {
        let index = frames.count - 1 - depth
        if frames[index].kind == .function {
            let values = Array(stack[(stack.count - frames[index].results.count)...])
            terminate(.return(values))
            return
        }
        let edge = branchEdge(depth: depth, slot: 0)
        terminate(.jump(edge))
    }

    mutating func enterElse() {
        var frame = frames.removeLast()
        frame.sawElse = true
        if !frame.dead {
            if let block = current {
                // The then-part falls through into the merge.
                let values = Array(stack[(stack.count - frame.results.count)...])
                let target = frame.target ?? function.newBlock()
                frame.target = target
                frame.pending.append(PendingEdge(block: block, slot: 0, values: values, locals: locals))
                function.blocks[block.id].terminator = .jump(IREdge(target, []))
            }
            stack.removeLast(stack.count - frame.base)
            stack.append(contentsOf: frame.entryValues)
            locals = frame.entryLocals
            startBlock(frame.elseBlock!)
        }
        frames.append(frame)
    }

    mutating func endFrame() {
        let frame = frames.removeLast()
        if frame.dead { return }
        switch frame.kind {
        case .function:
            if current != nil {
                let values = Array(stack[(stack.count - frame.results.count)...])
                terminate(.return(values))
            }
        case .loop:
            if current != nil {
                let values = Array(stack[(stack.count - frame.results.count)...])
                stack.removeLast(stack.count - frame.base)
                stack.append(contentsOf: values)
            }
        case .block:
            closeMerge(frame)
        case .if:
            var frame = frame
            if !frame.sawElse {
                // The implicit else passes the parameters through.
                let elseBlock = frame.elseBlock!
                let target = frame.target ?? function.newBlock()
                frame.target = target
                frame.pending.append(PendingEdge(block: elseBlock, slot: 0, values: frame.entryValues, locals: frame.entryLocals))
                function.blocks[elseBlock.id].terminator = .jump(IREdge(target, []))
                function.layout.append(elseBlock)
            }
            closeMerge(frame)
        }
    }

    /// Unreachable code: only the structure matters until the frame that became unreachable
    /// ends (or, for an `if`, reaches its `else`).
    mutating func translateUnreachable(_ instruction: Instruction) {
        switch instruction {
        case .block, .loop, .if:
            var frame = Frame(kind: .block, parameters: [], results: [], base: stack.count)
            frame.dead = true
            frames.append(frame)
        case .else:
            enterElse()
        case .end:
            endFrame()
        default:
            break
        }
    }
}
