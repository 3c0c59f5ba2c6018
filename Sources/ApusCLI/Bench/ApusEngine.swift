import Foundation

/// Apus's own engine, hosted (the JIT running natively on Linux): one column per tier, each
/// with CPU-specific code generation on and forced off.
///
/// Seam for the runtime engineers: once `Sources/WasmRuntime` exposes a hosted engine
/// (Engine/Store/Instance/Func.call), make `ApusEngine` conform to `InProcessWasmEngine`:
/// `compile` = decode + validate + JIT-compile + instantiate with `configuration`, and
/// `run` = call the export `run(i32) -> i64`. Then list the real tiers in `variants()`.
/// Until then every Apus column reports itself unavailable; no numbers are ever invented.
public struct ApusEngine: BenchEngine {
    /// One way of configuring Apus's compiler.
    public struct Configuration: Sendable, Equatable {
        /// Compiler tier, e.g. "baseline".
        public var tier: String
        /// Whether code may use host CPU features beyond the x86-64 baseline (probed by CPUID).
        public var cpuSpecific: Bool

        public init(tier: String, cpuSpecific: Bool) {
            self.tier = tier
            self.cpuSpecific = cpuSpecific
        }
    }

    public let configuration: Configuration
    public var id: String { "apus-\(configuration.tier)" + (configuration.cpuSpecific ? "" : "-generic") }
    public let isInterpreter = false

    public init(configuration: Configuration) { self.configuration = configuration }

    /// Tiers Apus has: every one is measured with CPU-specific code on and forced off.
    public static let tiers = ["baseline"]

    /// All Apus columns of the table.
    public static func variants() -> [ApusEngine] {
        tiers.flatMap { tier in
            [true, false].map { ApusEngine(configuration: Configuration(tier: tier, cpuSpecific: $0)) }
        }
    }

    public func unavailableReason() -> String? {
        "the Apus runtime (Sources/WasmRuntime) cannot run modules yet"
    }

    public func version() -> String? { nil }

    public func measure(_ jobs: [BenchJob], progress: (String) -> Void) -> [BenchMeasurement] {
        jobs.map { _ in .failure(unavailableReason() ?? "unavailable") }
    }
}
