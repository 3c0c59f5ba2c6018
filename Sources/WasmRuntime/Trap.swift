import WasmCompiler
import WasmFrontEnd

/// Why a call into WebAssembly did not return normally.
public struct Trap: Error {
    /// The wasm trap kind, or nil when the error came from the host side (a host function's
    /// own error, or a call with arguments that do not match the function's type).
    public var kind: TrapKind?
    /// The spec test suite's wording for wasm traps (`TrapKind.message`), else the host's text.
    public var message: String
    /// WebAssembly frames at the trap, innermost first.
    public var backtrace: [BacktraceFrame]

    public init(kind: TrapKind, backtrace: [BacktraceFrame] = []) {
        self.kind = kind
        self.message = kind.message
        self.backtrace = backtrace
    }

    /// A host-defined error (a host function that fails, a bad call).
    public init(message: String) {
        self.kind = nil
        self.message = message
        self.backtrace = []
    }

    /// The message followed by one backtrace line per frame.
    public var description: String {
        var text = message
        for (index, frame) in backtrace.enumerated() {
            text += "\n  " + String(index) + ": " + frame.description
        }
        return text
    }
}

/// One WebAssembly frame of a trap backtrace.
public struct BacktraceFrame: Equatable, Sendable {
    /// Index in the module's function index space (imports included).
    public var functionIndex: UInt32
    /// From the module's name section, if it has one.
    public var functionName: String?
    /// Byte offset of the pc from the start of the function's machine code.
    public var codeOffset: Int
    /// The module's name from its name section, if any.
    public var moduleName: String?

    public init(functionIndex: UInt32, functionName: String?, codeOffset: Int, moduleName: String? = nil) {
        self.functionIndex = functionIndex
        self.functionName = functionName
        self.codeOffset = codeOffset
        self.moduleName = moduleName
    }

    /// `name+0x1c`, or `func[7]+0x1c` without a name.
    public var description: String {
        var text = ""
        if let moduleName { text += moduleName + "!" }
        if let name = readableName {
            text += name
        } else {
            text += "func[" + String(functionIndex) + "]"
        }
        return text + "+0x" + String(codeOffset, radix: 16)
    }
}

/// Why instantiation failed. The spec test suite distinguishes `assert_unlinkable`
/// (`.unlinkable`) from `assert_uninstantiable` (`.trap`: a segment out of bounds or a
/// trapping start function).
public struct InstantiationError: Error {
    public enum Kind: Equatable, Sendable {
        /// An import is missing or has the wrong type.
        case unlinkable
        /// Segment initialisation or the start function trapped.
        case trap
        /// Memory, a table or code could not be allocated.
        case resourceExhausted
    }

    public var kind: Kind
    /// "unknown import", "incompatible import type", or the trap message.
    public var message: String
    /// Which import, for `.unlinkable` (`module.name`).
    public var detail: String?
    /// The trap, for `.trap`.
    public var trap: Trap?

    public init(kind: Kind, message: String, detail: String? = nil, trap: Trap? = nil) {
        self.kind = kind
        self.message = message
        self.detail = detail
        self.trap = trap
    }

    static func trapped(_ trap: Trap) -> InstantiationError {
        InstantiationError(kind: .trap, message: trap.message, trap: trap)
    }

    public var description: String {
        guard let detail else { return message }
        return message + " (" + detail + ")"
    }
}
