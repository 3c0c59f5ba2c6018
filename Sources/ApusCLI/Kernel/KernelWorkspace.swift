import Foundation
import WAT

/// Why a kernel command (`apus run`, `apus wast --in-kernel`) could not proceed.
public struct KernelCommandError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The repository's kernel tooling seen from the host tool: kernel/build, kernel/tools/mkimage,
/// kernel/run-qemu and the boot-image programs in kernel/programs.
public struct KernelWorkspace {
    /// The repository root (holds Package.swift and kernel/build).
    public var root: URL
    /// Where the kernel and boot images are built: `$KERNEL_BUILD_DIR`, else .build-kernel/x86_64.
    public var buildDirectory: URL

    public init(root: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.root = root
        if let directory = environment["KERNEL_BUILD_DIR"], !directory.isEmpty {
            buildDirectory = URL(fileURLWithPath: directory)
        } else {
            buildDirectory = root.appendingPathComponent(".build-kernel/x86_64")
        }
    }

    /// Finds the repository: from the executable's directory upwards (an `apus` built in the
    /// repository's .build folder), then from the current directory upwards.
    public static func locate(
        executablePath: String? = Bundle.main.executablePath,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(KernelCommandError) -> KernelWorkspace {
        var starts: [URL] = []
        if let executablePath {
            starts.append(URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        starts.append(URL(fileURLWithPath: currentDirectory))
        for start in starts {
            var directory = start.standardizedFileURL
            while true {
                if isRepositoryRoot(directory) { return KernelWorkspace(root: directory) }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        throw KernelCommandError(
            "cannot find the Apus repository (a folder with Package.swift and kernel/build) above "
                + starts.map(\.path).joined(separator: " or ") + "; run apus from inside the repository")
    }

    static func isRepositoryRoot(_ directory: URL) -> Bool {
        let fileManager = FileManager.default
        return fileManager.fileExists(atPath: directory.appendingPathComponent("Package.swift").path)
            && fileManager.isExecutableFile(atPath: directory.appendingPathComponent("kernel/build").path)
    }

    var kernelImage: URL { buildDirectory.appendingPathComponent("kernel.elf") }
    var programsDirectory: URL { root.appendingPathComponent("kernel/programs") }

    // MARK: Steps

    /// Builds the kernel (or, without `build`, checks that one was built).
    public func prepareKernel(build: Bool) throws(KernelCommandError) {
        if build { return try buildKernel() }
        guard FileManager.default.fileExists(atPath: kernelImage.path) else {
            throw KernelCommandError("no kernel at " + kernelImage.path + " (build it: leave out --no-build)")
        }
    }

    /// Builds the kernel with the shared libraries embedded (kernel/build).
    public func buildKernel() throws(KernelCommandError) {
        StandardError.write("apus: building the kernel (" + relative(buildDirectory) + ")\n")
        var environment = ProcessInfo.processInfo.environment
        environment["KERNEL_EMBED_SHARED"] = "1"
        environment["KERNEL_BUILD_DIR"] = buildDirectory.path
        let status = try Self.run(root.appendingPathComponent("kernel/build").path, [], environment: environment)
        guard status == 0 else { throw KernelCommandError("kernel/build failed (exit status " + String(status) + ")") }
    }

    /// The standard programs of kernel/programs as boot-image entries (`NAME=FILE`): `init`
    /// from `<init>.wat`, every other .wat program except the `init-*` variants (compiled by
    /// WasmKit's text parser with debug names), and the flat .S programs (mkimage assembles them).
    public func standardProgramEntries(init initName: String = "init") throws(KernelCommandError) -> [String] {
        let fileManager = FileManager.default
        let sources: [String]
        do {
            sources = try fileManager.contentsOfDirectory(atPath: programsDirectory.path).sorted()
        } catch {
            throw KernelCommandError("cannot list " + programsDirectory.path + ": " + (error as NSError).localizedDescription)
        }
        guard sources.contains(initName + ".wat") else {
            throw KernelCommandError("no program " + initName + ".wat in " + relative(programsDirectory))
        }
        let wasmDirectory = buildDirectory.appendingPathComponent("programs")
        try Self.createDirectory(wasmDirectory)
        var entries: [String] = []
        for source in sources {
            let name = (source as NSString).deletingPathExtension
            let path = programsDirectory.appendingPathComponent(source).path
            if source.hasSuffix(".S") {
                entries.append(name + "=" + path)
            } else if source.hasSuffix(".wat"), name == initName || !name.hasPrefix("init") {
                let output = wasmDirectory.appendingPathComponent(name + ".wasm")
                try Self.compileText(path, to: output)
                entries.append((name == initName ? "init" : name) + "=" + output.path)
            }
        }
        return entries
    }

    /// The user-space programs (userspace/build → out/userspace/*.wasm, built first unless
    /// `build` is false) as boot-image entries `NAME=FILE`.
    public func userSpacePrograms(build: Bool) throws(KernelCommandError) -> [String] {
        if build {
            StandardError.write("apus: building user space (userspace/build)\n")
            let status = try Self.run(root.appendingPathComponent("userspace/build").path, [])
            guard status == 0 else { throw KernelCommandError("userspace/build failed (exit status " + String(status) + ")") }
        }
        let directory = root.appendingPathComponent("out/userspace")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var entries: [String] = []
        for file in files.sorted() where file.hasSuffix(".wasm") {
            let name = String(file.dropLast(5))
            guard !name.isEmpty, name.utf8.count <= 23 else {
                StandardError.write("apus: skipping " + file + ": program names are 1 to 23 bytes\n")
                continue
            }
            entries.append(name + "=" + directory.appendingPathComponent(file).path)
        }
        guard entries.contains(where: { $0.hasPrefix("init=") }) else {
            throw KernelCommandError("no init.wasm in " + relative(directory) + " (build user space: userspace/build)")
        }
        return entries
    }

    /// Writes a boot image (kernel/tools/mkimage) of `entries` (`NAME=FILE`).
    public func makeImage(_ output: URL, entries: [String]) throws(KernelCommandError) {
        let status = try Self.run(root.appendingPathComponent("kernel/tools/mkimage").path, ["-o", output.path] + entries,
                                  quiet: true)
        guard status == 0 else { throw KernelCommandError("kernel/tools/mkimage failed (exit status " + String(status) + ")") }
    }

    /// Installs QEMU with apt-get when it is missing, saying so.
    public static func ensureQEMU() throws(KernelCommandError) {
        guard findExecutable("qemu-system-x86_64") == nil else { return }
        StandardError.write("apus: qemu-system-x86_64 is missing; installing it with apt-get (package qemu-system-x86)\n")
        var status = (try? run("/usr/bin/env", ["apt-get", "install", "-y", "qemu-system-x86"], quiet: true)) ?? 1
        if status != 0 {
            _ = try? run("/usr/bin/env", ["apt-get", "update"], quiet: true)
            status = (try? run("/usr/bin/env", ["apt-get", "install", "-y", "qemu-system-x86"], quiet: true)) ?? 1
        }
        guard status == 0, findExecutable("qemu-system-x86_64") != nil else {
            throw KernelCommandError("cannot install QEMU: run `apt-get install qemu-system-x86` as root")
        }
    }

    /// A path relative to the repository root when it lies inside it (for messages).
    func relative(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let prefix = root.standardizedFileURL.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    // MARK: Helpers

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = String(directory) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func createDirectory(_ url: URL) throws(KernelCommandError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw KernelCommandError("cannot create " + url.path + ": " + (error as NSError).localizedDescription)
        }
    }

    /// Compiles a .wat file to a binary module with WasmKit's text parser (debug names kept).
    static func compileText(_ path: String, to output: URL) throws(KernelCommandError) {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KernelCommandError(path + ": cannot read: " + (error as NSError).localizedDescription)
        }
        do {
            let binary = try wat2wasm(source, options: EncodeOptions(nameSection: true))
            try Data(binary).write(to: output)
        } catch {
            throw KernelCommandError(path + ": " + String(describing: error))
        }
    }

    /// Runs a program to completion with this process's standard output and error (or none
    /// when `quiet`); returns its exit status.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    quiet: Bool = false) throws(KernelCommandError) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if quiet {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        do {
            try process.run()
        } catch {
            throw KernelCommandError("cannot run " + executable + ": " + (error as NSError).localizedDescription)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
