import ArgumentParser
import WasmFrontEnd

/// `apus inspect FILE.wasm [--json]`: what a module contains and what it asks of its host.
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a module's types, imports (requested capabilities), exports, memories, tables, globals, functions and custom sections."
    )

    @Argument(help: "A binary WebAssembly module (.wasm).")
    public var file: String

    @Flag(help: "Print JSON instead of text.")
    public var json = false

    public init() {}

    public func run() throws {
        let bytes: [UInt8]
        do throws(UnreadableFile) {
            bytes = try ModuleInput.readBytes(atPath: file)
        } catch {
            StandardError.write("error: " + error.description + "\n")
            throw ExitCode.failure
        }
        let report = Self.report(bytes: bytes, name: file, json: json)
        // A decoding error leaves only the error to show; a validation error still shows
        // the decoded contents, with the error as the status.
        print(report.output)
        if !report.succeeded { throw ExitCode.failure }
    }

    /// The rendered report; `succeeded` is false when the module does not decode or validate.
    public struct Report {
        public var output: String
        public var succeeded: Bool
    }

    /// Decodes (and validates) `bytes` and renders the report.
    public static func report(bytes: [UInt8], name: String, json: Bool) -> Report {
        let module: Module
        do throws(WasmError) {
            module = try decodeModule(bytes)
        } catch {
            let message = "decoding failed: " + error.description
            if json {
                return Report(output: JSONText.string(["file": name, "valid": false, "error": message] as [String: Any]), succeeded: false)
            }
            return Report(output: name + ": " + message, succeeded: false)
        }
        var validationError: WasmError?
        do throws(WasmError) { try validateModule(module) } catch { validationError = error }

        let summary = ModuleSummary(module)
        if json {
            let object = summary.jsonObject(name: name, valid: validationError == nil, error: validationError.map(Self.statusText))
            return Report(output: JSONText.string(object), succeeded: validationError == nil)
        }
        let status = validationError.map(Self.statusText) ?? "valid"
        return Report(output: summary.text(name: name, status: status), succeeded: validationError == nil)
    }

    private static func statusText(_ error: WasmError) -> String {
        (error.phase == .decoding ? "malformed: " : "invalid: ") + error.description
    }
}
