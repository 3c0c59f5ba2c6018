import Foundation
import Testing
@testable import ApusCLI

/// `apus inspect` on modules that depend on other programs.
@Suite struct ProgramInspectTests {
    static let client = """
        (module
          (import "kv@1.2" "get" (func (param i32 i32) (result i32 i32)))
          (import "kv@1.2" "put" (func (param i32 i32 i32 i32) (result i32 i32)))
          (import "env" "log" (func (param i32)))
          (memory 1))
        """

    static func interfaceSection(_ text: String) -> [UInt8] {
        let name = Array("apus.interface".utf8)
        let body = [UInt8(name.count)] + name + Array(text.utf8)
        return [0, UInt8(body.count)] + body
    }

    @Test func showsDependenciesAndInterface() throws {
        let bytes = try TestModules.wasm(Self.client) + Self.interfaceSection("kind program\nversion 3.1\n")
        let text = InspectCommand.report(bytes: bytes, name: "client.wasm", json: false).output
        #expect(text.contains("program: program 3.1.0"))
        #expect(text.contains("kv >= 1.2.0 (same major): get, put"))
        #expect(text.contains("host imports: env.log"))
        let json = InspectCommand.report(bytes: bytes, name: "client.wasm", json: true).output
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let program = try #require(object["program"] as? [String: Any])
        #expect(program["version"] as? String == "3.1.0")
        #expect((program["dependencies"] as? [[String: Any]])?.first?["name"] as? String == "kv")
    }

    @Test func reportsAMalformedInterface() throws {
        let bytes = try TestModules.wasm("(module)") + Self.interfaceSection("kind daemon\n")
        let text = InspectCommand.report(bytes: bytes, name: "bad.wasm", json: false).output
        #expect(text.contains("invalid apus.interface: line 1: unknown kind daemon"))
    }
}
