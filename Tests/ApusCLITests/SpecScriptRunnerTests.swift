import Foundation
import Testing
import WasmFrontEnd
@testable import ApusCLI

/// An executor that records what it is handed and passes everything.
struct RecordingExecutor: SpecExecutor {
    final class Log {
        var commands: [SpecCommand] = []
        var unavailable: [String?] = []
    }
    let log: Log

    mutating func execute(_ command: SpecCommand) -> SpecOutcome {
        log.commands.append(command)
        return .passed
    }

    mutating func moduleUnavailable(name: String?, reason: String) {
        log.unavailable.append(name)
    }
}

@Suite struct SpecScriptRunnerTests {
    static let script = """
        ;; A valid module: one check passes, its instantiation is skipped.
        (module $m
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
        (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
        (assert_trap (invoke "add" (i32.const 1) (i32.const 2)) "(not really)")
        (assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
        (assert_malformed (module quote "(func (i32.const 0) (unknown.instr))") "unknown operator")
        (assert_malformed (module binary "\\00asm" "\\02\\00\\00\\00") "unknown binary version")
        (; a block comment with (parens) and "quotes" ;)
        (assert_invalid (module binary "\\00asm" "\\01\\00\\00\\00" "\\0a") "wrong: this binary is malformed")
        (assert_malformed (module binary "\\00asm" "\\01\\00\\00\\00") "wrong: this module is valid")
        (register "m" $m)
        """

    @Test func countsPassesFailuresAndSkips() {
        let result = SpecScriptRunner().run(source: Self.script, path: "tiny.wast")
        // Passed: module, assert_invalid, 2 × assert_malformed. Failed: the last
        // assert_invalid (decoding rejects it) and assert_malformed (valid module).
        // Skipped: instantiation, assert_return, assert_trap, register.
        #expect(result.counts == SpecCounts(passed: 4, failed: 2, skipped: 4))
        let failures = result.failures
        #expect(failures.map(\.line) == [10, 11])
        #expect(failures.map(\.kind) == ["assert_invalid", "assert_malformed"])
        if case .failed(let why) = failures.first?.outcome {
            #expect(why.contains("expected invalid"))
            #expect(why.contains("decoding rejected it"))
        }
        #expect(result.checks.first?.line == 2)
    }

    @Test func reportEndsWithTotals() {
        let result = SpecScriptRunner().run(source: Self.script, path: "/x/tiny.wast")
        let text = SpecReport.text(for: result)
        #expect(text.hasPrefix("tiny.wast: 4 passed, 2 failed, 4 skipped"))
        #expect(text.contains("  line 11: assert_malformed: expected malformed (\"wrong: this module is valid\"), got a valid module"))
        #expect(SpecReport.totals([result, result]).description == "8 passed, 4 failed, 8 skipped")
    }

    @Test func executorReceivesNeutralCommands() throws {
        let log = RecordingExecutor.Log()
        let runner = SpecScriptRunner(makeExecutor: { _ in RecordingExecutor(log: log) })
        let script = """
            (module $m (global (export "g") i32 (i32.const 7))
              (func (export "f") (param f32 v128) (result f32 v128) (local.get 0) (local.get 1)))
            (assert_return (invoke $m "f" (f32.const -0) (v128.const i32x4 1 2 3 4))
              (f32.const nan:canonical) (v128.const f32x4 nan:arithmetic 1.0 2.0 nan:canonical))
            (assert_return (get "g") (i32.const 7))
            (assert_exhaustion (invoke "f" (f32.const 1) (v128.const i64x2 0 0)) "call stack exhausted")
            (register "M" $m)
            (module (func $broken (result i32)))
            """
        let result = runner.run(source: script, path: "exec.wast")
        #expect(result.counts == SpecCounts(passed: 6, failed: 1, skipped: 0))
        #expect(log.unavailable == [nil])
        #expect(log.commands.count == 5)
        guard log.commands.count == 5 else { return }

        guard case .instantiate(let module) = log.commands[0] else { Issue.record("expected instantiate"); return }
        #expect(module.name == "$m")
        #expect(module.line == 1)
        #expect(module.module.exports.map(\.name) == ["g", "f"])

        guard case .assertReturn(let action, let expected) = log.commands[1] else { Issue.record("expected assert_return"); return }
        #expect(action == .invoke(module: "$m", function: "f", arguments: [
            .f32(bits: 0x8000_0000), .v128(V128(low: 0x0000_0002_0000_0001, high: 0x0000_0004_0000_0003)),
        ]))
        #expect(expected == [
            .canonicalNaN(.f32),
            .floatLanes(.f32, [.nan, .bits(0x3F80_0000), .bits(0x4000_0000), .nan]),
        ])

        guard case .assertReturn(let get, let value) = log.commands[2] else { Issue.record("expected assert_return"); return }
        #expect(get == .get(module: nil, global: "g"))
        #expect(value == [.value(.i32(7))])

        guard case .assertExhaustion(_, let message) = log.commands[3] else { Issue.record("expected assert_exhaustion"); return }
        #expect(message == "call stack exhausted")

        guard case .register(let name, let registered) = log.commands[4] else { Issue.record("expected register"); return }
        #expect(name == "M")
        #expect(registered == "$m")
    }

    @Test func unparsableModuleIsAFailureButMalformedTextIsAPass() {
        let script = """
            (module (func (unknown.instr)))
            (assert_malformed (module (func (unknown.instr))) "unknown operator")
            """
        let result = SpecScriptRunner().run(source: script, path: "text.wast")
        #expect(result.checks.map(\.kind) == ["module", "assert_malformed"])
        #expect(result.checks.map(\.line) == [1, 2])
        #expect(result.counts == SpecCounts(passed: 1, failed: 1, skipped: 0))
    }

    @Test func runsFilesAndFolders() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-wast-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "(module)".write(to: folder.appendingPathComponent("b.wast"), atomically: true, encoding: .utf8)
        try "(module)".write(to: folder.appendingPathComponent("sub/a.wast"), atomically: true, encoding: .utf8)
        try "not a script".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let paths = SpecReport.scriptPaths([folder.path])
        #expect(paths.map { ($0 as NSString).lastPathComponent } == ["b.wast", "a.wast"])

        let missing = SpecScriptRunner().run(path: folder.appendingPathComponent("missing.wast").path)
        #expect(missing.fileError != nil)
        #expect(missing.counts.failed == 1)
    }
}

@Suite struct WastSourceMapTests {
    @Test func findsTopLevelFormsAndLines() {
        let source = """
            ;; (comment with a paren
            (module $a (func)) (; (block ;) comment) ;)
            (assert_return (invoke "f" (i32.const 1))
              (i32.const 2))
            (func) (memory 1)
            (module quote "(func \\" ;; not a comment")
            """
        let map = WastSourceMap(source)
        #expect(map.forms == [
            .init(line: 2, keyword: "module"),
            .init(line: 3, keyword: "assert_return"),
            .init(line: 5, keyword: "func"),
            .init(line: 6, keyword: "module"),
        ])
    }
}
