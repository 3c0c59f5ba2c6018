import WasmFrontEnd

/// The textual form of the IR (`apus compile --emit ir`):
///
/// ```
/// function 3 (i32, i32) -> (i32)
/// block0(v0: i32, v1: i32):
///   v2: i32 = numeric i32Add v0, v1
///   return v2
/// ```
extension IRFunction {
    public var textualForm: String {
        var text = "function \(functionIndex) (" + type.parameters.map { $0.name }.joined(separator: ", ") + ") -> ("
            + type.results.map { $0.name }.joined(separator: ", ") + ")\n"
        for block in liveBlocks {
            let parameters = blocks[block.id].parameters.map { "\(name($0)): \(self.type(of: $0).name)" }
            text += "block\(block.id)(" + parameters.joined(separator: ", ") + "):\n"
            for instruction in blocks[block.id].instructions {
                text += "  "
                if let result = instruction.result { text += "\(name(result)): \(type(of: result).name) = " }
                text += Self.describe(instruction.operation)
                if !instruction.operands.isEmpty { text += " " + instruction.operands.map(name).joined(separator: ", ") }
                text += "\n"
            }
            text += "  " + describe(blocks[block.id].terminator) + "\n"
        }
        return text
    }

    func name(_ value: IRValue) -> String { "v\(value.index)" }

    func describe(_ edge: IREdge) -> String {
        "block\(edge.target.index)(" + edge.arguments.map(name).joined(separator: ", ") + ")"
    }

    func describe(_ terminator: IRTerminator) -> String {
        switch terminator {
        case .jump(let edge): return "jump " + describe(edge)
        case .branch(let condition, let taken, let notTaken):
            return "branch \(name(condition)), \(describe(taken)), \(describe(notTaken))"
        case .branchTable(let index, let targets, let defaultTarget):
            return "branch_table \(name(index)), [" + targets.map(describe).joined(separator: ", ") + "], " + describe(defaultTarget)
        case .return(let values): return "return" + (values.isEmpty ? "" : " " + values.map(name).joined(separator: ", "))
        case .trap(let kind): return "trap \(kind.message)"
        }
    }

    static func describe(_ operation: IROperation) -> String {
        switch operation {
        case .constant(let bits): return "constant 0x" + String(bits, radix: 16)
        case .numeric(let operation): return "numeric 0x" + String(operation.rawValue, radix: 16)
        case .select: return "select"
        case .boundsCheck(let memory, let end): return "bounds_check memory \(memory) end \(end)"
        case .load(let operation, let argument): return "load 0x" + String(operation.rawValue, radix: 16) + " memory \(argument.memory) offset \(argument.offset)"
        case .store(let operation, let argument): return "store 0x" + String(operation.rawValue, radix: 16) + " memory \(argument.memory) offset \(argument.offset)"
        case .globalGet(let index): return "global_get \(index)"
        case .globalSet(let index): return "global_set \(index)"
        case .call(let function): return "call \(function)"
        case .callIndirect(let typeIndex, let table): return "call_indirect type \(typeIndex) table \(table)"
        case .callResult(let index): return "call_result \(index)"
        case .memorySize(let memory): return "memory_size \(memory)"
        case .memoryGrow(let memory): return "memory_grow \(memory)"
        case .memoryFill(let memory): return "memory_fill \(memory)"
        case .memoryCopy(let destination, let source): return "memory_copy \(destination) \(source)"
        case .memoryInit(let data, let memory): return "memory_init data \(data) memory \(memory)"
        case .dataDrop(let data): return "data_drop \(data)"
        case .tableGet(let table): return "table_get \(table)"
        case .tableSet(let table): return "table_set \(table)"
        case .tableSize(let table): return "table_size \(table)"
        case .tableGrow(let table): return "table_grow \(table)"
        case .tableFill(let table): return "table_fill \(table)"
        case .tableCopy(let destination, let source): return "table_copy \(destination) \(source)"
        case .tableInit(let element, let table): return "table_init element \(element) table \(table)"
        case .elemDrop(let element): return "elem_drop \(element)"
        case .refIsNull: return "ref_is_null"
        case .refFunc(let function): return "ref_func \(function)"
        case .vector(let instruction): return "vector " + describe(instruction)
        case .vectorLoad(let instruction): return "vector_load " + describe(instruction)
        case .vectorStore(let instruction): return "vector_store " + describe(instruction)
        case .frameLoad(let offset): return "frame_load \(offset)"
        }
    }

    static func hex(_ bits: UInt64) -> String {
        let digits = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// A SIMD instruction in text-format style, with its immediates.
    static func describe(_ instruction: Instruction) -> String {
        func memory(_ argument: MemoryArgument) -> String { " memory \(argument.memory) offset \(argument.offset)" }
        switch instruction {
        case .v128Const(let value): return "v128.const 0x" + hex(value.high) + hex(value.low)
        case .i8x16Shuffle(let lanes): return "i8x16.shuffle 0x" + hex(lanes.high) + hex(lanes.low)
        case .simd(let operation): return operation.name
        case .simdLane(let operation, let lane): return operation.name + " \(lane)"
        case .relaxedSIMD(let operation): return operation.name
        case .simdLoad(let operation, let argument): return operation.name + memory(argument)
        case .v128Store(let argument): return "v128.store" + memory(argument)
        case .simdLoadLane(let operation, let argument, let lane): return operation.loadName + memory(argument) + " lane \(lane)"
        case .simdStoreLane(let operation, let argument, let lane): return operation.storeName + memory(argument) + " lane \(lane)"
        default: return "non-SIMD instruction"
        }
    }
}
