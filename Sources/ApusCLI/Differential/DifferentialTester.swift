import Foundation
import WasmCompiler

/// One disagreement between Apus and WasmKit.
public struct Divergence {
    /// The seed that generates the module (`apus difftest --seed S --count 1`).
    public var seed: UInt64
    public var bytes: [UInt8]
    public var function: String
    public var arguments: [DiffValue]
    /// Which Apus tier diverged ("baseline", "optimizing", "tiered@2").
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

/// Generates modules, runs every export on Apus and WasmKit, and compares the outcomes and the
/// memory each call leaves.
public final class DifferentialTester {
    private let apusTiers: [ApusSide]
    private let wasmKit = WasmKitSide()
    /// The share of generated functions that use v128 (part of what a seed generates).
    private let simdShare: Double
    /// Calls per exported function (with fresh random arguments each time).
    public var callsPerExport = 3

    /// Every tier in `tiers` runs each module and is compared with WasmKit (so the tiers are
    /// also compared with each other); `explicitBoundsChecks` and `baselineISA` configure Apus.
    public init(tiers: [CompilerTier] = CompilerTier.allCases, simdShare: Double = ModuleGenerator.defaultSIMDShare,
                explicitBoundsChecks: Bool = false, baselineISA: Bool = false) {
        apusTiers = tiers.flatMap { tier in
            (tier == .tiered ? DifferentialTester.tieredThresholds : [0]).map {
                ApusSide(tier: tier, tierUpThreshold: $0, explicitBoundsChecks: explicitBoundsChecks, baselineISA: baselineISA)
            }
        }
        self.simdShare = simdShare
    }

    /// Tier-up thresholds the tiered tier runs with: at once, and after a few loop iterations
    /// (generated loops run few), which enters loops nested in others by on-stack replacement.
    static let tieredThresholds = [0, 2, 5]

    /// Runs the module for `seed`, adding to `summary`.
    public func run(seed: UInt64, into summary: inout DiffSummary) {
        let module = ModuleGenerator.generate(seed: seed, simdShare: simdShare)
        summary.modules += 1
        func diverge(_ function: String, _ arguments: [DiffValue], _ apus: DiffOutcome, _ wasmKit: DiffOutcome,
                     tier: String = CompilerTier.baseline.rawValue) {
            summary.divergences.append(Divergence(seed: seed, bytes: module.bytes, function: function,
                                                  arguments: arguments, tier: tier, apus: apus, wasmKit: wasmKit))
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
                diverge("<instantiate>", [], .failed(error.message), .returned([]), tier: side.label)
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
                        diverge(export.name, arguments, actual, expected, tier: side.label)
                        return  // later calls see state that may already differ
                    }
                    if let difference = DifferentialTester.memoryDifference(instance, wasmKitInstance) {
                        diverge(export.name, arguments, .memory(difference.apus), .memory(difference.wasmKit), tier: side.label)
                        return
                    }
                }
            }
        }
    }

    /// How the exported memories of two instances differ, if they do.
    static func memoryDifference(_ apus: ApusInstance, _ wasmKit: WasmKitInstance) -> (apus: String, wasmKit: String)? {
        // Layers: Apus has the export, WasmKit has it, the memories differ.
        let compared: (apus: String, wasmKit: String)??? = apus.withMemory { apusBytes in
            wasmKit.withMemory { wasmKitBytes in DifferentialTester.difference(apusBytes, wasmKitBytes) }
        }
        guard let inApus = compared, let inBoth = inApus else { return nil }
        return inBoth
    }

    /// How two memories differ: their sizes, or the first 16-byte row that differs; nil if equal.
    static func difference(_ apus: UnsafeRawBufferPointer, _ wasmKit: UnsafeRawBufferPointer) -> (apus: String, wasmKit: String)? {
        guard apus.count == wasmKit.count else { return (String(apus.count) + " bytes", String(wasmKit.count) + " bytes") }
        guard let a = apus.baseAddress, let b = wasmKit.baseAddress, memcmp(a, b, apus.count) != 0 else { return nil }
        var offset = 0
        while apus[offset] == wasmKit[offset] { offset += 1 }
        let row = offset & ~15
        func describe(_ bytes: UnsafeRawBufferPointer) -> String {
            let hex = bytes[row..<min(row + 16, bytes.count)].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
            return "at 0x" + String(row, radix: 16) + ": " + hex.joined(separator: " ")
        }
        return (describe(apus), describe(wasmKit))
    }
}
