import ArgumentParser
import Foundation
import HostedPlatform
import WAT
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// `apus bench ipc`: the cost of one call by each way a wasm program can reach code outside
/// its own function — plain call, `call_indirect`, cross-program call into a service (scalars,
/// 64 B and 4 KiB buffers) and host function call — measured side by side in one process, and
/// the round trip of a small message between two programs on two threads over a channel.
public struct IPCBenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ipc",
        abstract: "Measure plain, indirect, cross-program and host calls side by side.",
        discussion: """
            Every row runs a wasm loop of N calls to a function that adds two integers (buffer rows: a \
            service function that receives the buffer and returns its length) and reports the best of \
            --reps runs (rows take turns within each repetition) in ns per call, loop included. Cross-program calls go through the generated \
            trampoline (trap boundary, context switch, buffer copies). The ratio compares the scalar \
            cross-program call with call_indirect; the goal is at most 2. Channel rows: two wasm \
            programs on two threads pinned to one CPU or to two CPUs exchange a 4-byte message \
            (channel_send then channel_recv, through the `apus` host functions) in ns per round \
            trip, for iterations/1000 round trips (at least 100); a waiting thread spins for \
            --channel-spin ns (yielding the CPU) before it sleeps. JSON goes to --json.
            """
    )

    @Option(help: "Calls per run for scalar rows (buffer rows run a quarter, 4 KiB rows a sixteenth).")
    var iterations: Int = 10_000_000

    @Option(help: "Runs per row; the fastest is reported.")
    var reps: Int = 5

    @Option(help: "Channel rows: how long a waiting thread spins (yielding) before it sleeps, in ns.")
    var channelSpin: Int = 20_000

    @Option(help: "Where to write the JSON results.")
    var json: String = "out/bench/ipc.json"

    @Flag(help: "Run the rows inside the Apus kernel under QEMU instead (a functional check: QEMU emulates the CPU).")
    var inKernel = false

    // (Not --no-build: `apus bench` has that flag, for the benchmark programs.)
    @Flag(help: "With --in-kernel: use the kernel already built instead of running kernel/build.")
    var noKernelBuild = false

    @Option(help: "With --in-kernel: CPUs of the virtual machine.")
    var smp = 2

    @Option(help: "With --in-kernel: seconds before QEMU is stopped.")
    var timeout = 600

    public init() {}

    struct Row: Codable {
        var name: String
        var iterations: Int
        var nanosecondsPerCall: Double
    }

    struct Report: Codable {
        var rows: [Row]
        var crossToIndirectRatio: Double
        var goal: Double
        /// Channel round trips (`nanosecondsPerCall` is per round trip).
        var channelRows: [Row]
        /// Channel rows that could not run, with the reason.
        var skipped: [String]
    }

    public func validate() throws {
        guard iterations > 0, reps > 0 else { throw ValidationError("--iterations and --reps must be positive") }
        guard (1...64).contains(smp) else { throw ValidationError("--smp must be between 1 and 64") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    public func run() throws {
        if inKernel {
            // TCG runs wasm ~50× slower than the host: a fiftieth of the calls by default.
            let bench = InKernelIPCBench(iterations: iterations == 10_000_000 ? 200_000 : iterations, smp: smp,
                                         timeoutSeconds: timeout, buildKernel: !noKernelBuild)
            do {
                let rows = try bench.run()
                let indirect = rows[1].nanosecondsPerCall
                print("In the Apus kernel under QEMU (TCG) — a functional check, not performance figures:")
                let table = Self.table(rows, ratio: indirect > 0 ? rows[2].nanosecondsPerCall / indirect : 0)
                print(table.replacingOccurrences(of: "(goal <= 2)", with: "(under TCG; the goal is for the hosted run)"))
            } catch {
                StandardError.write("apus: " + error.description + "\n")
                throw ExitCode.failure
            }
            return
        }
        let bench = try IPCBench()
        var rows: [Row] = []
        let count = max(iterations, 1)
        let plan: [(String, String, Int)] = [
            ("plain call", "plain", count),
            ("call_indirect", "indirect", count),
            ("cross-program call (scalars)", "cross", count),
            ("cross-program call, 64 B in", "in64", count / 4),
            ("cross-program call, 64 B in+out", "inout64", count / 4),
            ("cross-program call, 4 KiB in", "in4k", count / 16),
            ("cross-program call, 4 KiB in+out", "inout4k", count / 16),
            ("host function call", "host", count / 16),
        ]
        // Rows take turns within each repetition, so that a busy machine slows them alike.
        var best = Array(repeating: Double.infinity, count: plan.count)
        for _ in 0..<max(reps, 1) {
            for (index, (_, export, calls)) in plan.enumerated() {
                best[index] = min(best[index], try bench.measure(export, iterations: max(calls, 1), reps: 1))
            }
        }
        for (index, (name, _, calls)) in plan.enumerated() {
            rows.append(Row(name: name, iterations: max(calls, 1), nanosecondsPerCall: best[index]))
        }
        let (channelRows, skipped) = try channelRoundTrips(count: max(count / 1000, 100))
        let indirect = rows[1].nanosecondsPerCall
        let ratio = indirect > 0 ? rows[2].nanosecondsPerCall / indirect : 0
        print(Self.table(rows + channelRows, ratio: ratio))
        if let oneCPU = channelRows.first(where: { $0.name == ChannelBench.oneCPURow }), rows[2].nanosecondsPerCall > 0 {
            print(String(format: "channel round trip (one CPU) / cross-program call (scalars) = %.0f",
                         oneCPU.nanosecondsPerCall / rows[2].nanosecondsPerCall))
        }
        for reason in skipped { print("skipped: " + reason) }

        let report = Report(rows: rows, crossToIndirectRatio: ratio, goal: 2, channelRows: channelRows,
                            skipped: skipped)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = URL(fileURLWithPath: json)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(report).write(to: url)
        print("JSON: " + url.path)
    }

    /// The channel rows (best of --reps), and the rows skipped because a thread could not be pinned.
    func channelRoundTrips(count: Int) throws -> ([Row], [String]) {
        let bench = try ChannelBench(scheduler: HostedIPCScheduler(spinNanoseconds: UInt64(max(channelSpin, 0))))
        let plan = [(ChannelBench.oneCPURow, 0, 0), (ChannelBench.acrossCPUsRow, 0, 1)]
        var best = Array(repeating: Double.infinity, count: plan.count)
        var skipped: [String?] = Array(repeating: nil, count: plan.count)
        for _ in 0..<max(reps, 1) {
            for (index, (_, pingCPU, pongCPU)) in plan.enumerated() where skipped[index] == nil {
                switch try bench.measure(roundTrips: count, pingCPU: pingCPU, pongCPU: pongCPU) {
                case .success(let nanoseconds): best[index] = min(best[index], nanoseconds)
                case .failure(let reason): skipped[index] = plan[index].0 + ": " + reason.description
                }
            }
        }
        var rows: [Row] = []
        for (index, (name, _, _)) in plan.enumerated() where skipped[index] == nil {
            rows.append(Row(name: name, iterations: count, nanosecondsPerCall: best[index]))
        }
        return (rows, skipped.compactMap { $0 })
    }

    static func table(_ rows: [Row], ratio: Double) -> String {
        let width = rows.map(\.name.count).max() ?? 0
        var text = "call kind".padding(toLength: width, withPad: " ", startingAt: 0) + "   ns/call   calls\n"
        for row in rows {
            text += row.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + String(format: "  %8.2f  %6d\n", row.nanosecondsPerCall, row.iterations)
        }
        text += String(format: "cross-program (scalars) / call_indirect = %.2f (goal <= 2)", ratio)
        return text
    }
}

/// The benchmark's modules, resolved and instantiated once.
struct IPCBench {
    static let service = """
        (module
          (memory 1)
          (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
          (func (export "take") (param i32 i32) (result i32) local.get 1)
          (func (export "echo") (param i32 i32) (result i32) local.get 1))
        """

    static let serviceInterface = """
        kind service
        version 1.0.0
        buffer-area 1024 8192
        export take 0:in
        export echo 0:inout
        """

    /// Every export loops `n` times around one kind of call and returns a checksum.
    static let program = """
        (module
          (type $binary (func (param i32 i32) (result i32)))
          (import "svc@1" "add" (func $svcAdd (param i32 i32) (result i32 i32)))
          (import "svc@1" "take" (func $take (param i32 i32) (result i32 i32)))
          (import "svc@1" "echo" (func $echo (param i32 i32) (result i32 i32)))
          (import "env" "add" (func $hostAdd (param i32 i32) (result i32)))
          (memory 1)
          (table 1 funcref)
          (elem (i32.const 0) $add)
          (func $add (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
          (func (export "plain") (param $n i32) (result i32) (local $acc i32)
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              local.get $acc local.get $n call $add local.set $acc
              local.get $n i32.const 1 i32.sub local.set $n br $next))
            local.get $acc)
          (func (export "indirect") (param $n i32) (result i32) (local $acc i32)
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              local.get $acc local.get $n i32.const 0 call_indirect (type $binary) local.set $acc
              local.get $n i32.const 1 i32.sub local.set $n br $next))
            local.get $acc)
          (func (export "cross") (param $n i32) (result i32) (local $acc i32)
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              local.get $acc local.get $n call $svcAdd i32.add local.set $acc
              local.get $n i32.const 1 i32.sub local.set $n br $next))
            local.get $acc)
          (func $takeLoop (param $n i32) (param $length i32) (result i32) (local $acc i32)
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              i32.const 256 local.get $length call $take
              i32.add local.get $acc i32.add local.set $acc
              local.get $n i32.const 1 i32.sub local.set $n br $next))
            local.get $acc)
          (func $echoLoop (param $n i32) (param $length i32) (result i32) (local $acc i32)
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              i32.const 256 local.get $length call $echo
              i32.add local.get $acc i32.add local.set $acc
              local.get $n i32.const 1 i32.sub local.set $n br $next))
            local.get $acc)
          (func (export "in64") (param i32) (result i32) local.get 0 i32.const 64 call $takeLoop)
          (func (export "inout64") (param i32) (result i32) local.get 0 i32.const 64 call $echoLoop)
          (func (export "in4k") (param i32) (result i32) local.get 0 i32.const 4096 call $takeLoop)
          (func (export "inout4k") (param i32) (result i32) local.get 0 i32.const 4096 call $echoLoop)
          (func (export "host") (param $n i32) (result i32) (local $acc i32)
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              local.get $acc local.get $n call $hostAdd local.set $acc
              local.get $n i32.const 1 i32.sub local.set $n br $next))
            local.get $acc))
        """

    let store: Store
    let system: ProgramSystem

    init() throws {
        let engine = Engine(platform: HostedPlatform.shared)
        store = Store(engine: engine)
        let linker = Linker()
        linker.defineFunction(store: store, module: "env", name: "add",
                              type: FunctionType(parameters: [.i32, .i32], results: [.i32])) { _, arguments throws(Trap) in
            guard arguments.count == 2, case .i32(let a) = arguments[0], case .i32(let b) = arguments[1] else {
                throw Trap(message: "bad arguments")
            }
            return [.i32(a &+ b)]
        }
        var image = ProgramImage()
        image.add(name: "svc", bytes: try wat2wasm(Self.service) + ProgramInterface.customSection(Self.serviceInterface))
        image.add(name: "bench", bytes: try wat2wasm(Self.program))
        var manifest = CapabilityManifest()
        manifest.allow("bench", ["svc", "env.add"])
        do {
            system = try ProgramSystem(store: store, image: image, manifest: manifest, host: linker)
        } catch {
            throw ApusBenchError(description: error.description)
        }
    }

    /// Best-of-`reps` nanoseconds per iteration of `export`'s loop.
    func measure(_ export: String, iterations: Int, reps: Int) throws -> Double {
        guard let function = system.instance("bench")?.function(export) else {
            throw ApusBenchError(description: "no export " + export)
        }
        var best = Double.infinity
        for _ in 0..<reps {
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                _ = try function.call([.i32(UInt32(truncatingIfNeeded: iterations))])
            } catch {
                throw ApusBenchError(description: export + ": " + error.description)
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            best = min(best, Double(elapsed) / Double(iterations))
        }
        return best
    }
}

/// Two programs exchanging a small message over a channel, each on its own thread pinned with
/// `sched_setaffinity`: `ping` sends a counter and waits for counter + 1, `pong` echoes it.
/// Each program has its own engine, store and handle table, as it would in the kernel.
final class ChannelBench {
    static let oneCPURow = "channel round trip (one CPU)"
    static let acrossCPUsRow = "channel round trip (across CPUs)"

    static let program = """
        (module
          (import "apus" "channel_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
          (import "apus" "channel_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
          (memory 1)
          ;; n round trips: send the counter (4 bytes at 0), expect counter + 1 back (at 64).
          (func (export "ping") (param $h i32) (param $n i32) (result i32) (local $e i32) (local $i i32)
            (block $done (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (i32.store (i32.const 0) (local.get $i))
              (local.set $e (call $send (local.get $h) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0)))
              (if (local.get $e) (then (return (local.get $e))))
              (local.set $e (call $recv (local.get $h) (i32.const 64) (i32.const 64) (i32.const 0) (i32.const 0)
                                        (i32.const 128)))
              (if (local.get $e) (then (return (local.get $e))))
              (if (i32.ne (i32.load (i32.const 64)) (i32.add (local.get $i) (i32.const 1)))
                (then (return (i32.const 1000))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
            (i32.const 0))
          ;; Echoes counter + 1 until the peer closes; returns the errno that ended it (EPIPE).
          (func (export "pong") (param $h i32) (result i32) (local $e i32)
            (loop $next
              (local.set $e (call $recv (local.get $h) (i32.const 64) (i32.const 64) (i32.const 0) (i32.const 0)
                                        (i32.const 128)))
              (if (local.get $e) (then (return (local.get $e))))
              (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
              (local.set $e (call $send (local.get $h) (i32.const 64) (i32.load (i32.const 128)) (i32.const 0)
                                        (i32.const 0)))
              (if (local.get $e) (then (return (local.get $e))))
              (br $next))
            (i32.const 0)))
        """

    /// One program: engine, store, IPC context, instance.
    final class Program: @unchecked Sendable {
        let store: Store
        let context: IPCContext
        let instance: Instance

        init(bytes: [UInt8], scheduler: HostedIPCScheduler) throws {
            let engine = Engine(platform: HostedPlatform.shared)
            store = Store(engine: engine)
            context = IPCContext(scheduler: scheduler)
            let linker = Linker()
            context.define(in: linker, store: store)
            instance = try linker.instantiate(store, WasmModule(engine: engine, bytes: bytes))
            context.bind(instance)
        }

        func call(_ name: String, _ arguments: [UInt32]) throws -> UInt32 {
            guard let function = instance.function(name) else { throw ApusBenchError(description: "no export " + name) }
            guard case .i32(let result)? = try function.call(arguments.map { .i32($0) }).first else { return UInt32.max }
            return result
        }
    }

    let scheduler: HostedIPCScheduler
    let pinger: Program
    let ponger: Program

    init(scheduler: HostedIPCScheduler = .shared) throws {
        self.scheduler = scheduler
        let bytes = try wat2wasm(Self.program)
        pinger = try Program(bytes: bytes, scheduler: scheduler)
        ponger = try Program(bytes: bytes, scheduler: scheduler)
    }

    /// Why a measurement could not run.
    struct Skip: Error {
        var description: String
    }

    /// Nanoseconds per round trip of `roundTrips` (after a warm-up), ping pinned to `pingCPU`
    /// and pong to `pongCPU`; a `Skip` if a thread cannot be pinned.
    func measure(roundTrips: Int, pingCPU: Int, pongCPU: Int) throws -> Result<Double, Skip> {
        let (a, b) = ChannelEndpoint.makePair(scheduler: scheduler)
        let pingHandle = try pinger.context.handles.insert(.channelEndpoint(a))
        let pongHandle = try ponger.context.handles.insert(.channelEndpoint(b))
        let n = UInt32(clamping: roundTrips)
        let warmUp = max(n / 10, 10)

        let pongResult = ThreadResult()
        let pong = BenchThread { [ponger] in
            if let reason = pinCurrentThread(to: pongCPU) {
                pongResult.failure = reason
                // Let ping see EPIPE instead of waiting forever.
                try? ponger.context.handles.remove(pongHandle)
                return
            }
            pongResult.status = (try? ponger.call("pong", [pongHandle.rawValue])) ?? UInt32.max
        }
        let pingResult = ThreadResult()
        let ping = BenchThread { [pinger] in
            if let reason = pinCurrentThread(to: pingCPU) {
                pingResult.failure = reason
            } else {
                do {
                    pingResult.status = try pinger.call("ping", [pingHandle.rawValue, warmUp])
                    if pingResult.status == 0 {
                        let start = DispatchTime.now().uptimeNanoseconds
                        pingResult.status = try pinger.call("ping", [pingHandle.rawValue, n])
                        pingResult.nanoseconds = DispatchTime.now().uptimeNanoseconds - start
                    }
                } catch {
                    pingResult.error = "ping trapped: " + String(describing: error)
                }
            }
            // Closing ping's end ends pong's loop with EPIPE.
            try? pinger.context.handles.remove(pingHandle)
        }
        ping.join()
        pong.join()
        try? ponger.context.handles.remove(pongHandle)

        if let error = pingResult.error { throw ApusBenchError(description: error) }
        if let failure = pingResult.failure ?? pongResult.failure { return .failure(Skip(description: failure)) }
        guard pingResult.status == 0, pongResult.status == IPCErrno.pipe else {
            throw ApusBenchError(description: "channel ping-pong failed: ping status " + String(pingResult.status)
                + ", pong status " + String(pongResult.status))
        }
        return .success(Double(pingResult.nanoseconds) / Double(max(n, 1)))
    }
}

/// What a benchmark thread reports (read after `join`).
private final class ThreadResult: @unchecked Sendable {
    var status: UInt32 = 0
    var nanoseconds: UInt64 = 0
    /// Why the thread could not be pinned (the row is skipped).
    var failure: String?
    /// Why the measurement failed otherwise.
    var error: String?
}

/// A thread running `body`; `join` waits for it to end.
private final class BenchThread: @unchecked Sendable {
    private let body: () -> Void
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping () -> Void) {
        self.body = body
        let thread = Thread { [self] in
            self.body()
            self.finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func join() { finished.wait() }
}

/// Pins the calling thread to `cpu`; nil on success, otherwise why not. Glibc's Swift module
/// does not expose `sched_setaffinity` (it needs _GNU_SOURCE), so it is looked up by name.
private func pinCurrentThread(to cpu: Int) -> String? {
    typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
    guard let symbol = dlsym(nil, "sched_setaffinity") else { return "sched_setaffinity is not available" }
    let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
    var mask = [UInt64](repeating: 0, count: 16)  // cpu_set_t: 1024 bits
    guard cpu >= 0, cpu < mask.count * 64 else { return "no CPU " + String(cpu) }
    mask[cpu / 64] |= 1 << UInt64(cpu % 64)
    let result = mask.withUnsafeBytes { bytes in
        bytes.baseAddress.map { setAffinity(0, bytes.count, $0) } ?? -1
    }
    guard result == 0 else {
        return "sched_setaffinity(CPU " + String(cpu) + "): " + String(cString: strerror(errno))
    }
    return nil
}
