import WasmCompiler

/// One disagreement between Apus and WasmKit.
public struct Divergence {
    /// The seed that generates the module (`apus difftest --seed S --count 1`).
    public var seed: UInt64
    public var bytes: [UInt8]
    public var function: String
    public var arguments: [DiffValue]
    /// Which Apus tier diverged ("baseline", "optimizing").
    public var tier: String = "baseline"
    public var apus: DiffOutcome
    public var wasmKit: DiffOutcome

    public var description: String {
        "seed " + String(seed) + ": " + function + "(" + arguments.map(\.description).joined(separator: ", ")
            + ")\n  apus (" + tier + "): " + apus.description + "\n  wasmkit: " + wasmKit.description
    }
}

/// Totals of a differential run.
public struct DiffSummary {
    public var modules = 0
    public var calls = 0
    public var traps = 0
    public var divergences: [Divergence] = []
}

/// Generates modules, runs every export on Apus and WasmKit, and compares the outcomes.
public final class DifferentialTester {
    private let apusTiers: [ApusSide]
    private let wasmKit = WasmKitSide()
    /// Calls per exported function (with fresh random arguments each time).
    public var callsPerExport = 3

    /// Every tier in `tiers` runs each module and is compared with WasmKit (so the tiers are
    /// also compared with each other).
    public init(tiers: [CompilerTier] = CompilerTier.allCases) {
        apusTiers = tiers.map { ApusSide(tier: $0) }
    }

    /// Runs the module for `seed`, adding to `summary`.
    public func run(seed: UInt64, into summary: inout DiffSummary) {
        let module = ModuleGenerator.generate(seed: seed)
        summary.modules += 1
        func diverge(_ function: String, _ arguments: [DiffValue], _ apus: DiffOutcome, _ wasmKit: DiffOutcome,
                     tier: CompilerTier = .baseline) {
            summary.divergences.append(Divergence(seed: seed, bytes: module.bytes, function: function,
                                                  arguments: arguments, tier: tier.rawValue, apus: apus, wasmKit: wasmKit))
        }
        if let error = ApusInstance.validate(module.bytes) {
            diverge("<validate>", [], .failed("generator produced an invalid module: " + error), .returned([]))
            return
        }
        var apusInstances: [ApusInstance] = []
        let wasmKitInstance: WasmKitInstance
        for side in apusTiers {
            do throws(DiffSetupError) {
                apusInstances.append(try side.instantiate(module.bytes))
            } catch {
                diverge("<instantiate>", [], .failed(error.message), .returned([]), tier: side.tier)
                return
            }
        }
        do throws(DiffSetupError) {
            wasmKitInstance = try wasmKit.instantiate(module.bytes)
        } catch {
            diverge("<instantiate>", [], .returned([]), .failed(error.message))
            return
        }
        var rng = SplitMix64(seed: seed ^ 0xD1FF_7E57)
        for export in module.exports {
            for _ in 0..<callsPerExport {
                let arguments = export.signature.parameters.map { ModuleGenerator.argument($0, rng: &rng) }
                let expected = wasmKitInstance.call(export.name, arguments)
                summary.calls += 1
                if case .trapped = expected { summary.traps += 1 }
                for (side, instance) in zip(apusTiers, apusInstances) {
                    let actual = instance.call(export.name, arguments)
                    if !actual.matches(expected) {
                        diverge(export.name, arguments, actual, expected, tier: side.tier)
                        return  // later calls see state that may already differ
                    }
                }
            }
        }
    }
}
