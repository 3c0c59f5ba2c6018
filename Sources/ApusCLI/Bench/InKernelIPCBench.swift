import Foundation
import WAT
import WasmRuntime

/// `apus bench ipc --in-kernel`: the same call kinds inside the Apus kernel under QEMU — a
/// functional check that each path works there (QEMU emulates the CPU, so the times are not
/// performance figures; the hosted run is). One boot: the driver (init) times each row and
/// prints `ipc| ROW CALLS NANOSECONDS`; the host call is `apus.getpid` (the system-call path);
/// the channel row ping-pongs with `chan-echo` (kernel/programs), placed by the scheduler.
struct InKernelIPCBench {
    var iterations: Int
    var smp: Int
    var timeoutSeconds: Int
    var buildKernel: Bool

    static let rowNames = [
        "plain call", "call_indirect", "cross-program call (scalars)", "cross-program call, 64 B in",
        "cross-program call, 64 B in+out", "cross-program call, 4 KiB in", "cross-program call, 4 KiB in+out",
        "host call (system call: apus.getpid)", "channel round trip (2 programs)",
    ]

    /// Calls per row: like the hosted run (buffer rows a quarter, 4 KiB rows and the host call a
    /// sixteenth), channel round trips a hundredth.
    func counts() -> [Int] {
        let n = max(iterations, 16)
        return [n, n, n, n / 4, n / 4, n / 16, n / 16, n / 16, max(n / 100, 10)]
    }

