import WasmFrontEnd

/// One step of a spec script after text parsing: everything the script asks of Apus, in a form
/// independent of the text parser, so that the same steps run on the host (`apus wast`) and in
/// the kernel (from a `SpecBundle`). Each step records one or two checks.
public struct SpecStep: Sendable {
    /// Line of the directive in the script (1-based).
    public var line: Int
    /// The kind its (last) check is recorded under: `assert_return`, `module instantiation`, …
    public var kind: String
    public var body: Body

    public init(line: Int, kind: String, body: Body) {
        self.line = line
        self.kind = kind
        self.body = body
    }

    public indirect enum Body: Sendable {
        /// An outcome the text parser already decided (a text-level rejection, an unsupported
        /// value or directive): recorded as is.
        case record(SpecOutcome, expected: String?, actual: String?)
        /// A module directive that produced no module: later actions on it cannot run.
        case moduleUnavailable(name: String?, reason: String)
        /// A module that must decode and validate (a `module` check), then be used.
        case module(name: String?, binary: [UInt8], use: ModuleUse)
        /// `assert_malformed`: the decoder must reject the binary. `fromText`: the binary came
        /// from the script's text (the text parser accepted it).
        case malformed(binary: [UInt8], message: String, fromText: Bool)
        /// `assert_invalid`: the binary must decode, then fail validation.
        case invalid(binary: [UInt8], message: String)
        /// A command that carries no module (actions, assertions on them, `register`, …).
        case command(SpecCommand)
    }

    /// What happens to a valid module of a `.module` step.
    public indirect enum ModuleUse: Equatable, Sendable {
        case instantiate
        case define
        /// Checked only (`assert_return` on a module; nothing else is recorded).
        case validateOnly
        /// `assert_trap (module …)`: instantiation must trap with this message.
        case uninstantiable(message: String)
        /// `assert_unlinkable`: linking must fail with this message.
        case unlinkable(message: String)
    }
}

/// One script's steps (or the error that kept it from being read or parsed).
public struct SpecScript: Sendable {
    public var path: String
    /// Set when the script could not be read or parsed (counts as one failure).
    public var fileError: String?
    public var steps: [SpecStep]

    public init(path: String, fileError: String? = nil, steps: [SpecStep] = []) {
        self.path = path
        self.fileError = fileError
        self.steps = steps
    }

    /// Runs every step with `executor`; front-end errors are read through `readMessage`.
    public func run<Executor: SpecExecutor>(
        with executor: Executor, readMessage: @escaping SpecMessageReader = { $0 }
    ) -> SpecFileResult {
        var run = SpecStepRunner(path: path, executor: executor, readMessage: readMessage)
        run.result.fileError = fileError
        for step in steps { run.run(step) }
        return run.result
    }
}

/// Decoding and validation with Apus's front end, as the spec checks need them.
public enum SpecModuleCheck {
    /// Decodes and validates: "valid" means both succeed. Body-level malformations surface
    /// from `validateModule` with phase `.decoding`.
    public static func check(_ bytes: [UInt8]) throws(WasmError) -> Module {
        let module = try decodeModule(bytes)
        try validateModule(module)
        return module
    }

    /// `WasmError.description`, reading the message through `readMessage`.
    public static func describe(_ error: WasmError, _ readMessage: SpecMessageReader) -> String {
        var text = "0x" + String(error.offset, radix: 16) + ": "
        if let functionIndex = error.functionIndex { text += "function " + String(functionIndex) + ": " }
        return text + readMessage(error.message)
    }
}

/// Runs the steps of one script: the front-end checks itself, execution through `Executor`.
public struct SpecStepRunner<Executor: SpecExecutor> {
    public var result: SpecFileResult
    public var executor: Executor
    let readMessage: SpecMessageReader

    public init(path: String, executor: Executor, readMessage: @escaping SpecMessageReader = { $0 }) {
        self.result = SpecFileResult(path: path)
        self.executor = executor
        self.readMessage = readMessage
    }

