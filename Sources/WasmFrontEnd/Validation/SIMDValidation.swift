// PLACEHOLDER — replaced by the SIMD work.

/// Operand types (bottom to top) and result types of a SIMD instruction, after checking its
/// immediates that need no module context: lane indices ("invalid lane index") and alignment
/// ("alignment must not be larger than natural"). The validator checks the memory index.
func simdTyping(of instruction: Instruction, offset: Int) throws(WasmError) -> (operands: [ValueType], results: [ValueType]) {
    throw .invalid("SIMD not supported yet", at: offset)
}
