import WasmFrontEnd

/// A module from a spec script that decoded and validated.
public struct SpecModule: Sendable {
    /// The script's `$name` for it, if any.
    public var name: String?
    public var binary: [UInt8]
    public var module: Module
    /// Line of the directive that defines it.
    public var line: Int

    public init(name: String?, binary: [UInt8], module: Module, line: Int) {
        self.name = name
        self.binary = binary
        self.module = module
        self.line = line
    }
}

/// A script directive that needs execution, in a form independent of the text parser.
public indirect enum SpecCommand: Sendable {
    /// Instantiates a (valid) module; it becomes the current module, and is known by its name.
    case instantiate(SpecModule)
    /// Remembers a `(module definition …)` for a later `instantiateDefinition`.
    case define(SpecModule)
    /// `(module instance $instance $definition)`; nil names mean the latest.
    case instantiateDefinition(instance: String?, definition: String?)
    /// `(register "name" $module)`: makes a module's exports importable as `name`.
    case register(name: String, module: String?)
    /// A bare `(invoke …)` or `(get …)`: must not trap.
    case action(SpecAction)
    case assertReturn(SpecAction, [SpecExpectation])
    case assertTrap(SpecAction, message: String)
    case assertExhaustion(SpecAction, message: String)
    /// `(assert_trap (module …) "msg")`: instantiation (segments, start function) must trap.
    case assertUninstantiable(SpecModule, message: String)
    /// `(assert_unlinkable (module …) "msg")`: import resolution must fail.
    case assertUnlinkable(SpecModule, message: String)

    /// The directive keyword, for reports.
    public var kind: String {
        switch self {
        case .instantiate, .instantiateDefinition: return text("module instantiation")
        case .define: return text("module definition")
        case .register: return "register"
        case .action(.invoke): return "invoke"
        case .action(.get): return "get"
        case .assertReturn: return "assert_return"
        case .assertTrap: return "assert_trap"
        case .assertExhaustion: return text("assert_exhaustion")
        case .assertUninstantiable: return text("assert_uninstantiable")
        case .assertUnlinkable: return text("assert_unlinkable")
        }
    }
}

/// Runs the directives of one script that need execution. `SpecScriptRunner` does everything
/// else (parsing, decoding, validation) and makes one executor per script.
public protocol SpecExecutor {
    /// Runs one command and says whether it did what the script expects.
    mutating func execute(_ command: SpecCommand) -> SpecOutcome

    /// A module directive produced no usable module (it did not parse, decode or validate):
    /// actions on it (the current module, or `name`) can no longer run.
    mutating func moduleUnavailable(name: String?, reason: String)
}

/// The executor of the front-end-only configuration: reports every execution as skipped.
public struct SkippingExecutor: SpecExecutor {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public init() {
        self.init(reason: text("needs execution"))
    }

    public mutating func execute(_ command: SpecCommand) -> SpecOutcome {
        .skipped(reason)
    }

    public mutating func moduleUnavailable(name: String?, reason: String) {}
}
