/// Decodes the instruction after a 0xFD prefix byte (the reader is positioned at the
/// subopcode, a u32 LEB128). Immediates are only read here; lane indices and alignments are
/// range-checked by validation (`simdTyping`), as the spec makes them validation errors.
func decodeSIMDInstruction(_ reader: inout ByteReader) throws(WasmError) -> Instruction {
    let start = reader.offset
    let subopcode = try reader.readVarUInt32()
    switch subopcode {
    case 0x0B:
        return .v128Store(try readSIMDMemoryArgument(&reader))
    case 0x0C:
        return .v128Const(try readV128(&reader))
    case 0x0D:
        return .i8x16Shuffle(try readV128(&reader))
    case 0x58...0x5B:
        guard let operation = SIMDLaneMemoryOperation(storeSubopcode: subopcode) else { break }
        let memoryArgument = try readSIMDMemoryArgument(&reader)
        return .simdStoreLane(operation, memoryArgument, lane: try reader.readByte())
    default:
        if let operation = SIMDOperation(rawValue: subopcode) {
            return .simd(operation)
        }
        if let operation = SIMDLaneOperation(rawValue: subopcode) {
            return .simdLane(operation, lane: try reader.readByte())
        }
        if let operation = SIMDLoadOperation(rawValue: subopcode) {
            return .simdLoad(operation, try readSIMDMemoryArgument(&reader))
        }
        if let operation = RelaxedSIMDOperation(rawValue: subopcode) {
            return .relaxedSIMD(operation)
        }
        if let operation = SIMDLaneMemoryOperation(loadSubopcode: subopcode) {
            let memoryArgument = try readSIMDMemoryArgument(&reader)
            return .simdLoadLane(operation, memoryArgument, lane: try reader.readByte())
        }
    }
    throw .malformed("illegal opcode", at: start)
}

/// `memarg` of the SIMD memory instructions: the same encoding, and the same decoder, as the
/// scalar loads and stores (alignment exponent u32, then offset u32).
@inline(__always)
private func readSIMDMemoryArgument(_ reader: inout ByteReader) throws(WasmError) -> MemoryArgument {
    try reader.readMemoryArgument()
}

/// 16 immediate bytes, little-endian (`v128.const`, the `i8x16.shuffle` lane indices).
private func readV128(_ reader: inout ByteReader) throws(WasmError) -> V128 {
    let low = try reader.readFixedUInt64()
    let high = try reader.readFixedUInt64()
    return V128(low: low, high: high)
}