    /// The driver: IPCBench's loops, the host row on `apus.getpid`, and `_start` timing them all.
    func driver() -> String {
        let counts = counts()
        var program = IPCBench.program
        program = program.replacingOccurrences(
            of: #"(import "env" "add" (func $hostAdd (param i32 i32) (result i32)))"#,
            with: #"(import "apus" "getpid" (func $getpid (result i32)))"#)
        program = program.replacingOccurrences(
            of: "local.get $acc local.get $n call $hostAdd local.set $acc",
            with: "local.get $acc call $getpid i32.add local.set $acc")
        program = program.replacingOccurrences(of: "(memory 1)", with: """
            (import "apus" "print" (func $print (param i32 i32)))
              (import "apus" "uptime_ns" (func $uptime (result i64)))
              (import "apus" "wait" (func $wait (param i32) (result i32)))
              (import "apus" "spawn_with_handles" (func $spawn (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "apus" "channel_create" (func $create (param i32) (result i32)))
              (import "apus" "channel_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
              (import "apus" "channel_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
              (import "apus" "handle_close" (func $close (param i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 8192) "chan-echo")
            """)
        // Exports become callable by name from _start; a table of the row loops.
        let rows = ["plain", "indirect", "cross", "in64", "inout64", "in4k", "inout4k", "host"]
        for name in rows {
            program = program.replacingOccurrences(of: #"(func (export "\#(name)")"#, with: "(func $row_\(name) (export \"\(name)\")")
        }
        var start = """
              (type $row (func (param i32) (result i32)))
              (table $rows \(rows.count) funcref)
              (elem (table $rows) (i32.const 0) func \(rows.map { "$row_" + $0 }.joined(separator: " ")))
              ;; "ipc| ROW CALLS NS" at 4096
              (func $decimal (param $at i32) (param $value i64) (result i32) (local $start i32) (local $length i32)
                (local.set $start (i32.const 4096))
                (loop $digits
                  (local.set $start (i32.sub (local.get $start) (i32.const 1)))
                  (i32.store8 (i32.add (local.get $start) (i32.const 3000)) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
                  (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
                  (br_if $digits (i64.ne (local.get $value) (i64.const 0))))
                (local.set $length (i32.sub (i32.const 4096) (local.get $start)))
                (memory.copy (local.get $at) (i32.add (local.get $start) (i32.const 3000)) (local.get $length))
                (i32.add (local.get $at) (local.get $length)))
              (func $report (param $row i32) (param $calls i32) (param $ns i64) (local $at i32)
                (i32.store (i32.const 4096) (i32.const 0x7C637069))  ;; "ipc|"
                (i32.store8 (i32.const 4100) (i32.const 32))
                (local.set $at (call $decimal (i32.const 4101) (i64.extend_i32_u (local.get $row))))
                (i32.store8 (local.get $at) (i32.const 32))
                (local.set $at (call $decimal (i32.add (local.get $at) (i32.const 1)) (i64.extend_i32_u (local.get $calls))))
                (i32.store8 (local.get $at) (i32.const 32))
                (local.set $at (call $decimal (i32.add (local.get $at) (i32.const 1)) (local.get $ns)))
                (call $print (i32.const 4096) (i32.sub (local.get $at) (i32.const 4096))))
              (func $time (param $row i32) (param $calls i32) (local $t0 i64)
                (local.set $t0 (call $uptime))
                (drop (call_indirect $rows (type $row) (local.get $calls) (local.get $row)))
                (call $report (local.get $row) (local.get $calls) (i64.sub (call $uptime) (local.get $t0))))
              (func (export "_start") (local $a i32) (local $child i32) (local $i i32) (local $t0 i64)

            """
        for (index, count) in counts.prefix(rows.count).enumerated() {
            start += "    (call $time (i32.const \(index)) (i32.const \(count)))\n"
        }
        start += """
                (if (call $create (i32.const 8300)) (then (unreachable)))
                (local.set $a (i32.load (i32.const 8300)))
                (local.set $child (call $spawn (i32.const 8192) (i32.const 9) (i32.const 0) (i32.const 0) (i32.const 0)
                                               (i32.const 0) (i32.const 8304) (i32.const 1)))
                (if (i32.le_s (local.get $child) (i32.const 0)) (then (unreachable)))
                (local.set $t0 (call $uptime))
                (loop $trips
                  (if (call $send (local.get $a) (i32.const 8192) (i32.const 8) (i32.const 0) (i32.const 0)) (then (unreachable)))
                  (if (call $recv (local.get $a) (i32.const 8400) (i32.const 64) (i32.const 0) (i32.const 0) (i32.const 8320))
                    (then (unreachable)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $trips (i32.lt_u (local.get $i) (i32.const \(counts[8])))))
                (call $report (i32.const 8) (i32.const \(counts[8])) (i64.sub (call $uptime) (local.get $t0)))
                (drop (call $close (local.get $a)))
                (drop (call $wait (local.get $child))))
            """
        // Insert before the module's closing parenthesis.
        guard let last = program.lastIndex(of: ")") else { return program }
        return String(program[..<last]) + "\n" + start + ")"
    }

    func run() throws(KernelCommandError) -> [IPCBenchCommand.Row] {
        let workspace = try KernelWorkspace.locate()
        try KernelWorkspace.ensureQEMU()
        try workspace.prepareKernel(build: buildKernel)
        let directory = workspace.buildDirectory.appendingPathComponent("ipc-bench")
        try KernelWorkspace.createDirectory(directory)
        func write(_ bytes: [UInt8], _ name: String) throws(KernelCommandError) -> URL {
            let url = directory.appendingPathComponent(name)
            do { try Data(bytes).write(to: url) } catch {
                throw KernelCommandError("cannot write " + url.path + ": " + (error as NSError).localizedDescription)
            }
            return url
        }
        func compile(_ text: String, _ what: String) throws(KernelCommandError) -> [UInt8] {
            do { return try wat2wasm(text, options: EncodeOptions(nameSection: true)) } catch {
                throw KernelCommandError(what + ": " + String(describing: error))
            }
        }
        let driver = try write(try compile(driver(), "the in-kernel driver"), "init.wasm")
        let service = try write(try compile(IPCBench.service, "the service")
                                + ProgramInterface.customSection(IPCBench.serviceInterface), "svc.wasm")
        let echo = directory.appendingPathComponent("chan-echo.wasm")
        try KernelWorkspace.compileText(workspace.programsDirectory.appendingPathComponent("chan-echo.wat").path, to: echo)
        let capabilities = try write(Array("*: apus\ninit: svc apus\n".utf8), "capabilities")
        let image = directory.appendingPathComponent("ipc-bench.apus")
        try workspace.makeImage(image, entries: ["--file", "etc/capabilities=" + capabilities.path, "init=" + driver.path,
                                                 "svc=" + service.path, "chan-echo=" + echo.path])
        var rows: [IPCBenchCommand.Row] = []
        let log = directory.appendingPathComponent("ipc-bench.log")
        let outcome = try workspace.boot(image: image, commandLine: "", smp: smp, memory: "256M",
                                         timeoutSeconds: timeoutSeconds, log: log) { line in
            guard let range = line.range(of: "ipc| ") else { return }
            let fields = line[range.upperBound...].split(separator: " ").compactMap { Int($0) }
            guard fields.count == 3, fields[0] >= 0, fields[0] < Self.rowNames.count, fields[1] > 0 else { return }
            rows.append(IPCBenchCommand.Row(name: Self.rowNames[fields[0]], iterations: fields[1],
                                            nanosecondsPerCall: Double(fields[2]) / Double(fields[1])))
        }
        guard outcome.status == 33, !outcome.timedOut, rows.count == Self.rowNames.count else {
            let why = outcome.timedOut ? "QEMU timed out" : "QEMU exited with status " + String(outcome.status)
            throw KernelCommandError(why + " after " + String(rows.count) + " of " + String(Self.rowNames.count)
                                     + " rows (log: " + log.path + ")")
        }
        return rows
    }
}
