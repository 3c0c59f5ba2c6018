import Foundation

/// Native x86_64 code (clang -O2): each program's driver times `run(n)` in its own process and
/// prints JSON. The reference for checksums and ratios. There is no compile step to time.
public struct NativeEngine: BenchEngine {
    public let id = "native"
    public let isInterpreter = false

    public init() {}

    public func unavailableReason() -> String? { nil }
    public func version() -> String? { "clang -O2" }

    public func measure(_ jobs: [BenchJob], progress: (String) -> Void) -> [BenchMeasurement] {
        jobs.map { job in
            progress("native: \(job.program.name) n=\(job.n)")
            let output: ChildProcess.Output
            do {
                output = try ChildProcess.run(job.native, arguments: [String(job.n), String(job.reps)])
            } catch {
                return .failure("cannot start \(job.native.path): \(error)")
            }
            guard output.status == 0 else {
                return .failure("native driver exited with status \(output.status)")
            }
            return decodeRunnerResult(output.stdout)
        }
    }
}

/// The JSON that the native driver and the Wasmtime runner print for one job.
struct RunnerResult: Decodable {
    var name: String?
    var error: String?
    var checksum: String?
    var wasm_bytes: Int?
    var seconds: [Double]?
    var cpu_seconds: [Double]?
    var compile_seconds: [Double]?
    var compile_cpu_seconds: [Double]?

    var measurement: BenchMeasurement {
        if let error { return .failure(error) }
        guard let text = checksum, let value = Int64(text) else {
            return .failure("no checksum in the runner's output")
        }
        var result = BenchMeasurement()
        result.checksum = value
        result.wasmBytes = wasm_bytes ?? 0
        result.runWall = seconds ?? []
        result.runCPU = cpu_seconds ?? []
        result.compileWall = compile_seconds ?? []
        result.compileCPU = compile_cpu_seconds ?? []
        return result
    }
}

func decodeRunnerResult(_ data: Data) -> BenchMeasurement {
    do {
        return try JSONDecoder().decode(RunnerResult.self, from: data).measurement
    } catch {
        return .failure("unreadable runner output: \(String(decoding: data.prefix(200), as: UTF8.self))")
    }
}

/// Runs a child process to completion, capturing stdout; stderr passes through.
enum ChildProcess {
    struct Output {
        var status: Int32
        var stdout: Data
    }

    static func run(_ executable: URL, arguments: [String], stdin: Data? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdoutPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.standardError
        let stdinPipe = Pipe()
        if stdin != nil { process.standardInput = stdinPipe }
        try process.run()
        if let stdin {
            // Jobs lists are small (well under a pipe buffer), so writing before reading is safe.
            stdinPipe.fileHandleForWriting.write(stdin)
            try? stdinPipe.fileHandleForWriting.close()
        }
        let data = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: data)
    }
}
