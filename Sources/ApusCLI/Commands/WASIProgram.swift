import WasmCompiler
import Foundation
import HostedPlatform
import WASIPreview1
import WasmFrontEnd
import WasmRuntime

/// Running a WASI command module (`_start`) with the JIT: shared by `apus exec` and
/// `apus wasi-test`.
public struct WASIProgram {
    /// A preopened directory: the host directory and the name the guest sees.
    public struct Preopen: Equatable {
        public var host: String
        public var guest: String

        public init(host: String, guest: String) {
            self.host = host
            self.guest = guest
        }

        /// `HOST` or `HOST::GUEST` (the guest name defaults to the host path as written).
        public init(argument: String) {
            if let range = argument.range(of: "::") {
                host = String(argument[..<range.lowerBound])
                guest = String(argument[range.upperBound...])
            } else {
                host = argument
                guest = argument
            }
        }
    }

    public var arguments: [String]
    /// `KEY=VALUE` entries.
    public var environment: [String]
    public var preopens: [Preopen]
    /// Copy the preopened trees into in-memory file systems and run against those.
    public var inMemory: Bool
    public var explicitBoundsChecks = false
    /// Run with the `apus` process calls, programs found in this directory (`ApusProcessHost`).
    public var programsDirectory: String?

    public init(arguments: [String], environment: [String], preopens: [Preopen], inMemory: Bool) {
        self.arguments = arguments
        self.environment = environment
        self.preopens = preopens
        self.inMemory = inMemory
    }

    /// How a run ended.
    public enum Outcome {
        /// `_start` returned (0) or the program called `proc_exit`.
        case exited(UInt32)
        /// A wasm trap (or a host function's error) ended the program.
        case trapped(Trap)
        /// The program could not be started: a malformed module, a missing import, a directory
        /// that cannot be opened. The text says which.
        case failed(String)
    }

    /// Runs `bytes` (the module file `name`). `stdin`/`stdout`/`stderr` default to the
    /// process's streams.
    public func run(bytes: [UInt8], engine: Engine, stdin: (any WASIFile)? = nil, stdout: (any WASIFile)? = nil,
                    stderr: (any WASIFile)? = nil) -> Outcome {
        let module: WasmModule
        do throws(WasmError) {
            module = try WasmModule(engine: engine, bytes: bytes)
        } catch {
            return .failed(error.description)
        }
        if let programsDirectory {
            return runWithProcesses(module: module, engine: engine, programsDirectory: programsDirectory,
                                    stdin: stdin, stdout: stdout, stderr: stderr)
        }
        let context: WASIContext
        if inMemory {
            let clock = HostClock()
            context = WASIContext(
                arguments: arguments, environment: environment,
                stdin: stdin ?? HostFile(descriptor: 0, owns: false, stream: true),
                stdout: stdout ?? HostFile(descriptor: 1, owns: false, stream: true),
                stderr: stderr ?? HostFile(descriptor: 2, owns: false, stream: true),
                clock: clock, random: HostRandom())
            for preopen in preopens {
                let system = MemoryFileSystem(clock: clock)
                if let problem = WASIProgram.copyTree(from: preopen.host, into: system) {
                    return .failed(problem)
                }
                context.addPreopen(system.rootDirectory(), guestPath: preopen.guest)
            }
        } else {
            switch HostedWASI.makeContext(arguments: arguments, environment: environment,
                                          preopens: preopens.map { ($0.host, $0.guest) },
                                          stdin: stdin, stdout: stdout, stderr: stderr) {
            case .success(let made): context = made
            case .failure(let error): return .failed(error.path + ": cannot open directory")
            }
        }
        let store = Store(engine: engine)
        let linker = Linker()
        context.define(in: linker, store: store)
        return Self.instantiateAndRun(module, linker: linker, store: store, context: context)
    }

