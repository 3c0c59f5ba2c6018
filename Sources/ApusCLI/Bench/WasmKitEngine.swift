import WasmKit

/// WasmKit's interpreter, called in-process. "Compilation" is WasmKit's parse, validation and
/// eager translation into its internal instruction sequence (it happens at instantiation).
public struct WasmKitEngine: InProcessWasmEngine {
    public let id = "wasmkit"
    public let isInterpreter = true

    public init() {}

    public func unavailableReason() -> String? { nil }
    public func version() -> String? { "0.4.2 interpreter" }

    // WasmKit's names are qualified: ApusCLI and the Apus runtime have types of the same names.
    public struct Compiled {
        var store: WasmKit.Store
        var run: WasmKit.Function
    }

    struct MissingExport: Error, CustomStringConvertible {
        var description: String { "the module has no function export `run`" }
    }

    struct UnexpectedResult: Error, CustomStringConvertible {
        var results: [WasmKit.Value]
        var description: String { "run returned \(results), expected one i64" }
    }

    public func compile(_ bytes: [UInt8]) throws -> Compiled {
        let engine = WasmKit.Engine(configuration: WasmKit.EngineConfiguration(compilationMode: .eager))
        let store = WasmKit.Store(engine: engine)
        let module = try WasmKit.parseWasm(bytes: bytes)
        let instance = try module.instantiate(store: store)
        guard let run = instance.exports[function: "run"] else { throw MissingExport() }
        return Compiled(store: store, run: run)
    }

    public func run(_ compiled: Compiled, n: Int32) throws -> Int64 {
        let results = try compiled.run.invoke([.i32(UInt32(bitPattern: n))])
        guard results.count == 1, case .i64(let value) = results[0] else {
            throw UnexpectedResult(results: results)
        }
        return Int64(bitPattern: value)
    }
}
