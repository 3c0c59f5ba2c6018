import Foundation
import Testing
import WAT
import WasmFrontEnd
import WasmRuntime
@testable import ApusCLI

/// `apus bench ipc`: every row computes the same thing through its own kind of call.
@Suite struct IPCBenchTests {
    @Test func everyCallKindComputesTheSameSum() throws {
        let bench = try IPCBench()
        func run(_ export: String, _ n: UInt32) throws -> Value? {
            try bench.system.instance("bench")?.function(export)?.call([.i32(n)]).first
        }
        let expected = try run("plain", 1000)
        #expect(expected == .i32(500_500))
        #expect(try run("indirect", 1000) == expected)
        #expect(try run("cross", 1000) == expected)
        #expect(try run("host", 1000) == expected)
        // Buffer rows add the length the service saw (status 0) per call.
        #expect(try run("in64", 10) == .i32(640))
        #expect(try run("inout4k", 10) == .i32(40960))
    }

    @Test func commandWritesTableAndJSON() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ipc-\(UUID().uuidString).json").path
        var command = try IPCBenchCommand.parse(["--iterations", "1000", "--reps", "1", "--json", path])
        try command.run()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["rows"] as? [[String: Any]])?.count == 8)
        #expect(object["crossToIndirectRatio"] as? Double ?? 0 > 0)
        try? FileManager.default.removeItem(atPath: path)
        _ = command
    }

    @Test func inKernelDriverIsAValidProgramOfTheRightShape() throws {
        let bench = InKernelIPCBench(iterations: 1000, smp: 2, timeoutSeconds: 60, buildKernel: false)
        #expect(bench.counts() == [1000, 1000, 1000, 250, 250, 62, 62, 62, 10])
        let bytes = try wat2wasm(bench.driver())
        let module = try decodeModule(bytes)
        let imports = module.imports.map { $0.module + "." + $0.name }
        #expect(imports.contains("svc@1.add") && imports.contains("apus.getpid") && imports.contains("apus.channel_recv"))
        #expect(!imports.contains("env.add"))  // the host row uses the system-call path
        #expect(module.exports.contains { $0.name == "_start" })
        #expect(InKernelIPCBench.rowNames.count == bench.counts().count)
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["bench", "ipc", "--in-kernel", "--smp", "0"]) }
    }
}
