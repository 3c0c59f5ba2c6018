import Foundation
import WAT
import WasmFrontEnd

/// Walks the directives of `.wast` spec scripts. It does everything that needs no execution
/// itself — parsing, and decoding and validating every module with Apus's front end — and
/// hands each directive that needs execution to an `Executor`, one per script.
public struct SpecScriptRunner<Executor: SpecExecutor> {
    /// Makes the executor for one script (given its path).
    public var makeExecutor: (String) -> Executor

    public init(makeExecutor: @escaping (String) -> Executor) {
        self.makeExecutor = makeExecutor
    }

    /// Reads and runs one script file.
    public func run(path: String) -> SpecFileResult {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            var result = SpecFileResult(path: path)
            result.fileError = "cannot read: " + (error as NSError).localizedDescription
            return result
        }
        return run(source: String(decoding: data, as: UTF8.self), path: path)
    }

    /// Runs a script given as text; `path` names it in the result.
    public func run(source: String, path: String) -> SpecFileResult {
        var script = ScriptRun(path: path, source: source, executor: makeExecutor(path))
        script.run()
        return script.result
    }
}

extension SpecScriptRunner where Executor == SkippingExecutor {
    /// The front-end-only runner: execution is reported as skipped.
    public init() {
        self.init(makeExecutor: { _ in SkippingExecutor() })
    }
}

/// The text parser with the WebAssembly 2.0 features (MVP + reference types, bulk memory,
/// multi-value, SIMD, sign extension, saturating conversions) enabled.
enum Wasm2Text {
    static func script(_ source: String) throws(WatParserError) -> WAST {
        try parseWAST(source, features: [.referenceTypes, .simd])
    }

    static func module(_ source: String) throws(WatParserError) -> [UInt8] {
        try wat2wasm(source, features: [.referenceTypes, .simd])
    }
}

/// Why the text parser could not produce a module's binary.
struct ModuleTextError: Error {
    var description: String
}

/// The state of one script being run.
private struct ScriptRun<Executor: SpecExecutor> {
    var result: SpecFileResult
    var executor: Executor
    let source: String
    let sourceMap: WastSourceMap
    var formIndex = 0

    init(path: String, source: String, executor: Executor) {
        self.result = SpecFileResult(path: path)
        self.executor = executor
        self.source = source
        self.sourceMap = WastSourceMap(source)
    }

    mutating func run() {
        var wast: WAST
        do {
            wast = try Wasm2Text.script(source)
        } catch {
            result.fileError = "cannot parse: " + Self.describe(error)
            return
        }
        while let (parsed, location) = wast.nextDirectiveResult() {
            switch parsed {
            case .success(let directive):
                let line = lineOfNextForm(matching: Self.keywords(of: directive), location: location)
                run(directive, line: line)
            case .failure(let failure):
                let form = nextForm(location: location)
                runUnparsable(failure, keyword: form.keyword, line: form.line)
            }
        }
    }

    // MARK: Directives

    mutating func run(_ directive: WASTDirective, line: Int) {
        switch directive {
        case .module(let module):
            guard let valid = checkValid(module.source, name: module.id, line: line, kind: "module") else { return }
            let command: SpecCommand = module.isDefinition ? .define(valid) : .instantiate(valid)
            record(line, command.kind, executor.execute(command))

        case .moduleInstance(let instance, let module):
            record(line, "module instantiation", executor.execute(.instantiateDefinition(instance: instance, definition: module)))

        case .assertMalformed(let module, let message):
            checkMalformed(module.source, message: message, line: line)

        case .assertInvalid(let module, let message):
            checkInvalid(module.source, message: message, line: line)

        case .assertReturn(let execute, let results):
            if case .wat(let wat) = execute {
                // Not used by the 2.0 suite; the module must at least be valid.
                _ = checkValid(.text(wat), name: nil, line: line, kind: "module")
                record(line, "assert_return", .skipped("assert_return on a module is not supported"))
                return
            }
            do throws(UnsupportedSpecValue) {
                let action = try WastConversion.action(execute)
                var expectations: [SpecExpectation] = []
                for expected in results { expectations.append(try WastConversion.expectation(expected)) }
                record(line, "assert_return", executor.execute(.assertReturn(action, expectations)))
            } catch {
                record(line, "assert_return", .skipped(error.description))
            }

        case .assertTrap(let execute, let message):
            if case .wat(let wat) = execute {
                guard let valid = checkValid(.text(wat), name: nil, line: line, kind: "module") else { return }
                record(line, "assert_trap", executor.execute(.assertUninstantiable(valid, message: message)))
                return
            }
            runAction(execute, line: line, kind: "assert_trap") { .assertTrap($0, message: message) }

        case .assertExhaustion(let call, let message):
            runAction(.invoke(call), line: line, kind: "assert_exhaustion") { .assertExhaustion($0, message: message) }

        case .assertUnlinkable(let wat, let message):
            guard let valid = checkValid(.text(wat), name: nil, line: line, kind: "module") else { return }
            record(line, "assert_unlinkable", executor.execute(.assertUnlinkable(valid, message: message)))

        case .register(let name, let module):
            record(line, "register", executor.execute(.register(name: name, module: module)))

        case .invoke(let invoke):
            runAction(.invoke(invoke), line: line, kind: "invoke") { .action($0) }

        case .assertException:
            record(line, "assert_exception", .skipped("exception handling is not part of WebAssembly 2.0"))
        case .assertFuel:
            record(line, "assert_fuel", .skipped("fuel metering is a WasmKit extension"))
        case .assertOutOfFuel:
            record(line, "assert_out_of_fuel", .skipped("fuel metering is a WasmKit extension"))
        }
    }

