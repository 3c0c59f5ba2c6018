import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// Runs the directives of one spec script with Apus's JIT and runtime: one store per script,
/// a linker holding the `spectest` module and every registered instance. Platform-independent:
/// the hosted `apus wast` and the kernel (`run=spec`) run scripts with this same executor.
public struct RuntimeSpecExecutor: SpecExecutor {
    /// Why a module cannot be used by later actions.
    private indirect enum Unavailable {
        /// The module failed (already counted): later actions are skipped with this reason.
        case failed(String)

        var reason: String {
            switch self {
            case .failed(let why): return text("its module is unavailable: ") + why
            }
        }
    }

    private indirect enum Target {
        case instance(Instance)
        case unavailable(Unavailable)
    }

    let engine: Engine
    let store: Store
    let linker: Linker
    let readMessage: SpecMessageReader
    private var current: Target?
    private var named: [String: Target] = [:]
    private var definitions: [String: SpecModule] = [:]
    private var latestDefinition: SpecModule?

    /// A fresh store and linker (with `spectest`) in `engine`. `readMessage` makes the
    /// runtime's messages readable (see `SpecMessageReader`).
    public init(engine: Engine, readMessage: @escaping SpecMessageReader = { $0 }) {
        self.engine = engine
        self.readMessage = readMessage
        store = Store(engine: engine)
        linker = Linker()
        linker.defineSpectest(store: store)
    }

    // MARK: SpecExecutor

    public mutating func moduleUnavailable(name: String?, reason: String) {
        setCurrent(.unavailable(.failed(reason)), name: name)
    }

    public mutating func execute(_ command: SpecCommand) -> SpecOutcome {
        switch command {
        case .instantiate(let module):
            return instantiateAsCurrent(module, name: module.name)
        case .define(let module):
            if let name = module.name { definitions[name] = module }
            latestDefinition = module
            return .passed
        case .instantiateDefinition(let instanceName, let definitionName):
            let definition = definitionName.flatMap { definitions[$0] } ?? (definitionName == nil ? latestDefinition : nil)
            guard let definition else {
                return .failed(text("unknown module definition ") + (definitionName ?? "(latest)"))
            }
            return instantiateAsCurrent(definition, name: instanceName)
        case .register(let name, let moduleName):
            switch target(moduleName) {
            case .instance(let instance):
                linker.define(module: name, instance: instance)
                return .passed
            case .unavailable(let why):
                return .skipped(why.reason)
            case nil:
                return .failed("no module " + (moduleName ?? "(current)") + " to register")
            }
        case .action(let action):
            return run(action).map(readMessage) { _ in .passed }
        case .assertReturn(let action, let expectations):
            return run(action).map(readMessage) { results in
                guard results.count == expectations.count else {
                    return .failed(action.description + ": expected " + String(expectations.count)
                        + text(" result(s), got ") + Self.describe(results))
                }
                for (result, expectation) in zip(results, expectations) where !Self.matches(result, expectation) {
                    return .failed(action.description + ": expected " + expectations.map { $0.description }.joined(separator: " ")
                        + ", got " + Self.describe(results))
                }
                return .passed
            }
        case .assertTrap(let action, let message), .assertExhaustion(let action, let message):
            return runExpectingTrap(action, message: message)
        case .assertUninstantiable(let module, let message):
            switch instantiate(module) {
            case .success:
                return .failed(text("instantiation succeeded, expected trap \"") + message + "\"")
            case .failure(.failed(let why, let error)):
                guard let error, error.kind == .trap else { return .failed(text("expected trap \"") + message + "\", got " + why) }
                let actual = readMessage(error.message)
                return Self.messageMatches(actual, expected: message)
                    ? .passed : .failed(text("expected trap \"") + message + "\", got \"" + actual + "\"")
            }
        case .assertUnlinkable(let module, let message):
            switch instantiate(module) {
            case .success:
                return .failed(text("instantiation succeeded, expected \"") + message + "\"")
            case .failure(.failed(let why, let error)):
                guard let error, error.kind == .unlinkable else { return .failed("expected \"" + message + "\", got " + why) }
                return Self.messageMatches(readMessage(error.message), expected: message)
                    ? .passed : .failed("expected \"" + message + "\", got \"" + describe(error) + "\"")
            }
        }
    }

