import ArgumentParser
import Foundation

/// `apus bench`: runs the benchmark suite on native code, Wasmtime, WasmKit's interpreter and
/// Apus side by side, checks that every engine reproduces native's checksums, and writes a
/// text table, JSON and an SVG chart to `out/bench/`.
public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmark suite on every engine and compare them.",
        discussion: """
            Programs: benchmarks/programs/*.c, listed with their sizes in benchmarks/benchmarks.txt, built by \
            benchmarks/build (run automatically unless --no-build). Compilation and execution are timed \
            separately, inside each engine's process, around the calls. Results go to out/bench/<size>.txt, \
            .json and .svg. --simd runs the same programs built with -O3 -msimd128 instead. --quick runs the tiny sizes as a correctness check: the exit status is non-zero \
            when any engine fails or disagrees with native's checksum. Build apus with -c release for \
            meaningful WasmKit numbers.
            """,
        subcommands: [IPCBenchCommand.self]
    )

    @Flag(help: "Tiny sizes, one repetition: a correctness check (all engines agree), not a measurement.")
    var quick = false

    @Option(help: "Repetitions of each compilation and each run (default: 5, or 1 with --quick).")
    var reps: Int?

    @Option(help: "Repetitions for interpreters, which are slow (default: --reps).")
    var interpreterReps: Int?

    @Option(help: "Comma-separated engines: native, wasmtime, wasmkit, apus (all Apus variants) or an exact id.")
    var engines: String?

    @Option(help: "Comma-separated program names (default: all in benchmarks/benchmarks.txt).")
    var only: String?

    @Option(help: "Clock for the table and ratios: cpu (process CPU time) or wall.")
    var clock: String = BenchClock.cpu.rawValue

    @Option(help: "Repository root (default: found from the current directory).")
    var root: String?

    @Option(help: "Output directory (default: <root>/out/bench).")
    var out: String?

    @Flag(help: "Do not run benchmarks/build first.")
    var noBuild = false

    @Flag(help: "Run the modules built with -O3 -msimd128 (auto-vectorised WebAssembly SIMD) on the wasm engines; results go to <size>-simd.*.")
    var simd = false

    public init() {}

    public func run() throws {
        guard let clock = BenchClock(rawValue: clock) else {
            throw ValidationError("--clock must be cpu or wall")
        }
        let start = URL(fileURLWithPath: root ?? FileManager.default.currentDirectoryPath)
        guard let rootURL = BenchSuite.findRoot(from: start) else { throw BenchError.noRoot(start.path) }
        var suite = try BenchSuite.load(root: rootURL)
        let size: BenchSize = quick ? .tiny : .real
        let reps = max(1, self.reps ?? (quick ? 1 : 5))
        let interpreterReps = max(1, self.interpreterReps ?? reps)

        if let only {
            let wanted = list(only)
            let known = suite.programs.map(\.name)
            for name in wanted where !known.contains(name) {
                throw BenchError.unknownName(kind: "program", name: name, known: known)
            }
            suite.programs = suite.programs.filter { wanted.contains($0.name) }
        }
        let selected = try selectEngines(BenchEngines.all(root: rootURL))

        if !noBuild {
            var arguments: [String] = []
            if !selected.contains(where: { $0.id == "wasmtime" }) { arguments.append("--no-venv") }
            let output = try ChildProcessPassthrough.run(
                rootURL.appendingPathComponent("benchmarks/build"), arguments: arguments)
            guard output == 0 else { throw BenchError.buildFailed(output) }
        }

        var columns: [BenchColumn] = []
        var measurements: [String: [BenchMeasurement]] = [:]
        for engine in selected {
            let isApus = engine is ApusEngine
            if let reason = engine.unavailableReason() {
                log("\(engine.id): unavailable — \(reason)")
                columns.append(BenchColumn(id: engine.id, version: nil, unavailable: reason, isApus: isApus))
                continue
            }
            let engineReps = engine.isInterpreter ? interpreterReps : reps
            let jobs = suite.programs.map { program in
                BenchJob(
                    program: program, n: size == .tiny ? program.tinySize : program.realSize, reps: engineReps,
                    wasm: suite.wasmPath(program, simd: simd), native: suite.nativePath(program))
            }
            measurements[engine.id] = engine.measure(jobs, progress: { log("  " + $0) })
            columns.append(BenchColumn(id: engine.id, version: engine.version(), unavailable: nil, isApus: isApus))
        }

        let results = BenchResults(
            size: size, clock: clock, reps: reps, interpreterReps: interpreterReps, programs: suite.programs,
            columns: columns, measurements: measurements)
        let text = BenchReport.text(results)
        print(text, terminator: "")

        let outDirectory = out.map { URL(fileURLWithPath: $0) } ?? rootURL.appendingPathComponent("out/bench")
        try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true)
        let stem = outDirectory.appendingPathComponent(size.rawValue + (simd ? "-simd" : ""))
        try Data(text.utf8).write(to: stem.appendingPathExtension("txt"))
        try BenchReport.json(results).write(to: stem.appendingPathExtension("json"))
        try Data(BenchChart.svg(results).utf8).write(to: stem.appendingPathExtension("svg"))
        log("wrote \(stem.path).txt, .json, .svg")

        if !results.problems.isEmpty { throw ExitCode.failure }
    }

    private func selectEngines(_ all: [any BenchEngine]) throws -> [any BenchEngine] {
        guard let engines else { return all }
        var chosen: [any BenchEngine] = []
        for name in list(engines) {
            let matches = all.filter { $0.id == name || (name == "apus" && $0 is ApusEngine) }
            guard !matches.isEmpty else {
                throw BenchError.unknownName(kind: "engine", name: name, known: ["apus"] + all.map(\.id))
            }
            chosen += matches.filter { match in !chosen.contains { $0.id == match.id } }
        }
        return chosen
    }

    private func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func log(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// Runs a child process with its output going straight to ours; returns its exit status.
enum ChildProcessPassthrough {
    static func run(_ executable: URL, arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.standardError  // keep stdout for the table
        process.standardError = FileHandle.standardError
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