    public mutating func run(_ step: SpecStep) {
        let line = step.line
        switch step.body {
        case .record(let outcome, let expected, let actual):
            record(line, step.kind, outcome, expected: expected, actual: actual)
        case .moduleUnavailable(let name, let reason):
            executor.moduleUnavailable(name: name, reason: reason)
        case .module(let name, let binary, let use):
            guard let module = checkValid(binary, name: name, line: line) else { return }
            let command: SpecCommand
            switch use {
            case .instantiate: command = .instantiate(module)
            case .define: command = .define(module)
            case .validateOnly: return
            case .uninstantiable(let message): command = .assertUninstantiable(module, message: message)
            case .unlinkable(let message): command = .assertUnlinkable(module, message: message)
            }
            record(line, step.kind, executor.execute(command))
        case .malformed(let binary, let message, let fromText):
            checkMalformed(binary, message: message, fromText: fromText, line: line, kind: step.kind)
        case .invalid(let binary, let message):
            checkInvalid(binary, message: message, line: line, kind: step.kind)
        case .command(let command):
            record(line, step.kind, executor.execute(command))
        }
    }

    /// Checks that a module decodes and validates; records a `module` check and returns the
    /// module if so.
    mutating func checkValid(_ bytes: [UInt8], name: String?, line: Int) -> SpecModule? {
        do throws(WasmError) {
            let module = try SpecModuleCheck.check(bytes)
            record(line, "module", .passed)
            return SpecModule(name: name, binary: bytes, module: module, line: line)
        } catch {
            executor.moduleUnavailable(name: name, reason: text("its module was rejected"))
            let phase = error.phase == .decoding ? "malformed" : "invalid"
            record(line, "module", .failed(text("expected a valid module, got ") + phase + ": " + describe(error)),
                   actual: readMessage(error.message))
            return nil
        }
    }

    /// `assert_malformed`: the decoder must reject the module.
    mutating func checkMalformed(_ bytes: [UInt8], message: String, fromText: Bool, line: Int, kind: String) {
        let expected = text("expected malformed (\"") + message + "\")"
        let origin = fromText ? text(" (the text parser accepted it)") : ""
        guard let error = Self.rejection(bytes) else {
            record(line, kind, .failed(expected + text(", got a valid module") + origin), expected: message)
            return
        }
        if error.phase == .decoding {
            record(line, kind, .passed, expected: message, actual: readMessage(error.message))
        } else {
            record(line, kind, .failed(expected + text(", got invalid: ") + describe(error) + origin),
                   expected: message, actual: readMessage(error.message))
        }
    }

    /// `assert_invalid`: the module must decode, then fail validation.
    mutating func checkInvalid(_ bytes: [UInt8], message: String, line: Int, kind: String) {
        let expected = text("expected invalid (\"") + message + "\")"
        guard let error = Self.rejection(bytes) else {
            record(line, kind, .failed(expected + text(", got a valid module")), expected: message)
            return
        }
        if error.phase == .validation {
            record(line, kind, .passed, expected: message, actual: readMessage(error.message))
        } else {
            record(line, kind, .failed(expected + text(", but decoding rejected it: ") + describe(error)),
                   expected: message, actual: readMessage(error.message))
        }
    }

    /// Why the front end rejects `bytes`, or nil if the module is valid.
    static func rejection(_ bytes: [UInt8]) -> WasmError? {
        do throws(WasmError) {
            _ = try SpecModuleCheck.check(bytes)
            return nil
        } catch {
            return error
        }
    }

    func describe(_ error: WasmError) -> String {
        SpecModuleCheck.describe(error, readMessage)
    }

    mutating func record(_ line: Int, _ kind: String, _ outcome: SpecOutcome, expected: String? = nil, actual: String? = nil) {
        result.checks.append(SpecCheck(line: line, kind: kind, outcome: outcome, expectedMessage: expected, actualMessage: actual))
    }
}