    // MARK: Modules

    private indirect enum InstantiationFailure: Error {
        /// Compilation or instantiation failed; the runtime's error when it got that far.
        case failed(String, InstantiationError?)
    }

    private func instantiate(_ spec: SpecModule) -> Result<Instance, InstantiationFailure> {
        let module: WasmModule
        do throws(WasmError) {
            module = try WasmModule(engine: engine, bytes: spec.binary)
        } catch {
            return .failure(.failed(text("compilation failed: ") + SpecModuleCheck.describe(error, readMessage), nil))
        }
        do throws(InstantiationError) {
            return .success(try linker.instantiate(store, module))
        } catch {
            return .failure(.failed(Self.kindName(error.kind) + ": " + describe(error), error))
        }
    }

    private mutating func instantiateAsCurrent(_ spec: SpecModule, name: String?) -> SpecOutcome {
        switch instantiate(spec) {
        case .success(let instance):
            setCurrent(.instance(instance), name: name)
            return .passed
        case .failure(.failed(let why, _)):
            setCurrent(.unavailable(.failed(text("module at line ") + String(spec.line) + " failed")), name: name)
            return .failed(why)
        }
    }

    private mutating func setCurrent(_ target: Target, name: String?) {
        current = target
        if let name { named[name] = target }
    }

    private func target(_ name: String?) -> Target? {
        guard let name else { return current }
        return named[name]
    }

    // MARK: Actions

    /// The action's results, or the outcome to report instead (skipped, or a failure/trap).
    private func run(_ action: SpecAction) -> ActionResult {
        let moduleName: String?
        switch action {
        case .invoke(let module, _, _): moduleName = module
        case .get(let module, _): moduleName = module
        }
        let instance: Instance
        switch target(moduleName) {
        case .instance(let found): instance = found
        case .unavailable(let why): return .outcome(.skipped(why.reason))
        case nil: return .outcome(.failed("no module " + (moduleName ?? "(current)")))
        }
        switch action {
        case .get(_, let name):
            guard let global = instance.global(name) else { return .outcome(.failed(text("no exported global \"") + name + "\"")) }
            return .results([global.value])
        case .invoke(_, let name, let arguments):
            guard let function = instance.function(name) else {
                return .outcome(.failed(text("no exported function \"") + name + "\""))
            }
            var values: [Value] = []
            for argument in arguments {
                guard let value = Self.value(argument) else {
                    return .outcome(.skipped("argument " + argument.description + text(" is not supported")))
                }
                values.append(value)
            }
            do throws(Trap) {
                return .results(try function.call(values))
            } catch {
                return .trapped(error)
            }
        }
    }

    private func runExpectingTrap(_ action: SpecAction, message: String) -> SpecOutcome {
        switch run(action) {
        case .outcome(let outcome): return outcome
        case .results(let results):
            return .failed(action.description + text(": expected trap \"") + message + "\", got " + Self.describe(results))
        case .trapped(let trap):
            let actual = readMessage(trap.message)
            return Self.messageMatches(actual, expected: message)
                ? .passed : .failed(action.description + text(": expected trap \"") + message + text("\", got trap \"") + actual + "\"")
        }
    }

    private indirect enum ActionResult {
        case results([Value])
        case trapped(Trap)
        case outcome(SpecOutcome)

        /// Maps returned results; a trap where none was expected fails.
        func map(_ readMessage: SpecMessageReader, _ transform: ([Value]) -> SpecOutcome) -> SpecOutcome {
            switch self {
            case .results(let results): return transform(results)
            case .trapped(let trap): return .failed(text("unexpected trap: ") + readMessage(trap.message))
            case .outcome(let outcome): return outcome
            }
        }
    }

    // MARK: Values

    /// The runtime value of a script argument; nil for values the executor cannot pass
    /// (function references).
    static func value(_ value: SpecValue) -> Value? {
        switch value {
        case .i32(let bits): return .i32(bits)
        case .i64(let bits): return .i64(bits)
        case .f32(let bits): return .f32(bits)
        case .f64(let bits): return .f64(bits)
        case .v128(let vector): return .v128(vector)
        case .nullReference(let type): return type == .funcref ? .funcref(nil) : .externref(nil)
        case .functionReference: return nil
        case .externReference(let number): return .externref(UInt64(number))
        }
    }

