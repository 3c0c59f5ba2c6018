import WasmKit

/// A WasmKit (interpreter) instance of a generated module.
struct WasmKitInstance {
    private let store: Store
    private let instance: Instance

    init(bytes: [UInt8], engine: Engine) throws(DiffSetupError) {
        do {
            store = Store(engine: engine)
            let module = try parseWasm(bytes: bytes, features: WasmKitSide.configuration.features)
            instance = try module.instantiate(store: store)
        } catch {
            throw DiffSetupError(message: "wasmkit: " + String(describing: error))
        }
    }

    func call(_ name: String, _ arguments: [DiffValue]) -> DiffOutcome {
        guard let function = instance.exports[function: name] else { return .failed("wasmkit: no export " + name) }
        let values: [Value] = arguments.map { argument in
            switch argument.type {
            case .i32: return .i32(UInt32(truncatingIfNeeded: argument.bits))
            case .i64: return .i64(argument.bits)
            case .f32: return .f32(UInt32(truncatingIfNeeded: argument.bits))
            case .f64: return .f64(argument.bits)
            case .v128: preconditionFailure("entry points take scalars only")
            }
        }
        do {
            var results: [DiffValue] = []
            for value in try function.invoke(values) {
                switch value {
                case .i32(let bits): results.append(DiffValue(.i32, UInt64(bits)))
                case .i64(let bits): results.append(DiffValue(.i64, bits))
                case .f32(let bits): results.append(DiffValue(.f32, UInt64(bits)))
                case .f64(let bits): results.append(DiffValue(.f64, bits))
                default: return .failed("wasmkit: unexpected result type")
                }
            }
            return .returned(results)
        } catch let trap as Trap {
            return WasmKitInstance.outcome(trapDescription: trap.description)
        } catch {
            return .failed("wasmkit: " + String(describing: error))
        }
    }

    /// `body` applied to the bytes of the exported memory.
    func withMemory<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard let memory = instance.exports[memory: ModuleGenerator.memoryExport] else { return nil }
        return memory.withUnsafeBufferPointer(offset: 0, count: memory.byteCount, body)
    }

    /// Maps WasmKit's trap text (its `TrapReason` is package-internal) to Apus's `TrapKind.message`.
    static func outcome(trapDescription text: String) -> DiffOutcome {
        let mapping: [(String, String)] = [
            ("indirect call to null element", "uninitialized element"),
            ("null function reference", "uninitialized element"),
            ("indirect call type mismatch", "indirect call type mismatch"),
            ("out of bounds table access", "undefined element"),
            ("out of bounds memory access", "out of bounds memory access"),
            ("integer divide by zero", "integer divide by zero"),
            ("integer overflow", "integer overflow"),
            ("invalid conversion to integer", "invalid conversion to integer"),
            ("call stack exhausted", "call stack exhausted"),
            ("unreachable", "unreachable"),
        ]
        for (needle, message) in mapping where text.contains(needle) { return .trapped(message) }
        return .failed("wasmkit trap: " + text)
    }
}

/// The WasmKit engine shared by all modules of a run.
final class WasmKitSide {
    /// Eager translation, and WasmKit's default features plus SIMD, which they leave out.
    static let configuration: EngineConfiguration = {
        var configuration = EngineConfiguration(compilationMode: .eager)
        configuration.features.insert(.simd)
        return configuration
    }()
    let engine = Engine(configuration: WasmKitSide.configuration)

    func instantiate(_ bytes: [UInt8]) throws(DiffSetupError) -> WasmKitInstance {
        try WasmKitInstance(bytes: bytes, engine: engine)
    }
}
