import WasmCompiler
import ArgumentParser
import Foundation
import WASIPreview1
import WasmRuntime

/// `apus wasi-test [--memfs] DIR…`: runs the WASI test suite (WebAssembly/wasi-testsuite
/// layout: each `*.wasm` with an optional `.json` specification) in this process.
public struct WasiTestCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "wasi-test",
        abstract: "Run the WASI test suite (wasi-testsuite layout) with the JIT.",
        discussion: """
            Finds every *.wasm under the given directories, reads its .json specification \
            (args, env, dirs, exit_code, stdout, stderr; or run/wait/read operations), runs it \
            with a fresh writable copy of its directories and checks exit code and output. \
            Prints one line per failure or skip, then "N passed, N failed, N skipped"; exits 1 if \
            any test failed.
            """
    )

    @Argument(help: "Test suite directories (searched recursively for .wasm files).")
    public var directories: [String]

    @Flag(help: "Run against in-memory copies of the test directories.")
    public var memfs = false

    @Flag(help: "Check memory accesses explicitly instead of with guard regions.")
    public var explicitBoundsChecks = false

    @Option(help: ArgumentHelp("Compiler tier: baseline, optimizing or tiered.", valueName: "tier"))
    public var tier: CompilerTier = .tiered

    @Flag(help: "Print a line for passing tests too.")
    public var verbose = false

    @Flag(help: "Run the tests inside the Apus kernel under QEMU (one boot for all of them).")
    public var inKernel = false

    @Flag(help: "With --in-kernel: use the kernel already built instead of running kernel/build.")
    public var noBuild = false

    @Option(help: "With --in-kernel: CPUs of the virtual machine.")
    public var smp = 1

    @Option(help: "With --in-kernel: seconds before QEMU is stopped.")
    public var timeout = 1800

    public init() {}

    public func run() throws {
        if inKernel {
            let run = InKernelWasiRun(tests: WasiTestCommand.findTests(directories), smp: smp,
                                      timeoutSeconds: timeout, buildKernel: !noBuild, verbose: verbose)
            do {
                if try !run.run() { throw ExitCode.failure }
            } catch let error as KernelCommandError {
                StandardError.write("apus: " + error.description + "\n")
                throw ExitCode.failure
            }
            return
        }
        let engine = WASIProgram.makeEngine(explicitBoundsChecks: explicitBoundsChecks, tier: tier)
        var passed = 0, failed = 0, skipped = 0
        for test in WasiTestCommand.findTests(directories) {
            switch WasiTestCommand.runTest(atPath: test, engine: engine, inMemory: memfs) {
            case .passed:
                passed += 1
                if verbose { print("PASS " + test) }
            case .failed(let reason):
                failed += 1
                print("FAIL " + test + ": " + reason)
            case .skipped(let reason):
                skipped += 1
                print("SKIP " + test + ": " + reason)
            }
        }
        print(String(passed) + " passed, " + String(failed) + " failed, " + String(skipped) + " skipped")
        if failed > 0 { throw ExitCode.failure }
    }

    /// Every `.wasm` under `directories`, sorted.
    static func findTests(_ directories: [String]) -> [String] {
        var tests: [String] = []
        for directory in directories {
            if directory.hasSuffix(".wasm") {
                tests.append(directory)
                continue
            }
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { continue }
            while let relative = enumerator.nextObject() as? String {
                if relative.hasSuffix(".wasm") { tests.append(directory + "/" + relative) }
            }
        }
        return tests.sorted()
    }

    public enum Result: Equatable {
        case passed
        case failed(String)
        case skipped(String)
    }

    /// What one test's specification asks for.
    struct Specification {
        var arguments: [String] = []
        var environment: [String] = []
        var directories: [String] = []
        var exitCode: UInt32 = 0
        /// Output to compare, when the specification gives it (the reference runner checks
        /// only what is specified).
        var stdout: String?
        var stderr: String?
    }

    static func specification(forTest path: String) -> Swift.Result<Specification, TestSkip> {
        let jsonPath = String(path.dropLast(".wasm".count)) + ".json"
        var specification = Specification()
        guard let data = FileManager.default.contents(atPath: jsonPath) else { return .success(specification) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return .failure(TestSkip(reason: "unreadable specification " + jsonPath))
        }
        func readRun(_ run: [String: Any]) {
            if let arguments = run["args"] as? [String] { specification.arguments = arguments }
            if let environment = run["env"] as? [String: String] {
                specification.environment = environment.keys.sorted().map { $0 + "=" + (environment[$0] ?? "") }
            }
            if let directories = run["dirs"] as? [String] { specification.directories = directories }
        }
        if let proposals = object["proposals"] as? [String], !proposals.isEmpty {
            return .failure(TestSkip(reason: "needs proposals " + proposals.joined(separator: ", ")))
        }
        if let operations = object["operations"] as? [[String: Any]] {
            for operation in operations {
                switch operation["type"] as? String {
                case "run": readRun(operation)
                case "wait":
                    if let code = operation["exit_code"] as? Int { specification.exitCode = UInt32(truncatingIfNeeded: code) }
                case "read":
                    let payload = operation["payload"] as? String ?? ""
                    if operation["id"] as? String == "stderr" {
                        specification.stderr = payload
                    } else {
                        specification.stdout = payload
                    }
                default:
                    return .failure(TestSkip(reason: "operation '" + (operation["type"] as? String ?? "?")
                        + "' (network) is not supported"))
                }
            }
            return .success(specification)
        }
        readRun(object)
        if let code = object["exit_code"] as? Int { specification.exitCode = UInt32(truncatingIfNeeded: code) }
        if let stdout = object["stdout"] as? String { specification.stdout = stdout }
        if let stderr = object["stderr"] as? String { specification.stderr = stderr }
        return .success(specification)
    }

    struct TestSkip: Error { var reason: String }

    /// Runs one test in a fresh temporary copy of its directories.
    public static func runTest(atPath path: String, engine: Engine, inMemory: Bool) -> Result {
        let specification: Specification
        switch WasiTestCommand.specification(forTest: path) {
        case .success(let read): specification = read
        case .failure(let skip): return .skipped(skip.reason)
        }
        guard let bytes = FileManager.default.contents(atPath: path) else { return .failed("cannot read") }
        let testDirectory = (path as NSString).deletingLastPathComponent
        let manager = FileManager.default
        let scratch = NSTemporaryDirectory() + "apus-wasi-test-" + UUID().uuidString
        defer { try? manager.removeItem(atPath: scratch) }
        var preopens: [WASIProgram.Preopen] = []
        do {
            try manager.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            for directory in specification.directories {
                let copy = scratch + "/" + (directory as NSString).lastPathComponent
                try manager.copyItem(atPath: testDirectory + "/" + directory, toPath: copy)
                makeWritable(copy)
                preopens.append(WASIProgram.Preopen(host: copy, guest: directory))
            }
        } catch {
            return .failed("cannot copy the test directories: " + error.localizedDescription)
        }
        let program = WASIProgram(arguments: [(path as NSString).lastPathComponent] + specification.arguments,
                                  environment: specification.environment, preopens: preopens, inMemory: inMemory)
        let stdout = WASIBufferStream()
        let stderr = WASIBufferStream()
        let outcome = program.run(bytes: [UInt8](bytes), engine: engine, stdin: WASIBufferStream(),
                                  stdout: stdout, stderr: stderr)
        let tested: TestOutcome
        switch outcome {
        case .failed(let message): tested = .failed(message)
        case .trapped(let trap): tested = .trapped(trap.message)
        case .exited(let code): tested = .exited(code)
        }
        return judge(specification, tested, stdout: stdout.outputText, stderr: stderr.outputText)
    }

    /// How a test program ended, wherever it ran.
    enum TestOutcome {
        /// It could not run (the reason).
        case failed(String)
        /// It trapped (the trap's message).
        case trapped(String)
        case exited(UInt32)
    }

    /// Compares a run with its specification: exit code, then stdout and stderr when specified.
    static func judge(_ specification: Specification, _ outcome: TestOutcome, stdout: String, stderr: String) -> Result {
        let stderrTail = stderr.isEmpty ? "" : " (stderr: " + stderr.suffix(400)
            .replacingOccurrences(of: "\n", with: "⏎") + ")"
        switch outcome {
        case .failed(let message):
            return .failed(message)
        case .trapped(let message):
            return .failed("trap: " + message + stderrTail)
        case .exited(let code):
            if code != specification.exitCode {
                return .failed("exit code " + String(code) + ", expected " + String(specification.exitCode)
                    + stderrTail)
            }
        }
        if let expected = specification.stdout, stdout != expected {
            return .failed("stdout " + quoted(stdout) + ", expected " + quoted(expected))
        }
        if let expected = specification.stderr, stderr != expected {
            return .failed("stderr " + quoted(stderr) + ", expected " + quoted(expected))
        }
        return .passed
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.prefix(200).replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// Test directories in the suite are read-only; copies must accept the tests' changes.
    static func makeWritable(_ path: String) {
        let manager = FileManager.default
        try? manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        guard let enumerator = manager.enumerator(atPath: path) else { return }
        while let relative = enumerator.nextObject() as? String {
            let full = path + "/" + relative
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: full, isDirectory: &isDirectory)
            try? manager.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644],
                                       ofItemAtPath: full)
        }
    }
}
