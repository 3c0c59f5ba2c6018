import WasmCompiler
import ArgumentParser
import Foundation
import WasmRuntime

/// `apus exec FILE.wasm [--dir HOST[::GUEST]]… [--env K=V]… [-- ARG…]`: runs a WASI command.
public struct ExecCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a WASI (preview 1) command module with the JIT.",
        discussion: """
            Calls the module's _start with wasi_snapshot_preview1 imports and exits with the \
            program's exit code. --programs DIR adds the apus process module (docs/USERSPACE.md): \
            the program can spawn DIR/NAME.wasm as child processes. --dir preopens a host \
            directory (as GUEST, default the host path as written); --memfs copies the --dir \
            trees into in-memory file systems first (the kernel's file system code; changes are \
            not written back). A trap prints "trap: \
            MESSAGE" with the wasm backtrace and exits with status 134; a module that cannot \
            start (unreadable, malformed, missing import) exits with status 1.
            """
    )

    @Argument(help: "The command module (.wasm).")
    public var file: String

    @Option(name: .customLong("dir"), help: "Preopen a host directory: HOST or HOST::GUEST.")
    public var directories: [String] = []

    @Option(name: .customLong("env"), help: "An environment variable KEY=VALUE.")
    public var environment: [String] = []

    @Option(name: .customLong("programs"),
            help: "Provide the apus process calls (spawn, wait, ps, …); programs are DIR/NAME.wasm.")
    public var programsDirectory: String?

    @Flag(help: "Run against in-memory copies of the --dir trees.")
    public var memfs = false

    @Flag(help: "Check memory accesses explicitly instead of with guard regions.")
    public var explicitBoundsChecks = false

    @Option(help: ArgumentHelp("Compiler tier: baseline, optimizing or tiered.", valueName: "tier"))
    public var tier: CompilerTier = .tiered

    @Argument(parsing: .postTerminator, help: "Arguments for the program (after --).")
    public var arguments: [String] = []

    public init() {}

    public func run() throws {
        let bytes: [UInt8]
        do throws(UnreadableFile) {
            bytes = try ModuleInput.readBytes(atPath: file)
        } catch {
            StandardError.write("error: " + error.description + "\n")
            throw ExitCode.failure
        }
        for entry in environment where !entry.contains("=") {
            StandardError.write("error: --env expects KEY=VALUE, got '" + entry + "'\n")
            throw ExitCode.failure
        }
        let programName = (file as NSString).lastPathComponent
        var program = WASIProgram(arguments: [programName] + arguments, environment: environment,
                                  preopens: directories.map(WASIProgram.Preopen.init(argument:)), inMemory: memfs)
        program.explicitBoundsChecks = explicitBoundsChecks
        program.programsDirectory = programsDirectory
        let engine = WASIProgram.makeEngine(explicitBoundsChecks: explicitBoundsChecks, tier: tier)
        switch program.run(bytes: bytes, engine: engine) {
        case .exited(let code):
            throw ExitCode(Int32(truncatingIfNeeded: code))
        case .trapped(let trap):
            StandardError.write("trap: " + trap.description + "\n")
            throw ExitCode(134)
        case .failed(let message):
            StandardError.write("error: " + file + ": " + message + "\n")
            throw ExitCode.failure
        }
    }
}
