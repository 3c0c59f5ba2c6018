import Foundation
import Testing
@testable import ApusCLI

@Suite struct InspectTests {
    static let program = """
        (module
          (type (func (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (type 0)))
          (memory (export "memory") 2 16)
          (table 1 funcref)
          (global $sp (mut i32) (i32.const 65536))
          (func $main (export "_start")
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
          (start $main))
        """

    @Test func textShowsCapabilitiesAndContents() throws {
        let bytes = try TestModules.wasm(Self.program, names: true)
        let report = InspectCommand.report(bytes: bytes, name: "hello.wasm", json: false)
        #expect(report.succeeded)
        let text = report.output
        #expect(text.hasPrefix("hello.wasm: \(bytes.count) bytes, valid"))
        #expect(text.contains("wasi_snapshot_preview1.fd_write (func (param i32 i32 i32 i32) (result i32))"))
        #expect(text.contains("\"memory\" memory 0"))
        #expect(text.contains("\"_start\" func 1"))
        #expect(text.contains("0: (memory 2 16)"))
        #expect(text.contains("0: (table 1 funcref)"))
        #expect(text.contains("0: (global (mut i32)) = i32.const 65536"))
        #expect(text.contains("0 $fd_write: type 0 (func (param i32 i32 i32 i32) (result i32)), imported from wasi_snapshot_preview1.fd_write"))
        #expect(text.contains("1 $main: type 1 (func)"))
        #expect(text.contains("\"name\": "))
        #expect(text.contains("start: func 1"))
    }

    @Test func jsonHasTheSameFacts() throws {
        let bytes = try TestModules.wasm(Self.program)
        let report = InspectCommand.report(bytes: bytes, name: "hello.wasm", json: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == true)
        #expect(object["start"] as? Int == 1)
        let imports = try #require(object["imports"] as? [[String: Any]])
        #expect(imports.count == 1)
        #expect(imports.first?["name"] as? String == "fd_write")
        #expect(imports.first?["type"] as? String == "(func (param i32 i32 i32 i32) (result i32))")
        let functions = try #require(object["functions"] as? [[String: Any]])
        #expect(functions.count == 2)
        #expect(functions.last?["codeSize"] as? Int ?? 0 > 0)
        #expect(functions.first?["codeSize"] == nil)
        #expect((object["exports"] as? [[String: Any]])?.count == 2)
    }

    @Test func decodingErrorIsReportedClearly() {
        let report = InspectCommand.report(bytes: [0x00, 0x61, 0x73], name: "short.wasm", json: false)
        #expect(!report.succeeded)
        #expect(report.output.hasPrefix("short.wasm: decoding failed: 0x"))
        let json = InspectCommand.report(bytes: [0x00, 0x61, 0x73], name: "short.wasm", json: true)
        #expect(json.output.contains("\"valid\" : false"))
    }

    @Test func validationErrorStillShowsContents() throws {
        let bytes = try TestModules.wasm("(module (func (export \"f\") (result i32) (i64.const 1)))")
        let report = InspectCommand.report(bytes: bytes, name: "bad.wasm", json: false)
        #expect(!report.succeeded)
        #expect(report.output.contains("invalid: 0x"))
        #expect(report.output.contains("\"f\" func 0"))
    }
}
