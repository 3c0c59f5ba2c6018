import Foundation
import Testing
@testable import ApusCLI

/// The official WASI test suite, when present on this machine.
private let wasiSuite = "/work/shared/testsuites/wasi/tests/"

@Suite struct WASICommandTests {
    @Test func execParsesDirectoriesEnvironmentAndProgramArguments() throws {
        let command = try ExecCommand.parse(["m.wasm", "--dir", "/tmp::/sandbox", "--dir", "data", "--env", "A=1",
                                             "--memfs", "--", "x", "--dir"])
        #expect(command.file == "m.wasm")
        #expect(command.directories.map(WASIProgram.Preopen.init(argument:)) == [
            WASIProgram.Preopen(host: "/tmp", guest: "/sandbox"), WASIProgram.Preopen(host: "data", guest: "data"),
        ])
        #expect(command.environment == ["A=1"])
        #expect(command.memfs)
        #expect(command.arguments == ["x", "--dir"])
    }

    @Test func missingImportIsNamed() {
        // (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32))), memory, _start.
        let module: [UInt8] = [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
            0x02, 0x28, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f,
            0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0d, 0x66, 0x64, 0x5f, 0x66, 0x72, 0x6f, 0x62, 0x6e, 0x69,
            0x63, 0x61, 0x74, 0x65, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02,
            0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x01,
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
        ]
        let program = WASIProgram(arguments: ["m"], environment: [], preopens: [], inMemory: false)
        guard case .failed(let message) = program.run(bytes: module, engine: WASIProgram.makeEngine()) else {
            Issue.record("a module with an unknown import must not start")
            return
        }
        #expect(message.contains("wasi_snapshot_preview1.fd_frobnicate"))
        guard case .failed = program.run(bytes: [0, 1, 2], engine: WASIProgram.makeEngine()) else {
            Issue.record("a malformed module must not start")
            return
        }
    }

    @Test(arguments: [false, true])
    func suiteTestsPassHostedAndInMemory(inMemory: Bool) {
        let tests = ["assemblyscript/testsuite/wasm32-wasip1/proc_exit-failure.wasm",
                     "assemblyscript/testsuite/wasm32-wasip1/environ_get-multiple-variables.wasm",
                     "rust/testsuite/wasm32-wasip1/fd_readdir.wasm",
                     "rust/testsuite/wasm32-wasip1/interesting_paths.wasm",
                     "c/testsuite/wasm32-wasip1/pwrite-with-append.wasm"]
        let engine = WASIProgram.makeEngine()
        for test in tests where FileManager.default.fileExists(atPath: wasiSuite + test) {
            #expect(WasiTestCommand.runTest(atPath: wasiSuite + test, engine: engine, inMemory: inMemory) == .passed)
        }
    }

    @Test func wrongExitCodeFails() throws {
        let source = wasiSuite + "assemblyscript/testsuite/wasm32-wasip1/proc_exit-success.wasm"
        guard FileManager.default.fileExists(atPath: source) else { return }
        let directory = NSTemporaryDirectory() + "apus-wasi-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: source, toPath: directory + "/t.wasm")
        try Data(#"{"exit_code": 3}"#.utf8).write(to: URL(fileURLWithPath: directory + "/t.json"))
        let result = WasiTestCommand.runTest(atPath: directory + "/t.wasm", engine: WASIProgram.makeEngine(),
                                             inMemory: false)
        #expect(result == .failed("exit code 0, expected 3"))
        try Data(#"{"operations": [{"type": "connect"}]}"#.utf8).write(to: URL(fileURLWithPath: directory + "/t.json"))
        guard case .skipped = WasiTestCommand.runTest(atPath: directory + "/t.wasm", engine: WASIProgram.makeEngine(),
                                                       inMemory: false) else {
            Issue.record("network operations are skipped")
            return
        }
    }
}
