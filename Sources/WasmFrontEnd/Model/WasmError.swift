/// An error found while decoding or validating a module. Errors are values: they carry the
/// byte offset in the binary, the function index where one applies, and a message that uses
/// the spec test suite's wording where it has one ("type mismatch", "unexpected end", …).
public struct WasmError: Error, Equatable, Sendable {
    public enum Phase: Equatable, Sendable {
        /// The binary is not a well-formed module (`assert_malformed`).
        case decoding
        /// The module is well-formed but does not type-check (`assert_invalid`).
        case validation
    }

    public var phase: Phase
    public var message: String
    /// Byte offset in the module binary where the problem was found.
    public var offset: Int
    /// Index (in the function index space) of the function whose body is at fault, if any.
    public var functionIndex: UInt32?

    public init(_ phase: Phase, _ message: String, offset: Int, functionIndex: UInt32? = nil) {
        self.phase = phase
        self.message = message
        self.offset = offset
        self.functionIndex = functionIndex
    }

    public static func malformed(_ message: String, at offset: Int) -> WasmError {
        WasmError(.decoding, message, offset: offset)
    }

    public static func invalid(_ message: String, at offset: Int, function: UInt32? = nil) -> WasmError {
        WasmError(.validation, message, offset: offset, functionIndex: function)
    }

    /// `0x1a: message` or `0x1a: function 3: message`.
    public var description: String {
        var text = "0x" + String(offset, radix: 16) + ": "
        if let functionIndex { text += "function " + String(functionIndex) + ": " }
        return text + message
    }
}