    /// Float lanes of a v128 result: exact bits, or (for a NaN pattern) any arithmetic NaN.
    static func lanesMatch(_ vector: V128, type: ValueType, _ lanes: [SpecLaneExpectation]) -> Bool {
        let double = type == .f64
        guard lanes.count == (double ? 2 : 4) else { return false }
        for (index, lane) in lanes.enumerated() {
            let bits: UInt64
            if double {
                bits = index == 0 ? vector.low : vector.high
            } else {
                let word = index < 2 ? vector.low : vector.high
                bits = (word >> (32 * UInt64(index % 2))) & 0xFFFF_FFFF
            }
            switch lane {
            case .bits(let expected):
                let mask: UInt64 = double ? UInt64.max : 0xFFFF_FFFF
                if bits != expected & mask { return false }
            case .nan:
                let quiet: UInt64 = double ? 0x7ff8_0000_0000_0000 : 0x7fc0_0000
                if bits & quiet != quiet { return false }
            }
        }
        return true
    }

    /// Whether `result` is what the script expects: floats bit for bit, NaN patterns by class.
    static func matches(_ result: Value, _ expectation: SpecExpectation) -> Bool {
        switch expectation {
        case .value(let expected):
            switch (expected, result) {
            case (.i32(let a), .i32(let b)): return a == b
            case (.i64(let a), .i64(let b)): return a == b
            case (.f32(let a), .f32(let b)): return a == b
            case (.f64(let a), .f64(let b)): return a == b
            case (.v128(let a), .v128(let b)): return a == b
            case (.nullReference(.funcref), .funcref(nil)): return true
            case (.nullReference(.externref), .externref(nil)): return true
            case (.functionReference, .funcref(let function)): return function != nil
            case (.externReference(let a), .externref(let b)): return b == UInt64(a)
            default: return false
            }
        case .canonicalNaN(let type):
            switch result {
            case .f32(let bits): return type == .f32 && bits & 0x7fff_ffff == 0x7fc0_0000
            case .f64(let bits): return type == .f64 && bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000
            default: return false
            }
        case .arithmeticNaN(let type):
            switch result {
            case .f32(let bits): return type == .f32 && bits & 0x7fc0_0000 == 0x7fc0_0000
            case .f64(let bits): return type == .f64 && bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000
            default: return false
            }
        case .floatLanes(let type, let lanes):
            guard case .v128(let vector) = result else { return false }
            return Self.lanesMatch(vector, type: type, lanes)
        case .nullReference(let type):
            switch result {
            case .funcref(nil): return type == nil || type == .funcref
            case .externref(nil): return type == nil || type == .externref
            default: return false
            }
        case .functionReference:
            if case .funcref(let function) = result { return function != nil }
            return false
        case .externReference(let expected):
            guard case .externref(let reference?) = result else { return false }
            return expected.map { UInt64($0) == reference } ?? true
        case .either(let alternatives):
            return alternatives.contains { matches(result, $0) }
        }
    }

    /// The reference interpreter's rule: the script's message is a prefix of the actual one.
    /// Some scripts spell out the reference interpreter's index suffix ("uninitialized element
    /// 2"); Apus's trap messages carry no index, so a bare numeric suffix is accepted too.
    static func messageMatches(_ actual: String, expected: String) -> Bool {
        if actual.hasPrefix(expected) { return true }
        guard expected.hasPrefix(actual + " ") else { return false }
        let suffix = expected.dropFirst(actual.count + 1)
        return SpecStrings.isDigits(suffix.utf8)
    }

    static func describe(_ results: [Value]) -> String {
        results.isEmpty ? "no results" : results.map { $0.description }.joined(separator: " ")
    }

    /// `InstantiationError.description`, read through `readMessage`.
    private func describe(_ error: InstantiationError) -> String {
        let message = readMessage(error.message)
        guard let detail = error.detail else { return message }
        return message + " (" + readMessage(detail) + ")"
    }

    private static func kindName(_ kind: InstantiationError.Kind) -> String {
        switch kind {
        case .unlinkable: return "unlinkable"
        case .trap: return "trap"
        case .resourceExhausted: return text("resources exhausted")
        }
    }
}
