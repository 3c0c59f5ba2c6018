// Decoders for the type-level pieces of the binary format (core spec §5.3) and the
// immediates shared by several instructions. Messages follow the reference interpreter.

extension ByteReader {
    /// A value type (one byte; numeric, vector or reference).
    mutating func readValueType() throws(WasmError) -> ValueType {
        let start = offset
        let byte = try readByte()
        if let type = ValueType(rawValue: byte) { return type }
        // The encoding is a signed LEB128 (s7): a continuation bit makes it too long.
        if byte & 0x80 != 0 { throw .malformed("integer representation too long", at: start) }
        throw .malformed("malformed value type", at: start)
    }

    /// A reference type (`funcref` 0x70 or `externref` 0x6F).
    mutating func readReferenceType() throws(WasmError) -> ReferenceType {
        let start = offset
        let byte = try readByte()
        guard let type = ReferenceType(rawValue: byte) else {
            throw .malformed("malformed reference type", at: start)
        }
        return type
    }

    /// A block type: 0x40 (empty), a value type, or a non-negative s33 type index.
    mutating func readBlockType() throws(WasmError) -> BlockType {
        let start = offset
        let byte = try peekByte()
        if byte == 0x40 {
            offset += 1
            return .empty
        }
        // A single-byte negative s33 (0x40–0x7F) is a value type.
        if byte & 0xC0 == 0x40 { return .value(try readValueType()) }
        let index = try readVarInt33()
        // A negative or too large index cannot name a type: the spec reports it when validating.
        guard index >= 0, index <= Int64(UInt32.max) else {
            throw .invalid("unknown type", at: start)
        }
        return .typeIndex(UInt32(truncatingIfNeeded: index))
    }

    /// The `memarg` immediate: the log2 alignment (below 32; higher bits are other proposals'
    /// flags) and a u32 offset. The memory index is always 0 in WebAssembly 2.0.
    mutating func readMemoryArgument() throws(WasmError) -> MemoryArgument {
        let alignOffset = offset
        let align = try readVarUInt32()
        guard align < 32 else { throw .malformed("malformed memop flags", at: alignOffset) }
        let memoryOffset = try readVarUInt32()
        return MemoryArgument(align: align, offset: UInt64(memoryOffset))
    }

    /// The reserved `0x00` byte of memory.size/grow/init/copy/fill (exactly one byte: a padded
    /// LEB128 zero is malformed too).
    mutating func readZeroByte() throws(WasmError) {
        let start = offset
        guard try readByte() == 0 else { throw .malformed("zero byte expected", at: start) }
    }

    /// Limits. The flags byte is a 1-bit LEB128 in WebAssembly 2.0 (0: min, 1: min and max);
    /// for memories, 3 is the threads proposal's shared memory (min and max), decoded so the
    /// validator can reject it clearly. Returns the limits and the shared flag.
    mutating func readLimits(allowShared: Bool) throws(WasmError) -> (Limits, isShared: Bool) {
        let flagsOffset = offset
        let flags = try readByte()
        let value = flags & 0x7F
        let isShared = allowShared && value == 3
        guard value <= 1 || isShared else { throw .malformed("integer too large", at: flagsOffset) }
        guard flags & 0x80 == 0 else {
            throw .malformed("integer representation too long", at: flagsOffset)
        }
        let min = try readVarUInt32()
        var max: UInt64?
        if value & 1 != 0 { max = UInt64(try readVarUInt32()) }
        return (Limits(min: UInt64(min), max: max), isShared)
    }

    mutating func readTableType() throws(WasmError) -> TableType {
        let elementType = try readReferenceType()
        let (limits, _) = try readLimits(allowShared: false)
        return TableType(elementType: elementType, limits: limits)
    }

    mutating func readMemoryType() throws(WasmError) -> MemoryType {
        let (limits, isShared) = try readLimits(allowShared: true)
        return MemoryType(limits: limits, isShared: isShared)
    }

    mutating func readGlobalType() throws(WasmError) -> GlobalType {
        let valueType = try readValueType()
        let mutabilityOffset = offset
        switch try readByte() {
        case 0: return GlobalType(valueType: valueType, isMutable: false)
        case 1: return GlobalType(valueType: valueType, isMutable: true)
        default: throw .malformed("malformed mutability", at: mutabilityOffset)
        }
    }

    /// A function type: 0x60, parameter types, result types.
    mutating func readFunctionType() throws(WasmError) -> FunctionType {
        let formOffset = offset
        let form = try readByte()
        guard form == 0x60 else {
            if form & 0x80 != 0 { throw .malformed("integer representation too long", at: formOffset) }
            throw .malformed("malformed function type", at: formOffset)
        }
        let parameters = try readValueTypes(limit: DecodingLimits.maxParameters, what: "parameters")
        let results = try readValueTypes(limit: DecodingLimits.maxResults, what: "results")
        return FunctionType(parameters: parameters, results: results)
    }

    private mutating func readValueTypes(limit: Int, what: String) throws(WasmError) -> [ValueType] {
        let countOffset = offset
        let count = try readLength()
        guard count <= limit else { throw DecodingLimits.exceeded(what, limit: limit, at: countOffset) }
        var types: [ValueType] = []
        types.reserveCapacity(count)
        for _ in 0..<count { types.append(try readValueType()) }
        return types
    }
}
