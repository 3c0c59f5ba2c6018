/// Reads the instructions of one function body or constant expression, one at a time
/// (core spec §5.4). The validator and the compiler each walk a body once with it, so
/// `next()` allocates nothing except for `br_table`'s target vector.
///
/// Structure (matching `block`/`end`, the function's final `end`) is the validator's job;
/// the reader only decodes. Reading past the end of the range is "unexpected end of section
/// or function".
public struct InstructionReader {
    /// The reader's state; kept as a `ByteReader` so the SIMD decoder can take it `inout`.
    var byteReader: ByteReader
    /// Whether the module has a data count section: `memory.init` and `data.drop` require one
    /// ("data count section required", a decoding error).
    public let dataCountPresent: Bool

    public init(bytes: [UInt8], range: Range<Int>, dataCountPresent: Bool = true) {
        self.byteReader = ByteReader(bytes: bytes, range: range)
        self.dataCountPresent = dataCountPresent
    }

    /// A reader over a function body's instructions (after its locals).
    public init(module: Module, body: FunctionBody) {
        self.init(bytes: module.bytes, range: body.code, dataCountPresent: module.dataCount != nil)
    }

    public var bytes: [UInt8] { byteReader.bytes }
    /// Offset of the next instruction in `bytes`.
    public var offset: Int { byteReader.offset }
    /// One past the last byte of the range.
    public var end: Int { byteReader.end }
    public var isAtEnd: Bool { byteReader.isAtEnd }

    /// Decodes the next instruction and advances past it.
    public mutating func next() throws(WasmError) -> Instruction {
        let start = byteReader.offset
        let opcode = try byteReader.readByte()
        switch opcode {
        case 0x00: return .unreachable
        case 0x01: return .nop
        case 0x02: return .block(try byteReader.readBlockType())
        case 0x03: return .loop(try byteReader.readBlockType())
        case 0x04: return .if(try byteReader.readBlockType())
        case 0x05: return .else
        case 0x0B: return .end
        case 0x0C: return .br(depth: try byteReader.readVarUInt32())
        case 0x0D: return .brIf(depth: try byteReader.readVarUInt32())
        case 0x0E: return .brTable(try readBranchTable())
        case 0x0F: return .return
        case 0x10: return .call(function: try byteReader.readVarUInt32())
        case 0x11:
            let typeIndex = try byteReader.readVarUInt32()
            let table = try byteReader.readVarUInt32()
            return .callIndirect(typeIndex: typeIndex, table: table)
        case 0x1A: return .drop
        case 0x1B: return .select
        case 0x1C:
            let countOffset = byteReader.offset
            let count = try byteReader.readVarUInt32()
            // `select t*` allows exactly one type in WebAssembly 2.0; the spec treats any
            // other arity as a validation error.
            guard count == 1 else { throw .invalid("invalid result arity", at: countOffset) }
            return .typedSelect(try byteReader.readValueType())
        case 0x20: return .localGet(try byteReader.readVarUInt32())
        case 0x21: return .localSet(try byteReader.readVarUInt32())
        case 0x22: return .localTee(try byteReader.readVarUInt32())
        case 0x23: return .globalGet(try byteReader.readVarUInt32())
        case 0x24: return .globalSet(try byteReader.readVarUInt32())
        case 0x25: return .tableGet(table: try byteReader.readVarUInt32())
        case 0x26: return .tableSet(table: try byteReader.readVarUInt32())
        case 0x28...0x35:
            guard let operation = LoadOperation(rawValue: opcode) else { break }
            return .load(operation, try byteReader.readMemoryArgument())
        case 0x36...0x3E:
            guard let operation = StoreOperation(rawValue: opcode) else { break }
            return .store(operation, try byteReader.readMemoryArgument())
        case 0x3F:
            try byteReader.readZeroByte()
            return .memorySize(memory: 0)
        case 0x40:
            try byteReader.readZeroByte()
            return .memoryGrow(memory: 0)
        case 0x41: return .i32Const(try byteReader.readVarInt32())
        case 0x42: return .i64Const(try byteReader.readVarInt64())
        case 0x43: return .f32Const(bits: try byteReader.readFixedUInt32())
        case 0x44: return .f64Const(bits: try byteReader.readFixedUInt64())
        case 0x45...0xC4:
            guard let operation = NumericOperation(rawValue: UInt16(opcode)) else { break }
            return .numeric(operation)
        case 0xD0: return .refNull(try byteReader.readReferenceType())
        case 0xD1: return .refIsNull
        case 0xD2: return .refFunc(function: try byteReader.readVarUInt32())
        case 0xFC: return try readPrefixedFC(start: start)
        case 0xFD: return try decodeSIMDInstruction(&byteReader)
        default: break
        }
        throw Self.illegalOpcode(opcode, at: start)
    }

    private mutating func readBranchTable() throws(WasmError) -> BranchTable {
        let countOffset = byteReader.offset
        let count = try byteReader.readLength()
        guard count <= DecodingLimits.maxBranchTableTargets else {
            throw DecodingLimits.exceeded("br_table targets", limit: DecodingLimits.maxBranchTableTargets, at: countOffset)
        }
        var targets: [UInt32] = []
        targets.reserveCapacity(count)
        for _ in 0..<count { targets.append(try byteReader.readVarUInt32()) }
        let defaultTarget = try byteReader.readVarUInt32()
        return BranchTable(targets: targets, defaultTarget: defaultTarget)
    }

    /// The 0xFC prefix: saturating truncations and bulk memory/table operations.
    private mutating func readPrefixedFC(start: Int) throws(WasmError) -> Instruction {
        let subopcode = try byteReader.readVarUInt32()
        switch subopcode {
        case 0...7:
            guard let operation = NumericOperation(rawValue: 0xFC00 | UInt16(subopcode)) else { break }
            return .numeric(operation)
        case 8:
            guard dataCountPresent else { throw .malformed("data count section required", at: start) }
            let data = try byteReader.readVarUInt32()
            try byteReader.readZeroByte()
            return .memoryInit(data: data, memory: 0)
        case 9:
            guard dataCountPresent else { throw .malformed("data count section required", at: start) }
            return .dataDrop(data: try byteReader.readVarUInt32())
        case 10:
            try byteReader.readZeroByte()
            try byteReader.readZeroByte()
            return .memoryCopy(destination: 0, source: 0)
        case 11:
            try byteReader.readZeroByte()
            return .memoryFill(memory: 0)
        case 12:
            let element = try byteReader.readVarUInt32()
            let table = try byteReader.readVarUInt32()
            return .tableInit(element: element, table: table)
        case 13: return .elemDrop(element: try byteReader.readVarUInt32())
        case 14:
            let destination = try byteReader.readVarUInt32()
            let source = try byteReader.readVarUInt32()
            return .tableCopy(destination: destination, source: source)
        case 15: return .tableGrow(table: try byteReader.readVarUInt32())
        case 16: return .tableSize(table: try byteReader.readVarUInt32())
        case 17: return .tableFill(table: try byteReader.readVarUInt32())
        default: break
        }
        throw .malformed("illegal opcode 0xfc 0x" + String(subopcode, radix: 16), at: start)
    }

    /// "illegal opcode 0xf3" — the spec tests match the prefix "illegal opcode".
    static func illegalOpcode(_ opcode: UInt8, at offset: Int) -> WasmError {
        let hex = String(opcode, radix: 16)
        return .malformed("illegal opcode 0x" + (hex.count < 2 ? "0" + hex : hex), at: offset)
    }
}
