@_exported import WasmSpecRunner
import Foundation
import WAT
import WasmFrontEnd

/// Runs `.wast` spec scripts on the host: `SpecScriptTranslator` parses each script with
/// WasmKit's text parser into `SpecStep`s, which the shared `WasmSpecRunner` runs — decoding and
/// validating every module with Apus's front end, and handing each directive that needs
/// execution to an `Executor`, one per script. The kernel runs the same steps from a bundle.
public struct SpecScriptRunner<Executor: SpecExecutor> {
    /// Makes the executor for one script (given its path).
    public var makeExecutor: (String) -> Executor

    public init(makeExecutor: @escaping (String) -> Executor) {
        self.makeExecutor = makeExecutor
    }

    /// Reads and runs one script file.
    public func run(path: String) -> SpecFileResult {
        run(SpecScriptTranslator.translate(path: path))
    }

    /// Runs a script given as text; `path` names it in the result.
    public func run(source: String, path: String) -> SpecFileResult {
        run(SpecScriptTranslator.translate(source: source, path: path))
    }

    /// Runs an already translated script.
    public func run(_ script: SpecScript) -> SpecFileResult {
        script.run(with: makeExecutor(script.path))
    }
}

extension SpecScriptRunner where Executor == SkippingExecutor {
    /// The front-end-only runner: execution is reported as skipped.
    public init() {
        self.init(makeExecutor: { _ in SkippingExecutor() })
    }
}

