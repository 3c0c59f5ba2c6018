import ArgumentParser
import Foundation
import WasmCompiler
import WasmRuntime

/// `apus wast [--json FILE] PATH…`: runs WebAssembly spec scripts (on the host, or with
/// `--in-kernel` inside the Apus kernel under QEMU).
public struct WastCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "wast",
        abstract: "Run .wast spec scripts with Apus's front end and runtime.",
        discussion: """
            Every module must decode and validate, assert_malformed modules must be rejected by the \
            text parser or the decoder, assert_invalid modules by the validator. Other directives run with the JIT and runtime \
            (with --front-end-only they are counted as skipped). The last line is 'N passed, N failed, N skipped'; \
            exits 1 if anything failed.
            """
    )

    @Argument(help: "Scripts (.wast) or folders searched recursively for them.")
    public var paths: [String]

    @Option(name: .long, help: ArgumentHelp("Also write per-file and per-check results as JSON.", valueName: "file"))
    public var json: String?

    @Flag(name: .long, help: "Also print counts per directive kind.")
    public var byKind = false

    @Flag(name: .long, help: "Only decode and validate; count directives that need execution as skipped.")
    public var frontEndOnly = false

    @Option(name: .long, help: ArgumentHelp("Memory bounds checks when executing: guard (guard regions) or explicit.", valueName: "guard|explicit"))
    public var boundsChecks: WastBoundsChecks = .guard

    @Flag(name: .long, help: "Compile for the baseline CPU features only.")
    public var baselineIsa = false

    @Flag(name: .long, help: "Use the host's CPU features but not AVX, AVX2 or FMA (the SSE4 encodings).")
    public var noAvx = false

    @Option(name: .long, help: ArgumentHelp("Compiler tier: baseline, optimizing or tiered.", valueName: "tier"))
    public var tier: CompilerTier = .tiered

    @Option(name: .long, help: ArgumentHelp("With --tier tiered: entries and loop iterations before a function is optimised (0: at once).", valueName: "n"))
    public var tierUpThreshold: Int = Engine.Configuration().tierUpThreshold

    @Flag(name: .long, help: "Run the scripts inside the Apus kernel under QEMU (a spec bundle, kernel command line run=spec).")
    public var inKernel = false

    @Option(name: .long, help: ArgumentHelp("With --in-kernel: number of CPUs (1 to 64).", valueName: "n"))
    public var smp: Int = 1

    @Option(name: .long, help: ArgumentHelp("With --in-kernel: stop QEMU after this many seconds.", valueName: "seconds"))
    public var timeout: Int = 3600

    @Flag(name: .long, help: "With --in-kernel: use the kernel already built (do not run kernel/build).")
    public var noBuild = false

    public init() {}

    public func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("Missing expected argument '<paths> ...'") }
        guard (1...64).contains(smp) else { throw ValidationError("--smp must be between 1 and 64") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if inKernel, json != nil || byKind || frontEndOnly || boundsChecks != .guard || baselineIsa || noAvx {
            throw ValidationError("--in-kernel cannot be combined with --json, --by-kind, --front-end-only, --bounds-checks, --baseline-isa or --no-avx")
        }
        if !inKernel, smp != 1 || noBuild { throw ValidationError("--smp and --no-build need --in-kernel") }
    }

    public func run() throws {
        let scripts = SpecReport.scriptPaths(paths)
        guard !scripts.isEmpty else {
            StandardError.write("error: no .wast scripts found in " + paths.joined(separator: ", ") + "\n")
            throw ExitCode.failure
        }
        if inKernel {
            let passed: Bool
            do throws(KernelCommandError) {
                passed = try InKernelSpecRun(scripts: scripts, smp: smp, timeoutSeconds: timeout, buildKernel: !noBuild, tier: tier,
                                         tierUpAtOnce: tier == .tiered && tierUpThreshold == 0).run()
            } catch {
                StandardError.write("error: " + error.description + "\n")
                throw ExitCode.failure
            }
            if !passed { throw ExitCode.failure }
            return
        }
        let showProgress = scripts.count > 1 && isatty(STDERR_FILENO) != 0
        let runScript = makeScriptRunner()
        var results: [SpecFileResult] = []
        for (index, path) in scripts.enumerated() {
            if showProgress {
                StandardError.write("\r\u{1B}[K[" + String(index + 1) + "/" + String(scripts.count) + "] " + SpecReport.displayName(path))
            }
            let result = runScript(path)
            if showProgress { StandardError.write("\r\u{1B}[K") }
            StandardOutput.write(SpecReport.text(for: result) + "\n")
            results.append(result)
        }
        if let json {
            let text = JSONText.string(SpecReport.jsonObject(results))
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: json))
            } catch {
                StandardError.write("error: " + json + ": cannot write: " + (error as NSError).localizedDescription + "\n")
                throw ExitCode.failure
            }
        }
        if byKind {
            for (kind, counts) in SpecReport.countsByKind(results) { StandardOutput.write("  " + kind + ": " + counts.description + "\n") }
        }
        let mismatches = SpecReport.messageMismatches(results)
        if mismatches > 0 {
            StandardOutput.write("note: " + String(mismatches) + " rejections passed with a message other than the script's\n")
        }
        let totals = SpecReport.totals(results)
        StandardOutput.write(totals.description + "\n")
        if totals.failed > 0 { throw ExitCode.failure }
    }
}

/// `--bounds-checks` values.
public enum WastBoundsChecks: String, ExpressibleByArgument, Sendable {
    case `guard`, explicit
}

extension WastCommand {
    /// Runs one script: front end only, or executed by the runtime (`RuntimeSpecExecutor`).
    func makeScriptRunner() -> (String) -> SpecFileResult {
        if frontEndOnly { return { SpecScriptRunner().run(path: $0) } }
        let engine = RuntimeSpecExecutor.makeEngine(boundsChecks: boundsChecks == .explicit ? .explicit : .guardRegion,
                                                    forceBaselineISA: baselineIsa, tier: tier, disableAVX: noAvx,
                                                    tierUpThreshold: tierUpThreshold)
        return { RuntimeSpecExecutor.runScript(path: $0, engine: engine) }
    }
}
