import Foundation
import Testing
import WASIPreview1
import WasmRuntime
@testable import ApusCLI

/// The hosted `apus` process module: spawn/wait/kill/ps/meminfo/shutdown between small modules.
@Suite struct ApusProcessHostTests {
    /// A module whose `_start` runs `body` with the apus and WASI imports it may use, a memory,
    /// and `data` at address 16.
    static func program(_ body: String, data: String = "") throws -> [UInt8] {
        try TestModules.wasm("""
            (module
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
              (import "apus" "wait" (func $wait (param i32) (result i32)))
              (import "apus" "kill" (func $kill (param i32) (result i32)))
              (import "apus" "getpid" (func $getpid (result i32)))
              (import "apus" "ps" (func $ps (param i32 i32) (result i32)))
              (import "apus" "meminfo" (func $meminfo (param i32 i32) (result i32)))
              (import "apus" "uptime_ns" (func $uptime (result i64)))
              (import "apus" "shutdown" (func $shutdown (result i32)))
              (import "apus" "yield" (func $yield (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "\(data)")
              (func (export "_start") (local $pid i32) (local $n i32)
                \(body)))
            """)
    }

    /// A directory with the given programs (name → module bytes).
    static func programsDirectory(_ programs: [String: [UInt8]]) throws -> String {
        let directory = NSTemporaryDirectory() + "apus-process-host-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in programs {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name + ".wasm"))
        }
        return directory
    }

    /// Runs `root` as process 1 with `programs` available; the outcome, stdout, stderr and host.
    static func run(_ root: [UInt8], programs: [String: [UInt8]])
        throws -> (outcome: WASIProgram.Outcome, stdout: String, stderr: String, host: ApusProcessHost) {
        let directory = try programsDirectory(programs)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = WASIProgram.makeEngine()
        let stdout = WASIBufferStream(), stderr = WASIBufferStream()
        let host = ApusProcessHost(programsDirectory: directory, engine: engine, stdin: WASIBufferStream(),
                                   stdout: stdout, stderr: stderr, preopens: [])
        let module = try WasmModule(engine: engine, bytes: root)
        let outcome = host.runRoot(module: module, name: "root", arguments: ["root"], environment: ["A=1"])
        return (outcome, stdout.outputText, stderr.outputText, host)
    }

    static func exitCode(_ outcome: WASIProgram.Outcome) -> UInt32? {
        if case .exited(let code) = outcome { return code }
        return nil
    }

    /// `spawn "child"` (name at 16, 5 bytes) then `wait`; exits with the status.
    static let spawnAndWaitChild = "(local.set $pid (call $spawn (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))"
        + " (call $exit (call $wait (local.get $pid)))"

    @Test func childExitStatusReachesTheParent() throws {
        let child = try Self.program("(call $exit (i32.const 7))")
        let root = try Self.program(Self.spawnAndWaitChild, data: "child")
        let result = try Self.run(root, programs: ["child": child])
        #expect(Self.exitCode(result.outcome) == 7)
    }

    @Test func aTrappingChildEndsOnlyItself() throws {
        let child = try Self.program("unreachable")
        let root = try Self.program(Self.spawnAndWaitChild, data: "child")
        let result = try Self.run(root, programs: ["child": child])
        #expect(Self.exitCode(result.outcome) == UInt32(ApusProcessHost.trappedStatus))
        #expect(result.stderr.hasPrefix("child: trap: "))
    }

    @Test func spawnErrorsAreNegativeErrnos() throws {
        // Unknown program → -noent (44); name outside memory → -fault (21); a malformed module →
        // -noexec (45); wait for a pid that is not a child → -child (12). Sum of the four: -122.
        let root = try Self.program("""
            (call $exit (i32.sub (i32.const 0) (i32.add (i32.add
              (call $spawn (i32.const 16) (i32.const 7) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
              (call $spawn (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
              (i32.add (call $spawn (i32.const 32) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
                       (call $wait (i32.const 1))))))
            """, data: "missing\\00\\00\\00\\00\\00\\00\\00\\00\\00bad")
        let result = try Self.run(root, programs: ["bad": [0, 1, 2, 3]])
        #expect(Self.exitCode(result.outcome) == 122)
    }

    @Test func psListsTheRunningChainAndMeminfoReportsMemory() throws {
        // The child writes the ps listing (at 1024) then the meminfo report to stdout.
        let child = try Self.program("""
            (local.set $n (call $ps (i32.const 1024) (i32.const 1024)))
            (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (local.get $n))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (local.set $n (call $meminfo (i32.const 1024) (i32.const 1024)))
            (i32.store (i32.const 4) (local.get $n))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (call $exit (i32.wrap_i64 (i64.shr_u (call $uptime) (i64.const 63))))
            """)
        let root = try Self.program(Self.spawnAndWaitChild, data: "child")
        let result = try Self.run(root, programs: ["child": child])
        #expect(Self.exitCode(result.outcome) == 0)
        #expect(result.stdout.hasPrefix("1 0 running 65536 root\n2 1 running 65536 child\n"))
        #expect(result.stdout.contains("used 131072\n"))
        #expect(result.stdout.contains("processes 2\n"))
    }

    @Test func psReportsTheLengthItNeedsWhenTheBufferIsSmall() throws {
        let root = try Self.program("(call $exit (call $ps (i32.const 0) (i32.const 4)))")
        let result = try Self.run(root, programs: [:])
        #expect(Self.exitCode(result.outcome) == UInt32("1 0 running 65536 root\n".utf8.count))
    }

    @Test func killingAReadyChildMakesWaitReport137() throws {
        let child = try Self.program("(call $exit (i32.const 0))")
        let root = try Self.program("""
            (local.set $pid (call $spawn (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
            (if (call $kill (local.get $pid)) (then unreachable))
            (if (i32.ne (call $kill (i32.const 99)) (i32.const 71)) (then unreachable))
            (call $exit (call $wait (local.get $pid)))
            """, data: "child")
        let result = try Self.run(root, programs: ["child": child])
        #expect(Self.exitCode(result.outcome) == UInt32(ApusProcessHost.killedStatus))
    }

    @Test func shutdownUnwindsEveryProcess() throws {
        let child = try Self.program("(drop (call $shutdown)) (call $exit (i32.const 5))")
        let root = try Self.program(Self.spawnAndWaitChild, data: "child")
        let result = try Self.run(root, programs: ["child": child])
        #expect(Self.exitCode(result.outcome) == 0)
        #expect(result.host.shutdownRequested)
    }

    @Test func execTakesAProgramsDirectory() throws {
        let command = try ExecCommand.parse(["init.wasm", "--programs", "out/userspace", "--dir", "/tmp::/"])
        #expect(command.programsDirectory == "out/userspace")
        #expect(try ExecCommand.parse(["m.wasm"]).programsDirectory == nil)
    }

    @Test func argumentsAndEnvironmentAreNulSeparated() {
        #expect(ApusProcessHost.split(Array("ls\0-l\0/\0".utf8)) == ["ls", "-l", "/"])
        #expect(ApusProcessHost.split(Array("a\0\0b".utf8)) == ["a", "", "b"])
        #expect(ApusProcessHost.split([]) == [])
        #expect(ApusProcessHost.isProgramName("wc"))
        #expect(!ApusProcessHost.isProgramName("../wc"))
        #expect(!ApusProcessHost.isProgramName(".hidden"))
    }
}