/// Parses `.wast` scripts into the parser-independent steps of `WasmSpecRunner`.
public enum SpecScriptTranslator {
    /// Reads and translates one script file (a read error becomes the script's file error).
    public static func translate(path: String) -> SpecScript {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return SpecScript(path: path, fileError: "cannot read: " + (error as NSError).localizedDescription)
        }
        return translate(source: String(decoding: data, as: UTF8.self), path: path)
    }

    /// Translates a script given as text.
    public static func translate(source: String, path: String) -> SpecScript {
        var translation = ScriptTranslation(path: path, source: source)
        translation.run()
        return translation.script
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

/// The state of one script being translated.
private struct ScriptTranslation {
    var script: SpecScript
    let source: String
    let sourceMap: WastSourceMap
    var formIndex = 0

    init(path: String, source: String) {
        self.script = SpecScript(path: path)
        self.source = source
        self.sourceMap = WastSourceMap(source)
    }

    mutating func run() {
        var wast: WAST
        do {
            wast = try Wasm2Text.script(source)
        } catch {
            script.fileError = "cannot parse: " + Self.describe(error)
            return
        }
        while let (parsed, location) = wast.nextDirectiveResult() {
            switch parsed {
            case .success(let directive):
                let line = lineOfNextForm(matching: Self.keywords(of: directive), location: location)
                translate(directive, line: line)
            case .failure(let failure):
                let form = nextForm(location: location)
                translateUnparsable(failure, keyword: form.keyword, line: form.line)
            }
        }
    }

    // MARK: Directives

    mutating func translate(_ directive: WASTDirective, line: Int) {
        switch directive {
        case .module(let module):
            let kind = module.isDefinition ? "module definition" : "module instantiation"
            emitModule(module.source, name: module.id, line: line, kind: kind, use: module.isDefinition ? .define : .instantiate)

        case .moduleInstance(let instance, let module):
            emit(line, "module instantiation", .command(.instantiateDefinition(instance: instance, definition: module)))

        case .assertMalformed(let module, let message):
            let kind = "assert_malformed"
            switch binary(of: module.source) {
            case .failure(let error):
                emit(line, kind, .record(.passed, expected: message, actual: "text parser: " + error.description))
            case .success(let bytes):
                let fromText: Bool
                if case .binary = module.source { fromText = false } else { fromText = true }
                emit(line, kind, .malformed(binary: bytes, message: message, fromText: fromText))
            }

        case .assertInvalid(let module, let message):
            let kind = "assert_invalid"
            switch binary(of: module.source) {
            case .failure(let error):
                emit(line, kind, .record(
                    .skipped("the text parser rejected the module (" + error.description + "); the validator was not exercised"),
                    expected: message, actual: nil))
            case .success(let bytes):
                emit(line, kind, .invalid(binary: bytes, message: message))
            }

        case .assertReturn(let execute, let results):
            if case .wat(let wat) = execute {
                // Not used by the 2.0 suite; the module must at least be valid.
                emitModule(.text(wat), name: nil, line: line, kind: "module", use: .validateOnly)
                emit(line, "assert_return", .record(.skipped("assert_return on a module is not supported"), expected: nil, actual: nil))
                return
            }
            do throws(UnsupportedSpecValue) {
                let action = try WastConversion.action(execute)
                var expectations: [SpecExpectation] = []
                for expected in results { expectations.append(try WastConversion.expectation(expected)) }
                emit(line, "assert_return", .command(.assertReturn(action, expectations)))
            } catch {
                emit(line, "assert_return", .record(.skipped(error.description), expected: nil, actual: nil))
            }

        case .assertTrap(let execute, let message):
            if case .wat(let wat) = execute {
                emitModule(.text(wat), name: nil, line: line, kind: "assert_trap", use: .uninstantiable(message: message))
                return
            }
            translateAction(execute, line: line, kind: "assert_trap") { .assertTrap($0, message: message) }

        case .assertExhaustion(let call, let message):
            translateAction(.invoke(call), line: line, kind: "assert_exhaustion") { .assertExhaustion($0, message: message) }

        case .assertUnlinkable(let wat, let message):
            emitModule(.text(wat), name: nil, line: line, kind: "assert_unlinkable", use: .unlinkable(message: message))

        case .register(let name, let module):
            emit(line, "register", .command(.register(name: name, module: module)))

        case .invoke(let invoke):
            translateAction(.invoke(invoke), line: line, kind: "invoke") { .action($0) }

        case .assertException:
            emit(line, "assert_exception", .record(.skipped("exception handling is not part of WebAssembly 2.0"), expected: nil, actual: nil))
        case .assertFuel:
            emit(line, "assert_fuel", .record(.skipped("fuel metering is a WasmKit extension"), expected: nil, actual: nil))
        case .assertOutOfFuel:
            emit(line, "assert_out_of_fuel", .record(.skipped("fuel metering is a WasmKit extension"), expected: nil, actual: nil))
        }
    }

    mutating func translateAction(_ execute: WASTExecute, line: Int, kind: String, _ command: (SpecAction) -> SpecCommand) {
        do throws(UnsupportedSpecValue) {
            let action = try WastConversion.action(execute)
            emit(line, kind, .command(command(action)))
        } catch {
            emit(line, kind, .record(.skipped(error.description), expected: nil, actual: nil))
        }
    }

    /// A directive the text parser could not read.
    mutating func translateUnparsable(_ failure: WASTDirectiveError, keyword: String, line: Int) {
        let parserError = Self.describe(failure.error)
        switch keyword {
        case "assert_malformed":
            // The malformation is in the text: the text parser rejecting it is the expected outcome.
            emit(line, keyword, .record(.passed, expected: nil, actual: "text parser: " + parserError))
        case "assert_invalid":
            // The text parser resolves names and some types itself; our validator never sees it.
            emit(line, keyword, .record(
                .skipped("the text parser rejected the module (" + parserError + "); the validator was not exercised"),
                expected: nil, actual: nil))
        default:
            if failure.module != nil || keyword == "module" || WastSourceMap.moduleFieldKeywords.contains(keyword) {
                emit(line, "module", .moduleUnavailable(name: failure.module?.id, reason: "its module did not parse"))
                emit(line, "module", .record(.failed("the text parser rejected the module: " + parserError), expected: nil, actual: nil))
            } else {
                emit(line, keyword, .record(.failed("the directive could not be parsed: " + parserError), expected: nil, actual: nil))
            }
        }
    }

    // MARK: Modules

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

    /// A module that must be valid, then used: its `module` check and then (if it is valid)
    /// the use, recorded as `kind`. A module the text parser rejects is a failed `module` check.
    mutating func emitModule(_ source: ModuleSource, name: String?, line: Int, kind: String, use: SpecStep.ModuleUse) {
        switch binary(of: source) {
        case .failure(let error):
            emit(line, "module", .moduleUnavailable(name: name, reason: "its module did not parse"))
            emit(line, "module", .record(.failed("the text parser rejected the module: " + error.description), expected: nil, actual: nil))
        case .success(let bytes):
            emit(line, kind, .module(name: name, binary: bytes, use: use))
        }
    }

    mutating func emit(_ line: Int, _ kind: String, _ body: SpecStep.Body) {
        script.steps.append(SpecStep(line: line, kind: kind, body: body))
    }

    // MARK: Bookkeeping

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
