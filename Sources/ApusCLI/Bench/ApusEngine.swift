import Foundation
import HostedPlatform
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// Apus's own engine, hosted (the JIT running natively on Linux): one column per tier, each
/// with CPU-specific code generation on and forced off, plus the baseline tier without AVX.
public struct ApusEngine: BenchEngine {
    /// One way of configuring Apus's compiler.
    public struct Configuration: Sendable, Equatable {
        /// Compiler tier, e.g. "baseline".
        public var tier: String
        /// Whether code may use host CPU features beyond the x86-64 baseline (probed by CPUID).
        public var cpuSpecific: Bool
        /// With `cpuSpecific`: whether the AVX, AVX2 and FMA forms are off (SSE4 encodings only).
        public var withoutAVX: Bool

        public init(tier: String, cpuSpecific: Bool, withoutAVX: Bool = false) {
            self.tier = tier
            self.cpuSpecific = cpuSpecific
            self.withoutAVX = withoutAVX
        }
    }

    public let configuration: Configuration
    public var id: String {
        "apus-\(configuration.tier)" + (!configuration.cpuSpecific ? "-generic" : configuration.withoutAVX ? "-sse4" : "")
    }
    public let isInterpreter = false

    public init(configuration: Configuration) { self.configuration = configuration }

    /// Tiers Apus has: every one is measured with CPU-specific code on and forced off.
    /// "tiered" (the default) runs with the engine's default threshold, so its column includes
    /// the baseline start and the tier-up compiles.
    public static let tiers = ["baseline", "optimizing", "tiered"]

    /// All Apus columns of the table: each tier with CPU-specific code, forced off, and without
    /// AVX (`apus-TIER-sse4`, which measures the VEX forms).
    public static func variants() -> [ApusEngine] {
        tiers.flatMap { tier in
            [true, false].map { ApusEngine(configuration: Configuration(tier: tier, cpuSpecific: $0)) }
                + [ApusEngine(configuration: Configuration(tier: tier, cpuSpecific: true, withoutAVX: true))]
        }
    }

    public func unavailableReason() -> String? { nil }

    public func version() -> String? { nil }
}

/// A bench failure raised by the Apus engine (the module did not compile, link, or ran into a trap).
struct ApusBenchError: Error, CustomStringConvertible {
    var description: String
}

extension ApusEngine: InProcessWasmEngine {
    public struct Compiled {
        let instance: Instance
        let run: Func
    }

    /// Decode + validate + JIT-compile + instantiate: all timed as compilation.
    public func compile(_ bytes: [UInt8]) throws -> Compiled {
        var engineConfiguration = Engine.Configuration()
        engineConfiguration.forceBaselineISA = !configuration.cpuSpecific
        engineConfiguration.disableAVX = configuration.withoutAVX
        engineConfiguration.tier = CompilerTier(rawValue: configuration.tier) ?? .baseline
        let engine = Engine(platform: HostedPlatform.shared, configuration: engineConfiguration)
        let module: WasmModule
        do throws(WasmError) {
            module = try WasmModule(engine: engine, bytes: bytes)
        } catch {
            throw ApusBenchError(description: error.description)
        }
        let store = Store(engine: engine)
        let instance: Instance
        do throws(InstantiationError) {
            instance = try Linker().instantiate(store, module)
        } catch {
            throw ApusBenchError(description: error.description)
        }
        guard let run = instance.function("run") else {
            throw ApusBenchError(description: "module has no export 'run'")
        }
        return Compiled(instance: instance, run: run)
    }

    /// Calls `run(n) -> i64`: timed as execution.
    public func run(_ compiled: Compiled, n: Int32) throws -> Int64 {
        let results: [Value]
        do throws(Trap) {
            results = try compiled.run.call([.i32(UInt32(bitPattern: n))])
        } catch {
            throw ApusBenchError(description: "trap: " + error.message)
        }
        guard results.count == 1, case .i64(let bits) = results[0] else {
            throw ApusBenchError(description: "run did not return one i64")
        }
        return Int64(bitPattern: bits)
    }
}
