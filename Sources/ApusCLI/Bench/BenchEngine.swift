import Foundation

/// One program to measure on one engine.
public struct BenchJob: Sendable {
    public var program: BenchProgram
    /// The argument of `run(n)`.
    public var n: Int32
    /// How many times to compile and to run.
    public var reps: Int
    public var wasm: URL
    public var native: URL
}

/// One column of the benchmark table: a way of running the suite's programs.
///
/// To add an engine, implement this protocol (or `InProcessWasmEngine`, which supplies the
/// timing loop) and list it in `BenchEngines.all`.
public protocol BenchEngine {
    /// Stable identifier, used in JSON and on the command line (`--engines`).
    var id: String { get }
    /// Whether the engine interprets (it then uses `--interpreter-reps`).
    var isInterpreter: Bool { get }
    /// Nil when the engine can run; otherwise why it cannot. Such an engine's column shows the
    /// reason instead of numbers.
    func unavailableReason() -> String?
    /// A version string for the report, when known.
    func version() -> String?
    /// Measures every job; one result per job, in order.
    func measure(_ jobs: [BenchJob], progress: (String) -> Void) -> [BenchMeasurement]
}

/// An engine called in-process from Swift: the shared loop times `compile` and `run` around
/// the calls, so process start-up never counts.
public protocol InProcessWasmEngine: BenchEngine {
    /// Whatever `compile` produces that `run` can call (a module with its instance).
    associatedtype Compiled
    /// Decodes, validates and compiles the module, ready to call: timed as compilation.
    func compile(_ bytes: [UInt8]) throws -> Compiled
    /// Calls the export `run(n) -> i64`: timed as execution.
    func run(_ compiled: Compiled, n: Int32) throws -> Int64
}

extension InProcessWasmEngine {
    public func measure(_ jobs: [BenchJob], progress: (String) -> Void) -> [BenchMeasurement] {
        jobs.map { job in
            progress("\(id): \(job.program.name) n=\(job.n)")
            return measureOne(job)
        }
    }

    private func measureOne(_ job: BenchJob) -> BenchMeasurement {
        var result = BenchMeasurement()
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: job.wasm))
        } catch {
            return .failure("cannot read \(job.wasm.path): \(error)")
        }
        result.wasmBytes = bytes.count
        do {
            var compiled: Compiled?
            for _ in 0..<max(1, job.reps) {
                compiled = nil  // free the previous one first so it is not timed
                let start = ClockReading.now()
                compiled = try compile(bytes)
                let end = ClockReading.now()
                result.compileWall.append(end.wall - start.wall)
                result.compileCPU.append(end.cpu - start.cpu)
            }
            guard let module = compiled else { return .failure("nothing compiled") }
            for _ in 0..<max(1, job.reps) {
                let start = ClockReading.now()
                let checksum = try run(module, n: job.n)
                let end = ClockReading.now()
                result.runWall.append(end.wall - start.wall)
                result.runCPU.append(end.cpu - start.cpu)
                if let previous = result.checksum, previous != checksum {
                    return .failure("checksum changed between repetitions: \(previous) vs \(checksum)")
                }
                result.checksum = checksum
            }
        } catch {
            result.checksum = nil
            result.error = "\(error)"
        }
        return result
    }
}

/// The engines `apus bench` knows, in table order.
public enum BenchEngines {
    /// All columns: native first (the reference), then Wasmtime, WasmKit and every Apus variant.
    public static func all(root: URL) -> [any BenchEngine] {
        var engines: [any BenchEngine] = [
            NativeEngine(),
            WasmtimeEngine(root: root),
            WasmKitEngine(),
        ]
        engines += ApusEngine.variants()
        return engines
    }
}
