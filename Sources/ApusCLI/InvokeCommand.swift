import ArgumentParser
import Foundation
import HostedPlatform
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// `apus invoke FILE.wasm FUNC [ARG…]`: instantiates a module with the JIT and calls one export,
/// printing its results one per line (like `wasmtime --invoke`).
public struct InvokeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Run an exported WebAssembly function.",
        discussion: """
            Arguments follow the export's parameter types: integers in decimal (signed or unsigned) \
            or 0x hex; floats as decimal, inf, nan, or 0x followed only by hex digits for the raw \
            bit pattern (0x7fc00000); v128 as 0x and 32 hex digits; references as null (externref \
            also takes an integer). Imports from "spectest" are provided. A trap prints \
            "trap: MESSAGE" and the wasm backtrace on standard error and exits with status 2; \
            bad input exits with status 1.
            """
    )

    @Argument(help: "The binary module (.wasm).")
    public var file: String

    @Argument(help: "The exported function to call.")
    public var function: String

    @Argument(parsing: .allUnrecognized, help: "Arguments, one per parameter.")
    public var arguments: [String] = []

    @Flag(help: "Check memory accesses explicitly instead of with guard regions.")
    public var explicitBoundsChecks = false

    @Option(help: ArgumentHelp("Compiler tier: baseline, optimizing or tiered.", valueName: "tier"))
    public var tier: CompilerTier = .tiered

    @Option(help: ArgumentHelp("With --tier tiered: calls plus loop iterations before a function is recompiled by the optimising tier (0: at once).", valueName: "count"))
    public var tierUpThreshold: Int = Engine.Configuration().tierUpThreshold

    public init() {}

    public func run() throws {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            fail(file + ": cannot read: " + (error as NSError).localizedDescription)
        }
        var configuration = Engine.Configuration()
        configuration.boundsChecks = explicitBoundsChecks ? .explicit : .guardRegion
        configuration.tier = tier
        configuration.tierUpThreshold = max(0, tierUpThreshold)
        let engine = Engine(platform: HostedPlatform.shared, configuration: configuration)
        let module: WasmModule
        do throws(WasmError) {
            module = try WasmModule(engine: engine, bytes: bytes)
        } catch {
            fail(file + ": " + error.description)
        }
        let store = Store(engine: engine)
        let linker = Linker()
        linker.defineSpectest(store: store) { values in
            print(values.map(InvokeCommand.format).joined(separator: " "))
        }
        let instance: Instance
        do throws(InstantiationError) {
            instance = try linker.instantiate(store, module)
        } catch {
            if let trap = error.trap { trapped(trap) }
            fail(file + ": " + error.description)
        }
        guard let export = instance.function(function) else {
            fail(file + ": no exported function named '" + function + "'")
        }
        let parameters = export.type.parameters
        guard arguments.count == parameters.count else {
            fail(function + " takes " + String(parameters.count) + " argument(s), got " + String(arguments.count))
        }
        var values: [Value] = []
        for (text, type) in zip(arguments, parameters) {
            guard let value = InvokeCommand.parse(text, as: type) else {
                fail("cannot read '" + text + "' as " + type.name)
            }
            values.append(value)
        }
        do throws(Trap) {
            for result in try export.call(values) { print(InvokeCommand.format(result)) }
        } catch {
            trapped(error)
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
        Foundation.exit(1)
    }

    private func trapped(_ trap: Trap) -> Never {
        FileHandle.standardError.write(Data(("trap: " + trap.description + "\n").utf8))
        Foundation.exit(2)
    }

    /// Parses a command-line argument as a value of `type`.
    public static func parse(_ text: String, as type: ValueType) -> Value? {
        switch type {
        case .i32:
            if let bits = hexBits(text, digits: 8) { return .i32(UInt32(bits)) }
            if let value = Int32(text) { return .i32(signed: value) }
            return UInt32(text).map { .i32($0) }
        case .i64:
            if let bits = hexBits(text, digits: 16) { return .i64(bits) }
            if let value = Int64(text) { return .i64(signed: value) }
            return UInt64(text).map { .i64($0) }
        case .f32:
            if let bits = hexBits(text, digits: 8) { return .f32(UInt32(bits)) }
            return Float(text).map { .f32(float: $0) }
        case .f64:
            if let bits = hexBits(text, digits: 16) { return .f64(bits) }
            return Double(text).map { .f64(double: $0) }
        case .v128:
            let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : ""
            guard digits.count == 32, let high = UInt64(digits.prefix(16), radix: 16),
                  let low = UInt64(digits.suffix(16), radix: 16) else { return nil }
            return .v128(V128(low: low, high: high))
        case .funcref:
            return text == "null" ? .funcref(nil) : nil
        case .externref:
            if text == "null" { return .externref(nil) }
            return UInt64(text).map { .externref($0) }
        }
    }

    /// `0x` followed by 1…`digits` hex digits and nothing else (a raw bit pattern).
    private static func hexBits(_ text: String, digits: Int) -> UInt64? {
        let lowered = text.lowercased()
        guard lowered.hasPrefix("0x") else { return nil }
        let body = lowered.dropFirst(2)
        guard !body.isEmpty, body.count <= digits, body.allSatisfy(\.isHexDigit) else { return nil }
        return UInt64(body, radix: 16)
    }

    /// One result as `wasmtime --invoke` prints it: signed integers, decimal floats.
    public static func format(_ value: Value) -> String {
        switch value {
        case .i32(let bits): return String(Int32(bitPattern: bits))
        case .i64(let bits): return String(Int64(bitPattern: bits))
        case .f32(let bits): return formatFloat(Double(Float(bitPattern: bits)), isNaN: Float(bitPattern: bits).isNaN,
                                                shortest: String(Float(bitPattern: bits)))
        case .f64(let bits): return formatFloat(Double(bitPattern: bits), isNaN: Double(bitPattern: bits).isNaN,
                                                shortest: String(Double(bitPattern: bits)))
        case .v128(let vector):
            return "0x" + hex(vector.high) + hex(vector.low)
        case .funcref(let function): return function == nil ? "null" : "<funcref>"
        case .externref(let reference): return reference.map { "<externref " + String($0) + ">" } ?? "null"
        }
    }

    private static func formatFloat(_ value: Double, isNaN: Bool, shortest: String) -> String {
        if isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return shortest
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
