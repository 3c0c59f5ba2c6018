import Foundation
import Testing
import WasmFrontEnd
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

    // MARK: SIMD

    /// The SIMD instructions in a module's function bodies, by mnemonic.
    static func simdInstructions(_ bytes: [UInt8]) throws -> Set<String> {
        let module = try decodeModule(bytes)
        var names: Set<String> = []
        for body in module.functionBodies {
            var reader = InstructionReader(module: module, body: body)
            while !reader.isAtEnd {
                switch try reader.next() {
                case .v128Const: names.insert("v128.const")
                case .i8x16Shuffle: names.insert("i8x16.shuffle")
                case .v128Store: names.insert("v128.store")
                case .simd(let operation): names.insert(operation.name)
                case .simdLoad(let operation, _): names.insert(operation.name)
                case .simdLane(let operation, _): names.insert(operation.name)
                case .simdLoadLane(let operation, _, _): names.insert(operation.loadName)
                case .simdStoreLane(let operation, _, _): names.insert(operation.storeName)
                default: break
                }
            }
        }
        return names
    }

    /// Every WebAssembly 2.0 SIMD instruction, by the front end's own lists.
    static let allSIMDInstructions: Set<String> = Set(
        ["v128.const", "i8x16.shuffle", "v128.store"] + SIMDOperation.allCases.map(\.name)
            + SIMDLoadOperation.allCases.map(\.name) + SIMDLaneOperation.allCases.map(\.name)
            + SIMDLaneMemoryOperation.allCases.flatMap { [$0.loadName, $0.storeName] })

    @Test func simdModulesValidate() {
        for seed: UInt64 in 0..<300 {
            let error = ApusInstance.validate(ModuleGenerator.generate(seed: seed, simdShare: 1).bytes)
            #expect(error == nil, "seed \(seed): \(error ?? "")")
        }
    }

    @Test func simdModulesUseEverySIMDInstruction() throws {
        var used: Set<String> = []
        for seed: UInt64 in 0..<300 { used.formUnion(try Self.simdInstructions(ModuleGenerator.generate(seed: seed, simdShare: 1).bytes)) }
        #expect(Self.allSIMDInstructions.count == 236)
        #expect(Self.allSIMDInstructions.subtracting(used).sorted() == [])
    }

    @Test func simdShareZeroGeneratesNoSIMD() throws {
        for seed: UInt64 in 0..<200 {
            let bytes = ModuleGenerator.generate(seed: seed, simdShare: 0).bytes
            #expect(try Self.simdInstructions(bytes).isEmpty, "seed \(seed)")
            #expect(!(try decodeModule(bytes).types.contains { $0.parameters.contains(.v128) || $0.results.contains(.v128) }))
        }
    }

    /// A lane canonicalisation's scratch local keeps NaNs of unspecified payload, so only the
    /// canonicalisation itself reads it (`local.tee s; v128.const NaNs; local.get s; local.get s; eq;
    /// bitselect`); random code reading it would compare unspecified NaN bits.
    @Test func canonicalisationScratchLocalsAreReadOnlyByTheirCanonicalisation() throws {
        let canonicalNaNs = [V128(low: 0x7FC0_0000_7FC0_0000, high: 0x7FC0_0000_7FC0_0000),
                             V128(low: 0x7FF8_0000_0000_0000, high: 0x7FF8_0000_0000_0000)]
        var checked = 0
        for seed: UInt64 in 0..<300 {
            let module = try decodeModule(ModuleGenerator.generate(seed: seed, simdShare: 1).bytes)
            for body in module.functionBodies {
                var reader = InstructionReader(module: module, body: body)
                var instructions: [Instruction] = []
                while !reader.isAtEnd { instructions.append(try reader.next()) }
                for (index, instruction) in instructions.enumerated().dropLast() {
                    guard case .localTee(let scratch) = instruction, case .v128Const(let constant) = instructions[index + 1],
                          canonicalNaNs.contains(constant) else { continue }
                    let reads = instructions.filter { $0 == .localGet(scratch) }.count
                    #expect(reads == 2, "seed \(seed): scratch local \(scratch) read \(reads) times")
                    checked += 1
                }
            }
        }
        #expect(checked > 100)
    }

    /// Entry points exchange scalars only: v128 parameters and results cross as i64 halves.
    @Test func entryPointsTakeAndReturnScalars() {
        for seed: UInt64 in 0..<300 {
            for export in ModuleGenerator.generate(seed: seed, simdShare: 1).exports {
                #expect(!(export.signature.parameters + export.signature.results).contains(.v128))
            }
        }
    }

    @Test func memoryDifferenceNamesTheFirstDifferingRow() {
        let a = [UInt8](repeating: 0, count: 64)
        var b = a
        b[37] = 0xAB
        a.withUnsafeBytes { apus in
            b.withUnsafeBytes { wasmKit in
                #expect(DifferentialTester.difference(apus, apus) == nil)
                let difference = DifferentialTester.difference(apus, wasmKit)
                #expect(difference?.apus == "at 0x20: " + Array(repeating: "00", count: 16).joined(separator: " "))
                #expect(difference?.wasmKit.hasPrefix("at 0x20: 00 00 00 00 00 ab 00") == true)
                #expect(DifferentialTester.difference(apus, UnsafeRawBufferPointer(rebasing: wasmKit[0..<16]))?.apus == "64 bytes")
            }
        }
    }

    /// SIMD-only batches, also with the SSE2 fallbacks and explicit bounds checks: no divergences.
    @Test(arguments: [(false, false), (true, true)])
    func fixedSeedSIMDBatchHasNoDivergences(baselineISA: Bool, explicitBoundsChecks: Bool) {
        let tester = DifferentialTester(simdShare: 1, explicitBoundsChecks: explicitBoundsChecks, baselineISA: baselineISA)
        var summary = DiffSummary()
        for seed: UInt64 in 1...150 { tester.run(seed: seed, into: &summary) }
        #expect(summary.calls > 150)
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
