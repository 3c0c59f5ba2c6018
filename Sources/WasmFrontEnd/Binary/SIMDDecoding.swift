// PLACEHOLDER — replaced by the SIMD work.

/// Decodes the instruction after a 0xFD prefix byte (the reader is positioned at the
/// subopcode LEB128).
func decodeSIMDInstruction(_ reader: inout ByteReader) throws(WasmError) -> Instruction {
    throw .malformed("illegal opcode", at: reader.offset)
}
