import HostedPlatform
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// What one call did on one engine, in engine-neutral terms.
public enum DiffOutcome: Equatable {
    case returned([DiffValue])
    /// The trap, as the spec test suite words it (`TrapKind.message`).
    case trapped(String)
    /// Anything else (instantiation failure, an unmapped error): always a divergence.
    case failed(String)
    /// The memory a call left, where it differs from the other engine's (after matching outcomes).
    case memory(String)

    public func matches(_ other: DiffOutcome) -> Bool {
        switch (self, other) {
        case (.returned(let a), .returned(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.matches($1) }
        case (.trapped(let a), .trapped(let b)): return a == b
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .returned(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .trapped(let message): return "trap: " + message
        case .failed(let message): return "error: " + message
        case .memory(let difference): return "memory " + difference
        }
    }
}

/// An Apus (JIT) instance of a generated module.
struct ApusInstance {
    private let instance: Instance

    /// Validates `bytes` with the front end; a failure is a generator bug.
    static func validate(_ bytes: [UInt8]) -> String? {
        do throws(WasmError) {
            try validateModule(try decodeModule(bytes))
            return nil
        } catch {
            return error.description
        }
    }

    init(bytes: [UInt8], engine: Engine) throws(DiffSetupError) {
        let module: WasmModule
        do throws(WasmError) {
            module = try WasmModule(engine: engine, bytes: bytes)
        } catch {
            throw DiffSetupError(message: "apus compile: " + error.description)
        }
        do throws(InstantiationError) {
            instance = try Linker().instantiate(Store(engine: engine), module)
        } catch {
            throw DiffSetupError(message: "apus instantiate: " + error.message)
        }
    }

    func call(_ name: String, _ arguments: [DiffValue]) -> DiffOutcome {
        guard let function = instance.function(name) else { return .failed("apus: no export " + name) }
        let values: [Value] = arguments.map { argument in
            switch argument.type {
            case .i32: return .i32(UInt32(truncatingIfNeeded: argument.bits))
            case .i64: return .i64(argument.bits)
            case .f32: return .f32(UInt32(truncatingIfNeeded: argument.bits))
            case .f64: return .f64(argument.bits)
            case .v128: preconditionFailure("entry points take scalars only")
            }
        }
        do throws(Trap) {
            var results: [DiffValue] = []
            for value in try function.call(values) {
                switch value {
                case .i32(let bits): results.append(DiffValue(.i32, UInt64(bits)))
                case .i64(let bits): results.append(DiffValue(.i64, bits))
                case .f32(let bits): results.append(DiffValue(.f32, UInt64(bits)))
                case .f64(let bits): results.append(DiffValue(.f64, bits))
                default: return .failed("apus: unexpected result type")
                }
            }
            return .returned(results)
        } catch {
            if let kind = error.kind { return .trapped(kind.message) }
            return .failed("apus host error: " + error.message)
        }
    }

    /// `body` applied to the bytes of the exported memory.
    func withMemory<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard let memory = instance.memory(ModuleGenerator.memoryExport) else { return nil }
        return body(UnsafeRawBufferPointer(start: memory.baseAddress, count: Int(memory.byteCount)))
    }
}

/// A module could not be set up on one engine.
struct DiffSetupError: Error {
    var message: String
}

/// The Apus engine shared by all modules of a run.
final class ApusSide {
    let tier: CompilerTier
    /// The tier, and for tiered sides the threshold ("tiered@3"), as divergences name it.
    let label: String
    let engine: Engine

    /// `explicitBoundsChecks` and `baselineISA` select the other code paths of the compiler:
    /// compares instead of guard regions, SSE2 fallbacks instead of SSSE3/SSE4.x instructions.
    /// A tiered side with threshold 0 optimises every function at its first entry and enters the
    /// first loop it reaches by on-stack replacement; a small non-zero threshold lets inner loops
    /// get hot first, so the entry lands inside enclosing loops in the middle of an iteration.
    init(tier: CompilerTier = .baseline, tierUpThreshold: Int = 0, explicitBoundsChecks: Bool = false, baselineISA: Bool = false) {
        self.tier = tier
        label = tier == .tiered && tierUpThreshold != 0 ? tier.rawValue + "@" + String(tierUpThreshold) : tier.rawValue
        var configuration = Engine.Configuration()
        configuration.tier = tier
        configuration.tierUpThreshold = tierUpThreshold
        configuration.boundsChecks = explicitBoundsChecks ? .explicit : .guardRegion
        configuration.forceBaselineISA = baselineISA
        engine = Engine(platform: HostedPlatform.shared, configuration: configuration)
    }

    func instantiate(_ bytes: [UInt8]) throws(DiffSetupError) -> ApusInstance {
        try ApusInstance(bytes: bytes, engine: engine)
    }
}