    mutating func runAction(_ execute: WASTExecute, line: Int, kind: String, _ command: (SpecAction) -> SpecCommand) {
        do throws(UnsupportedSpecValue) {
            let action = try WastConversion.action(execute)
            record(line, kind, executor.execute(command(action)))
        } catch {
            record(line, kind, .skipped(error.description))
        }
    }

    /// A directive the text parser could not read.
    mutating func runUnparsable(_ failure: WASTDirectiveError, keyword: String, line: Int) {
        let parserError = Self.describe(failure.error)
        switch keyword {
        case "assert_malformed":
            // The malformation is in the text: the text parser rejecting it is the expected outcome.
            record(line, keyword, .passed, expected: nil, actual: "text parser: " + parserError)
        case "assert_invalid":
            // The text parser resolves names and some types itself; our validator never sees it.
            record(line, keyword, .skipped("the text parser rejected the module (" + parserError + "); the validator was not exercised"))
        default:
            if failure.module != nil || keyword == "module" || WastSourceMap.moduleFieldKeywords.contains(keyword) {
                executor.moduleUnavailable(name: failure.module?.id, reason: "its module did not parse")
                record(line, "module", .failed("the text parser rejected the module: " + parserError))
            } else {
                record(line, keyword, .failed("the directive could not be parsed: " + parserError))
            }
        }
    }

    // MARK: Module checks

    /// A module's binary, or why the text parser rejected it.
    func binary(of source: ModuleSource) -> Result<[UInt8], ModuleTextError> {
        do throws(WatParserError) {
            switch source {
            case .binary(let bytes): return .success(bytes)
            case .text(let wat): return .success(try wat.encode())
            case .quote(let text):
                do throws(WatParserError) {
                    return .success(try Wasm2Text.module(String(decoding: text, as: UTF8.self)))
                } catch {
                    return .failure(ModuleTextError(description: Self.describe(error, inScript: false)))
                }
            }
        } catch {
            return .failure(ModuleTextError(description: Self.describe(error)))
        }
    }

    /// Checks that a module decodes and validates; records a check and returns the module if so.
    mutating func checkValid(_ source: ModuleSource, name: String?, line: Int, kind: String) -> SpecModule? {
        switch binary(of: source) {
        case .failure(let error):
            executor.moduleUnavailable(name: name, reason: "its module did not parse")
            record(line, kind, .failed("the text parser rejected the module: " + error.description))
            return nil
        case .success(let bytes):
            switch ModuleInput.check(bytes) {
            case .success(let module):
                record(line, kind, .passed)
                return SpecModule(name: name, binary: bytes, module: module, line: line)
            case .failure(let error):
                executor.moduleUnavailable(name: name, reason: "its module was rejected")
                let phase = error.phase == .decoding ? "malformed" : "invalid"
                record(line, kind, .failed("expected a valid module, got " + phase + ": " + error.description),
                       actual: error.message)
                return nil
            }
        }
    }