    /// Instantiates `module` with the imports of `linker`, binds `context` to its memory and
    /// runs the command (`_start`): how it ended.
    static func instantiateAndRun(_ module: WasmModule, linker: Linker, store: Store, context: WASIContext) -> Outcome {
        let instance: Instance
        do throws(InstantiationError) {
            instance = try linker.instantiate(store, module)
        } catch {
            if error.kind == .unlinkable, let detail = error.detail {
                return .failed(error.message + ": " + detail)
            }
            if let trap = error.trap { return .trapped(trap) }
            return .failed(error.description)
        }
        guard context.bind(instance) else { return .failed("the module does not export a memory named 'memory'") }
        do throws(Trap) {
            return .exited(try context.runCommand(instance))
        } catch {
            return .trapped(error)
        }
    }

    /// Runs `module` as process 1 of an `ApusProcessHost` whose children share the streams and
    /// the preopened directories (in-memory copies made once, with `inMemory`).
    private func runWithProcesses(module: WasmModule, engine: Engine, programsDirectory: String,
                                  stdin: (any WASIFile)?, stdout: (any WASIFile)?,
                                  stderr: (any WASIFile)?) -> Outcome {
        let clock = HostClock()
        var directories: [(directory: any WASIFile, guestPath: String, readOnly: Bool)] = []
        for preopen in preopens {
            if inMemory {
                let system = MemoryFileSystem(clock: clock)
                if let problem = WASIProgram.copyTree(from: preopen.host, into: system) { return .failed(problem) }
                directories.append((system.rootDirectory(), preopen.guest, false))
            } else {
                guard let directory = HostFile.openDirectory(path: preopen.host) else {
                    return .failed(preopen.host + ": cannot open directory")
                }
                directories.append((directory, preopen.guest, false))
            }
        }
        // The programs appear as /bin (read-only: the build's output), as the boot image's do
        // in the kernel, so a shell finds them through PATH — unless a --dir claims /bin.
        if !preopens.contains(where: { $0.guest == "/bin" || $0.guest == "/bin/" }) {
            guard let bin = HostFile.openDirectory(path: programsDirectory) else {
                return .failed(programsDirectory + ": cannot open directory")
            }
            directories.append((bin, "/bin", true))
        }
        let host = ApusProcessHost(
            programsDirectory: programsDirectory, engine: engine,
            stdin: stdin ?? HostFile(descriptor: 0, owns: false, stream: true),
            stdout: stdout ?? HostFile(descriptor: 1, owns: false, stream: true),
            stderr: stderr ?? HostFile(descriptor: 2, owns: false, stream: true),
            preopens: directories, clock: clock)
        return host.runRoot(module: module, name: arguments.first ?? "init", arguments: arguments,
                            environment: environment)
    }

    /// Copies the host tree at `path` (files, directories, symlinks) into `system`'s root;
    /// the problem as text if it cannot.
    static func copyTree(from path: String, into system: MemoryFileSystem) -> String? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return path + ": no such directory"
        }
        guard let enumerator = manager.enumerator(atPath: path) else { return path + ": cannot read" }
        while let relative = enumerator.nextObject() as? String {
            let full = path + "/" + relative
            guard let attributes = try? manager.attributesOfItem(atPath: full),
                  let type = attributes[.type] as? FileAttributeType else { return full + ": cannot read" }
            switch type {
            case .typeDirectory:
                system.addDirectory(relative)
            case .typeSymbolicLink:
                guard let target = try? manager.destinationOfSymbolicLink(atPath: full) else {
                    return full + ": cannot read link"
                }
                system.addSymlink(relative, target: target)
            case .typeRegular:
                guard let data = manager.contents(atPath: full) else { return full + ": cannot read" }
                system.addFile(relative, contents: [UInt8](data))
            default:
                continue
            }
        }
        return nil
    }

    /// A JIT engine on the hosted platform.
    public static func makeEngine(explicitBoundsChecks: Bool = false, tier: CompilerTier = .tiered) -> Engine {
        var configuration = Engine.Configuration()
        configuration.boundsChecks = explicitBoundsChecks ? .explicit : .guardRegion
        configuration.tier = tier
        return Engine(platform: HostedPlatform.shared, configuration: configuration)
    }
}
