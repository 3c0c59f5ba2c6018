// PLACEHOLDER API — replaced by the decoder implementation.

/// Decodes a complete module binary. Function bodies are not decoded here (see
/// `InstructionReader`), only framed; everything else is.
public func decodeModule(_ bytes: [UInt8]) throws(WasmError) -> Module {
    throw .malformed("decoder not implemented", at: 0)
}

/// Reads the instructions of one function body or constant expression, one at a time.
public struct InstructionReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public let end: Int

    public init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    public var isAtEnd: Bool { offset >= end }

    /// Decodes the next instruction and advances past it.
    public mutating func next() throws(WasmError) -> Instruction {
        throw .malformed("unexpected end", at: offset)
    }
}
