import Foundation
import Testing
import WasmFrontEnd
import WasmRuntime
@testable import ApusCLI

/// The spec bundle carries parsed scripts to the kernel: writing and reading it must lose
/// nothing, and running a read bundle must give exactly the direct run's checks.
@Suite struct SpecBundleTests {
    static let suite = "/work/shared/testsuites/wasm-spec-2.0"
    static let files = ["i32.wast", "f32.wast", "memory_trap.wast", "linking.wast", "binary.wast", "imports.wast", "call_indirect.wast"]

    static func engine() -> Engine {
        RuntimeSpecExecutor.makeEngine(boundsChecks: .guardRegion, forceBaselineISA: false)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: suite)))
    func bundledScriptsGiveTheDirectRunsChecks() throws {
        let engine = Self.engine()
        let scripts = Self.files.map { SpecScriptTranslator.translate(path: Self.suite + "/" + $0) }
        let bundle = SpecBundle.write(scripts)
        let read = try SpecBundleReader.scripts(in: bundle)
        #expect(read.count == scripts.count)
        var total = SpecCounts()
        for (original, decoded) in zip(scripts, read) {
            #expect(decoded.path == original.path)
            #expect(decoded.steps.count == original.steps.count)
            let direct = RuntimeSpecExecutor.runScript(path: original.path, engine: engine)
            let bundled = decoded.run(with: RuntimeSpecExecutor(engine: engine))
            #expect(bundled.counts == direct.counts, "\(original.path)")
            #expect(bundled.checks == direct.checks, "\(original.path)")
            #expect(direct.counts.passed > 0)
            total = total + bundled.counts
        }
        #expect(total.failed == 0)
    }

    @Test func everyValueAndExpectationSurvivesTheRoundTrip() throws {
        let values: [SpecValue] = [
            .i32(0xFFFF_FFFF), .i64(0x8000_0000_0000_0001), .f32(bits: 0x7FC0_0001), .f64(bits: 0xFFF8_0000_0000_0001),
            .v128(V128(low: 1, high: 0xFFFF_FFFF_FFFF_FFFF)), .nullReference(.funcref), .nullReference(.externref),
            .functionReference(7), .externReference(42),
        ]
        let expectations: [SpecExpectation] = values.map { .value($0) } + [
            .canonicalNaN(.f32), .canonicalNaN(.f64), .arithmeticNaN(.f32), .arithmeticNaN(.f64),
            .floatLanes(.f32, [.nan, .bits(0x3F80_0000), .nan, .bits(0)]), .floatLanes(.f64, [.bits(1), .nan]),
            .nullReference(nil), .nullReference(.externref), .functionReference(nil), .functionReference(3),
            .externReference(nil), .externReference(9), .either([.value(.i32(1)), .either([.canonicalNaN(.f32)])]),
        ]
        let action = SpecAction.invoke(module: "$m", function: "f \u{1F600}", arguments: values)
        let steps = [
            SpecStep(line: 1, kind: "module instantiation", body: .module(name: "$m", binary: [0, 97, 115, 109, 1, 0, 0, 0], use: .instantiate)),
            SpecStep(line: 2, kind: "module definition", body: .module(name: nil, binary: [], use: .define)),
            SpecStep(line: 3, kind: "module", body: .module(name: nil, binary: [1], use: .validateOnly)),
            SpecStep(line: 4, kind: "assert_trap", body: .module(name: nil, binary: [2], use: .uninstantiable(message: "oob"))),
            SpecStep(line: 5, kind: "assert_unlinkable", body: .module(name: nil, binary: [3], use: .unlinkable(message: "unknown import"))),
            SpecStep(line: 6, kind: "assert_malformed", body: .malformed(binary: [4, 5], message: "magic", fromText: true)),
            SpecStep(line: 7, kind: "assert_invalid", body: .invalid(binary: [6], message: "type mismatch")),
            SpecStep(line: 8, kind: "assert_return", body: .command(.assertReturn(action, expectations))),
            SpecStep(line: 9, kind: "assert_trap", body: .command(.assertTrap(.get(module: nil, global: "g"), message: "x"))),
            SpecStep(line: 10, kind: "assert_exhaustion", body: .command(.assertExhaustion(action, message: "call stack exhausted"))),
            SpecStep(line: 11, kind: "invoke", body: .command(.action(.invoke(module: nil, function: "", arguments: [])))),
            SpecStep(line: 12, kind: "register", body: .command(.register(name: "M", module: nil))),
            SpecStep(line: 13, kind: "module instantiation", body: .command(.instantiateDefinition(instance: "$i", definition: nil))),
            SpecStep(line: 14, kind: "module", body: .moduleUnavailable(name: "$x", reason: "its module did not parse")),
            SpecStep(line: 15, kind: "assert_return", body: .record(.skipped("why"), expected: nil, actual: "text")),
            SpecStep(line: 16, kind: "module", body: .record(.failed("bad"), expected: "e", actual: nil)),
            SpecStep(line: 17, kind: "assert_malformed", body: .record(.passed, expected: nil, actual: nil)),
        ]
        let scripts = [SpecScript(path: "a.wast", steps: steps), SpecScript(path: "b.wast", fileError: "cannot parse: x")]
        let bundle = SpecBundle.write(scripts)
        let read = try SpecBundleReader.scripts(in: bundle)
        // Writing what was read gives the same bytes: nothing was lost or changed.
        #expect(SpecBundle.write(read) == bundle)
        #expect(read.map(\.path) == ["a.wast", "b.wast"])
        #expect(read[1].fileError == "cannot parse: x")
        #expect(read[0].steps.map(\.line) == Array(1...17))
        guard case .command(.assertReturn(let readAction, let readExpectations)) = read[0].steps[7].body else {
            Issue.record("expected assert_return")
            return
        }
        #expect(readAction == action)
        #expect(readExpectations == expectations)
    }

    @Test func damagedBundlesAreRejectedWithoutCrashing() throws {
        let script = SpecScriptTranslator.translate(source: SpecScriptRunnerTests.script, path: "tiny.wast")
        let bundle = SpecBundle.write([script, script])
        #expect(try SpecBundleReader.scripts(in: bundle).count == 2)
        // Every truncation fails cleanly.
        for length in 0..<bundle.count {
            #expect(throws: SpecBundleError.self) { try SpecBundleReader.scripts(in: Array(bundle.prefix(length))) }
        }
        // Corrupted bytes either read or fail cleanly; a huge declared count allocates nothing.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var damaged = bundle
            for _ in 0..<3 { damaged[Int.random(in: 8..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? SpecBundleReader.scripts(in: damaged)
        }
        var huge = bundle
        huge.replaceSubrange(12..<16, with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: SpecBundleError.self) { try SpecBundleReader.scripts(in: huge) }
        #expect(throws: SpecBundleError.self) { try SpecBundleReader.scripts(in: Array("APUSSPEX".utf8) + [1, 0, 0, 0, 0, 0, 0, 0]) }
    }

    @Test func bundledTinyScriptCountsLikeTheHostedRun() throws {
        let script = SpecScriptTranslator.translate(source: SpecScriptRunnerTests.script, path: "tiny.wast")
        let read = try SpecBundleReader.scripts(in: SpecBundle.write([script]))
        let bundled = read[0].run(with: SkippingExecutor())
        #expect(bundled.counts == SpecCounts(passed: 4, failed: 2, skipped: 4))
        #expect(bundled.checks == SpecScriptRunner().run(source: SpecScriptRunnerTests.script, path: "tiny.wast").checks)
    }
}
