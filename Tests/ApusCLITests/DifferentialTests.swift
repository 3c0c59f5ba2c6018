import Foundation
import Testing
@testable import ApusCLI

@Suite struct DifferentialTests {
    @Test func generatorIsDeterministic() {
        for seed: UInt64 in [0, 1, 42, 0xFFFF_FFFF_FFFF] {
            #expect(ModuleGenerator.generate(seed: seed).bytes == ModuleGenerator.generate(seed: seed).bytes)
        }
        #expect(ModuleGenerator.generate(seed: 1).bytes != ModuleGenerator.generate(seed: 2).bytes)
    }

    @Test func generatedModulesValidate() {
        for seed: UInt64 in 0..<500 {
            let error = ApusInstance.validate(ModuleGenerator.generate(seed: seed).bytes)
            #expect(error == nil, "seed \(seed): \(error ?? "")")
        }
    }

    @Test func nanPayloadsMatchButOtherBitsDoNot() {
        #expect(DiffValue(.f32, 0x7FC0_0000).matches(DiffValue(.f32, 0xFFC0_0001)))
        #expect(!DiffValue(.f32, 0x8000_0000).matches(DiffValue(.f32, 0)))
        #expect(!DiffValue(.i32, 1).matches(DiffValue(.i64, 1)))
    }

    @Test func wasmKitTrapTextsMapToApusKinds() {
        #expect(WasmKitInstance.outcome(trapDescription: "Trap: integer divide by zero") == .trapped("integer divide by zero"))
        #expect(WasmKitInstance.outcome(trapDescription: "Trap: indirect call to null element (uninitialized element 3)")
            == .trapped("uninitialized element"))
        #expect(WasmKitInstance.outcome(trapDescription: "Trap: out of bounds table access at 9 (undefined element)")
            == .trapped("undefined element"))
    }

    /// The fixed-seed batch: Apus and WasmKit agree on every call.
    @Test func fixedSeedBatchHasNoDivergences() {
        let tester = DifferentialTester()
        var summary = DiffSummary()
        for seed: UInt64 in 1...300 { tester.run(seed: seed, into: &summary) }
        #expect(summary.modules == 300)
        #expect(summary.calls > 300)
        #expect(summary.traps > 0)
        for divergence in summary.divergences { Issue.record(Comment(rawValue: divergence.description)) }
    }
}

/// The long run through the test runner (for when the `apus` binary at hand lacks `difftest`):
/// `DIFFTEST_COUNT=100000 DIFFTEST_SEED=1 swift test -c release --filter DifferentialLongRun`.
@Suite struct DifferentialLongRun {
    static let count = Int(ProcessInfo.processInfo.environment["DIFFTEST_COUNT"] ?? "")

    @Test(.enabled(if: count != nil)) func longRun() throws {
        let environment = ProcessInfo.processInfo.environment
        var arguments = ["--count", String(Self.count ?? 0), "--jobs", environment["DIFFTEST_JOBS"] ?? "2", "--progress"]
        if let seed = environment["DIFFTEST_SEED"] { arguments += ["--seed", seed] }
        let command = try DiffTestCommand.parse(arguments)
        #expect(throws: Never.self) { try command.run() }
    }
}