    /// `assert_malformed`: the text parser or the decoder must reject the module.
    mutating func checkMalformed(_ source: ModuleSource, message: String, line: Int) {
        let kind = "assert_malformed"
        let bytes: [UInt8]
        switch binary(of: source) {
        case .failure(let error):
            record(line, kind, .passed, expected: message, actual: "text parser: " + error.description)
            return
        case .success(let encoded):
            bytes = encoded
        }
        let expected = "expected malformed (\"" + message + "\")"
        let fromText: String
        if case .binary = source { fromText = "" } else { fromText = " (the text parser accepted it)" }
        switch ModuleInput.check(bytes) {
        case .success:
            record(line, kind, .failed(expected + ", got a valid module" + fromText), expected: message)
        case .failure(let error) where error.phase == .decoding:
            record(line, kind, .passed, expected: message, actual: error.message)
        case .failure(let error):
            record(line, kind, .failed(expected + ", got invalid: " + error.description + fromText),
                   expected: message, actual: error.message)
        }
    }

    /// `assert_invalid`: the module must decode, then fail validation.
    mutating func checkInvalid(_ source: ModuleSource, message: String, line: Int) {
        let kind = "assert_invalid"
        let bytes: [UInt8]
        switch binary(of: source) {
        case .failure(let error):
            record(line, kind, .skipped("the text parser rejected the module (" + error.description + "); the validator was not exercised"),
                   expected: message)
            return
        case .success(let encoded):
            bytes = encoded
        }
        let expected = "expected invalid (\"" + message + "\")"
        switch ModuleInput.check(bytes) {
        case .success:
            record(line, kind, .failed(expected + ", got a valid module"), expected: message)
        case .failure(let error) where error.phase == .validation:
            record(line, kind, .passed, expected: message, actual: error.message)
        case .failure(let error):
            record(line, kind, .failed(expected + ", but decoding rejected it: " + error.description),
                   expected: message, actual: error.message)
        }
    }

    // MARK: Bookkeeping

    mutating func record(_ line: Int, _ kind: String, _ outcome: SpecOutcome, expected: String? = nil, actual: String? = nil) {
        result.checks.append(SpecCheck(line: line, kind: kind, outcome: outcome, expectedMessage: expected, actualMessage: actual))
    }

    /// The source-map form for the next directive; falls back to the parser's (slow) location
    /// if the map and the parser disagree, so line numbers stay right either way.
    mutating func nextForm(location: Location) -> WastSourceMap.Form {
        defer { formIndex += 1 }
        if formIndex < sourceMap.forms.count { return sourceMap.forms[formIndex] }
        return WastSourceMap.Form(line: location.computeLineAndColumn().line, keyword: "")
    }

    mutating func lineOfNextForm(matching keywords: [String], location: Location) -> Int {
        let form = nextForm(location: location)
        if keywords.contains(form.keyword) { return form.line }
        // Out of step (a construct the map does not understand): resynchronise from here on.
        let line = location.computeLineAndColumn().line
        if let index = sourceMap.forms.firstIndex(where: { $0.line == line }) { formIndex = index + 1 }
        return line
    }

    /// The top-level keywords a parsed directive can start with.
    static func keywords(of directive: WASTDirective) -> [String] {
        switch directive {
        case .module, .moduleInstance:
            return ["module"] + WastSourceMap.moduleFieldKeywords
        case .assertInvalid: return ["assert_invalid"]
        case .assertMalformed: return ["assert_malformed", "assert_malformed_custom"]
        case .assertReturn: return ["assert_return"]
        case .assertTrap: return ["assert_trap"]
        case .assertExhaustion: return ["assert_exhaustion"]
        case .assertException: return ["assert_exception"]
        case .assertFuel: return ["assert_fuel"]
        case .assertOutOfFuel: return ["assert_out_of_fuel"]
        case .assertUnlinkable: return ["assert_unlinkable"]
        case .register: return ["register"]
        case .invoke: return ["invoke"]
        }
    }

    /// A parser error's message; `inScript` keeps its position (for errors located in the
    /// script itself, not in a quoted module's text).
    static func describe(_ error: WatParserError, inScript: Bool = true) -> String {
        let text = error.description
        guard let range = text.range(of: " at Location(") else { return text }
        let message = String(text[..<range.lowerBound])
        guard inScript else { return message }
        let position = text[range.upperBound...].replacingOccurrences(of: ")", with: "")
        return message + " (" + position + ")"
    }
}
