import ArgumentParser
import Foundation
import WasmCompiler

/// `apus difftest`: differential testing of the JIT against WasmKit's interpreter on random
/// generated modules.
public struct DiffTestCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "difftest",
        abstract: "Compare Apus with WasmKit's interpreter on random generated modules.",
        discussion: """
            Module i of a run has seed S+i, so a divergence reproduces with --seed SEED --count 1 \
            (and the same --simd-share, which is part of what a seed generates). Divergent modules \
            are written to out/difftest/SEED.wasm. Besides the results of every call, the memory it \
            leaves is compared. A long run: \
            swift build -c release && .build/release/apus difftest --count 100000 --jobs 2
            """
    )

    @Option(help: "The first module's seed.")
    public var seed: UInt64 = 1

    @Option(help: "How many modules to generate.")
    public var count: Int = 1000

    @Option(help: "Parallel workers (each with its own engines).")
    public var jobs: Int = 1

    @Option(help: "Where to save divergent modules.")
    public var output: String = "out/difftest"

    @Flag(help: "Print progress every 1000 modules.")
    public var progress = false

    @Option(help: ArgumentHelp("Compiler tiers to compare with WasmKit (and so with each other), comma-separated.", valueName: "tiers"))
    public var tier: String = "baseline,optimizing,tiered"

    @Option(help: ArgumentHelp("Share of generated functions that use v128, from 0 (scalar code only) to 1.", valueName: "share"))
    public var simdShare: Double = ModuleGenerator.defaultSIMDShare

    @Flag(help: "Check memory accesses explicitly instead of with guard regions.")
    public var explicitBoundsChecks = false

    @Flag(help: "Compile for the baseline ISA only (SSE2: the fallbacks for SSSE3, SSE4.1, SSE4.2 and others).")
    public var baselineISA = false

    public init() {}

    public func run() throws {
        let jobs = max(1, min(jobs, 64))
        let count = count, seed = seed, progress = progress
        let simdShare = simdShare, explicitBoundsChecks = explicitBoundsChecks, baselineISA = baselineISA
        guard (0...1).contains(simdShare) else { throw ValidationError("--simd-share must be between 0 and 1") }
        var parsedTiers: [CompilerTier] = []
        for name in tier.split(separator: ",") {
            guard let parsed = CompilerTier(rawValue: String(name)) else {
                throw ValidationError("unknown tier '" + String(name) + "' (baseline, optimizing, tiered)")
            }
            parsedTiers.append(parsed)
        }
        let tiers = parsedTiers
        let shared = SharedTotals()
        DispatchQueue.concurrentPerform(iterations: jobs) { worker in
            let tester = DifferentialTester(tiers: tiers, simdShare: simdShare,
                                            explicitBoundsChecks: explicitBoundsChecks, baselineISA: baselineISA)
            var summary = DiffSummary()
            var index = worker
            while index < count {
                tester.run(seed: seed &+ UInt64(index), into: &summary)
                let done = shared.increment()
                if progress && done % 1000 == 0 {
                    FileHandle.standardError.write(Data((String(done) + " modules\n").utf8))
                }
                index += jobs
            }
            shared.add(summary)
        }
        var total = shared.total
        total.divergences.sort { $0.seed < $1.seed }
        if !total.divergences.isEmpty {
            try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        }
        for divergence in total.divergences {
            print("DIVERGENCE " + divergence.description)
            let path = output + "/" + String(divergence.seed) + ".wasm"
            _ = FileManager.default.createFile(atPath: path, contents: Data(divergence.bytes))
        }
        print(String(total.modules) + " modules, " + String(total.calls) + " calls compared ("
              + String(total.traps) + " trapped), " + String(total.divergences.count) + " divergences")
        if !total.divergences.isEmpty { throw ExitCode(1) }
    }
}

/// Progress and totals shared by the workers.
private final class SharedTotals: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = 0
    private(set) var total = DiffSummary()

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        finished += 1
        return finished
    }

    func add(_ summary: DiffSummary) {
        lock.lock()
        defer { lock.unlock() }
        total.modules += summary.modules
        total.calls += summary.calls
        total.traps += summary.traps
        total.divergences += summary.divergences
    }
}
