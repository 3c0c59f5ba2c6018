import ArgumentParser
import Foundation
import HostedPlatform
import WAT
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// `apus bench ipc`: the cost of one call by each way a wasm program can reach code outside
/// its own function — plain call, `call_indirect`, cross-program call into a service (scalars,
/// 64 B and 4 KiB buffers) and host function call — measured side by side in one process.
public struct IPCBenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ipc",
        abstract: "Measure plain, indirect, cross-program and host calls side by side.",
        discussion: """
            Every row runs a wasm loop of N calls to a function that adds two integers (buffer rows: a \
            service function that receives the buffer and returns its length) and reports the best of \
            --reps runs (rows take turns within each repetition) in ns per call, loop included. Cross-program calls go through the generated \
            trampoline (trap boundary, context switch, buffer copies). The ratio compares the scalar \
            cross-program call with call_indirect; the goal is at most 2. JSON goes to --json.
            """
    )

    @Option(help: "Calls per run for scalar rows (buffer rows run a quarter, 4 KiB rows a sixteenth).")
    var iterations: Int = 10_000_000

    @Option(help: "Runs per row; the fastest is reported.")
    var reps: Int = 5

    @Option(help: "Where to write the JSON results.")
    var json: String = "out/bench/ipc.json"

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
    }

    public func run() throws {
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
        let indirect = rows[1].nanosecondsPerCall
        let ratio = indirect > 0 ? rows[2].nanosecondsPerCall / indirect : 0
        print(Self.table(rows, ratio: ratio))

        let report = Report(rows: rows, crossToIndirectRatio: ratio, goal: 2)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = URL(fileURLWithPath: json)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(report).write(to: url)
        print("JSON: " + url.path)
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
        image.add(name: "svc", bytes: try wat2wasm(Self.service) + IPCBench.interfaceSection(Self.serviceInterface))
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

    /// An `apus.interface` custom section holding `text`.
    static func interfaceSection(_ text: String) -> [UInt8] {
        func leb(_ value: Int) -> [UInt8] {
            var value = value
            var bytes: [UInt8] = []
            repeat {
                var byte = UInt8(value & 0x7F)
                value >>= 7
                if value != 0 { byte |= 0x80 }
                bytes.append(byte)
            } while value != 0
            return bytes
        }
        let name = Array(ProgramInterface.sectionName.utf8)
        let body = leb(name.count) + name + Array(text.utf8)
        return [0] + leb(body.count) + body
    }
}
