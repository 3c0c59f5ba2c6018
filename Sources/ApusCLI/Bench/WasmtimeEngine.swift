import Foundation

/// Wasmtime (Cranelift), through the `wasmtime` package from PyPI in the repository's `.venv`:
/// `benchmarks/wasmtime_runner.py` compiles and runs every job in one Python process and times
/// `Module(engine, bytes)` and the `run(n)` call alone.
public struct WasmtimeEngine: BenchEngine {
    public let id = "wasmtime"
    public let isInterpreter = false
    let root: URL

    public init(root: URL) { self.root = root }

    var python: URL { root.appendingPathComponent(".venv/bin/python") }
    var runner: URL { root.appendingPathComponent("benchmarks/wasmtime_runner.py") }

    public func unavailableReason() -> String? {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            return "no \(python.path) (benchmarks/build creates it)"
        }
        guard let output = try? ChildProcess.run(python, arguments: ["-c", "import wasmtime"]),
            output.status == 0
        else { return "the wasmtime package is not installed in .venv (run benchmarks/build)" }
        return nil
    }

    public func version() -> String? {
        let script = "import importlib.metadata as m; print(m.version('wasmtime'))"
        guard let output = try? ChildProcess.run(python, arguments: ["-c", script]), output.status == 0 else {
            return nil
        }
        return String(decoding: output.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct JobDescription: Encodable {
        var name: String
        var wasm: String
        var n: Int32
        var reps: Int
    }

    struct RunnerOutput: Decodable {
        var results: [RunnerResult]
    }

    public func measure(_ jobs: [BenchJob], progress: (String) -> Void) -> [BenchMeasurement] {
        let failure = { (message: String) in jobs.map { _ in BenchMeasurement.failure(message) } }
        let descriptions = jobs.map { JobDescription(name: $0.program.name, wasm: $0.wasm.path, n: $0.n, reps: $0.reps) }
        progress("wasmtime: \(jobs.count) program(s) in one runner process")
        let output: ChildProcess.Output
        do {
            let input = try JSONEncoder().encode(descriptions)
            output = try ChildProcess.run(python, arguments: [runner.path, "--progress", "--jobs", "-"], stdin: input)
        } catch {
            return failure("cannot run the Wasmtime runner: \(error)")
        }
        guard output.status == 0 else { return failure("the Wasmtime runner exited with status \(output.status)") }
        guard let decoded = try? JSONDecoder().decode(RunnerOutput.self, from: output.stdout),
            decoded.results.count == jobs.count
        else { return failure("unreadable output from the Wasmtime runner") }
        return decoded.results.map(\.measurement)
    }
}
