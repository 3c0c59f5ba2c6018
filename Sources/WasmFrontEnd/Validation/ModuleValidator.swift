/// Validates a decoded module completely (core spec §3): the module-level rules through
/// `ValidationContext(validating:)`, then every function body in one pass with
/// `InstructionReader` and `FunctionValidator`. Throws the first error found.
public func validateModule(_ module: Module) throws(WasmError) {
    let context = try ValidationContext(validating: module)
    guard module.functionBodies.count == module.functionTypeIndices.count else {
        throw .malformed("function and code section have inconsistent lengths", at: 0)
    }
    for (position, body) in module.functionBodies.enumerated() {
        let functionIndex = UInt32(truncatingIfNeeded: context.importedFunctionCount + position)
        try validateFunctionBody(body, functionIndex: functionIndex, context: context, bytes: module.bytes,
                                 dataCountPresent: module.dataCount != nil)
    }
}

/// Validates one function body against `context`, reading its instructions from `bytes`.
public func validateFunctionBody(
    _ body: FunctionBody, functionIndex: UInt32, context: ValidationContext, bytes: [UInt8],
    dataCountPresent: Bool
) throws(WasmError) {
    var validator = try FunctionValidator(context: context, functionIndex: functionIndex, body: body)
    var reader = InstructionReader(bytes: bytes, range: body.code, dataCountPresent: dataCountPresent)
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
    }
    try validator.finish(at: reader.offset)
}
