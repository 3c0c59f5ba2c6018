// PLACEHOLDER API — replaced by the validator implementation.

/// Validates a decoded module completely, function bodies included.
public func validateModule(_ module: Module) throws(WasmError) {
}
