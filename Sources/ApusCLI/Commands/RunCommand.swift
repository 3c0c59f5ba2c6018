import ArgumentParser
import Foundation

/// `apus run [--smp N] [--memory SIZE] [--gdb] [--exec COMMANDS] [--dir HOST[::GUEST]]…
/// [--disk FILE] [--init NAME] [-- KERNEL-COMMAND-LINE…]`: builds the kernel, the user-space programs and a
/// boot image, and boots it under QEMU with the serial console on the terminal: init starts
/// the shell.
public struct RunCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build the Apus kernel and user space, and boot to the shell under QEMU.",
        discussion: """
            Builds the kernel (kernel/build, with the shared libraries embedded) into \
            $KERNEL_BUILD_DIR (default .build-kernel/x86_64) and the user-space programs \
            (userspace/build → out/userspace), writes a boot image (kernel/tools/mkimage) with \
            every program and the files of userspace/root (and --dir trees) as the file system, \
            and boots it under QEMU (TCG) with the serial console here: init starts the shell \
            (type 'help'; 'shutdown' or Ctrl-D powers off; Ctrl-A X quits QEMU). --exec runs \
            shell commands without a person and powers off when they are done. --init NAME boots \
            the kernel test programs instead (kernel/programs/NAME.wat as init). --disk FILE \
            attaches FILE (a raw image) as the virtio-blk device, for the driver program \
            virtio-blk (try 'blk info'). Words after '--' \
            are added to the kernel command line (for example 'test=panic'). Exits 0 when the \
            kernel reports success (QEMU status 33), 1 otherwise. Installs QEMU with apt-get if \
            it is missing.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Number of CPUs (1 to 64).", valueName: "n"))
    public var smp: Int = 1

    @Option(name: .long, help: ArgumentHelp("Guest memory: a size in MiB, or with a suffix M or G (64M to 64G).", valueName: "size"))
    public var memory: String = "128M"

    @Flag(name: .long, help: "Start QEMU stopped, with a gdb stub on localhost:1234 (QEMU -s -S).")
    public var gdb = false

    @Flag(name: .long, help: "Use the kernel already built in the build folder (do not run kernel/build).")
    public var noBuild = false

    @Option(name: .long, help: ArgumentHelp("Boot the kernel test programs with kernel/programs/<name>.wat as init, instead of user space.", valueName: "name"))
    public var `init`: String?

    @Option(name: .long, help: ArgumentHelp("Shell commands to run (';' or newlines between them); the system powers off after them.", valueName: "commands"))
    public var exec: String?

    @Option(name: .long, help: ArgumentHelp("Add the host directory HOST to the file system at GUEST (default /).", valueName: "host[::guest]"))
    public var dir: [String] = []

    @Option(name: .long, help: ArgumentHelp("Attach FILE (a raw disk image) as the virtio-blk device (docs/DEVICES.md); a missing FILE is created: 256 MiB of ext2 (mke2fs), docs/STORAGE.md.", valueName: "file"))
    public var disk: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The kernel command line (after '--').", valueName: "kernel-argument"))
    public var kernelArguments: [String] = []

    public init() {}

    public func validate() throws {
        guard (1...64).contains(smp) else {
            throw ValidationError("--smp must be between 1 and 64 (got " + String(smp) + ")")
        }
        guard Self.memoryMiB(memory) != nil else {
            throw ValidationError("--memory must be a size such as 512M or 2G between 64M and 64G (got '" + memory + "')")
        }
        if let initName = `init` {
            guard !initName.isEmpty, initName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw ValidationError("--init must name a program of kernel/programs (got '" + initName + "')")
            }
            guard exec == nil, dir.isEmpty else {
                throw ValidationError("--exec and --dir belong to the user-space boot; leave out --init")
            }
        }
        for mapping in dir {
            let host = Self.directoryMapping(mapping).host
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: host, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--dir " + mapping + ": no directory " + host)
            }
        }
        if let disk {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: disk, isDirectory: &isDirectory) {
                guard !isDirectory.boolValue else { throw ValidationError("--disk " + disk + ": a directory, not a disk image") }
            } else {
                // Created at boot (formatted as ext2), so only its directory must exist.
                let folder = URL(fileURLWithPath: disk).deletingLastPathComponent().path
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("--disk " + disk + ": no such file, and no directory " + folder + " to create it in")
                }
            }
        }
        for argument in kernelArguments where argument.contains("\"") || argument.contains("\n") {
            throw ValidationError("kernel command-line words cannot contain quotes or newlines: '" + argument + "'")
        }
    }

    /// The memory size in MiB, or nil if `text` is not a size in range (64 MiB … 64 GiB).
    static func memoryMiB(_ text: String) -> Int? {
        var digits = Substring(text)
        var unit = 1
        if let last = digits.last, last == "M" || last == "m" || last == "G" || last == "g" {
            unit = (last == "G" || last == "g") ? 1024 : 1
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Int(digits) else { return nil }
        let (mebibytes, overflow) = value.multipliedReportingOverflow(by: unit)
        guard !overflow, (64...65536).contains(mebibytes) else { return nil }
        return mebibytes
    }

    /// `HOST[::GUEST]` → the host directory and the guest path without leading `/` ("" = root).
    static func directoryMapping(_ mapping: String) -> (host: String, guest: String) {
        guard let range = mapping.range(of: "::") else { return (mapping, "") }
        let guest = String(mapping[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return (String(mapping[..<range.lowerBound]), guest)
    }

    /// The kernel command line: `quiet` for a user-space boot (the console shows the
    /// programs, not the kernel log), then the words after `--`.
    var kernelCommandLine: String {
        ((`init` == nil ? ["quiet"] : []) + kernelArguments).joined(separator: " ")
    }

    /// The console script of `--exec`: the commands as lines for the shell.
    static func consoleScript(_ commands: String) -> String {
        commands.hasSuffix("\n") ? commands : commands + "\n"
    }

    /// Arguments for kernel/run-qemu.
    func runQemuArguments(initrd: String) -> [String] {
        let attached = disk.map { ["--disk", URL(fileURLWithPath: $0).standardizedFileURL.path] } ?? []
        return ["--smp", String(smp), "--memory", String(Self.memoryMiB(memory) ?? 128) + "M", "--initrd", initrd]
            + attached + ["--", kernelCommandLine]
    }

    public func run() throws {
        let status: Int32
        do throws(KernelCommandError) {
            status = try boot()
        } catch {
            StandardError.write("error: " + error.description + "\n")
            throw ExitCode.failure
        }
        switch status {
        case 33: return
        case 35: StandardError.write("apus: the kernel panicked (QEMU exit status 35)\n")
        case 0: StandardError.write("apus: QEMU stopped without the kernel's exit (a triple fault, or QEMU was quit)\n")
        default: StandardError.write("apus: QEMU exited with status " + String(status) + "\n")
        }
        throw ExitCode.failure
    }

    /// The size of a disk image `--disk` creates.
    static let newDiskSize = "256M"

    /// The `mke2fs` invocation that formats a new disk image: ext2 with 4 KiB blocks (the
    /// file-system program's format, docs/STORAGE.md).
    static func formatCommand(_ path: String) -> [String] {
        ["-q", "-t", "ext2", "-b", "4096", "-L", "apus", path, newDiskSize]
    }

    /// Creates and formats the `--disk` image if it does not exist yet.
    func createDiskIfMissing() throws(KernelCommandError) {
        guard let disk, !FileManager.default.fileExists(atPath: disk) else { return }
        guard let mke2fs = ["/usr/sbin/mke2fs", "/sbin/mke2fs"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw KernelCommandError("--disk " + disk + ": no such file, and no mke2fs to make one (Debian package e2fsprogs)")
        }
        StandardError.write("apus: creating " + disk + " (" + Self.newDiskSize + ", ext2)\n")
        let status = try KernelWorkspace.run(mke2fs, Self.formatCommand(disk), environment: ProcessInfo.processInfo.environment)
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: disk)
            throw KernelCommandError("mke2fs failed on " + disk + " (status " + String(status) + ")")
        }
    }

    /// Builds everything and runs QEMU; returns its exit status.
    private func boot() throws(KernelCommandError) -> Int32 {
        try createDiskIfMissing()
        let workspace = try KernelWorkspace.locate()
        try KernelWorkspace.ensureQEMU()
        try workspace.prepareKernel(build: !noBuild)
        let image = workspace.buildDirectory.appendingPathComponent("run.apus")
        if let initName = `init` {
            let entries = try workspace.standardProgramEntries(init: initName)
            try workspace.makeImage(image, entries: entries)
            StandardError.write("apus: boot image " + workspace.relative(image) + " (" + String(entries.count) + " programs)\n")
        } else {
            let programs = try workspace.userSpacePrograms(build: !noBuild)
            var options: [String] = []
            let rootFiles = workspace.root.appendingPathComponent("userspace/root")
            if FileManager.default.fileExists(atPath: rootFiles.path) { options += ["--tree", "=" + rootFiles.path] }
            for mapping in dir {
                let (host, guest) = Self.directoryMapping(mapping)
                options += ["--tree", guest + "=" + host]
            }
            if let exec {
                let script = workspace.buildDirectory.appendingPathComponent("run-exec.txt")
                do {
                    try Self.consoleScript(exec).write(to: script, atomically: true, encoding: .utf8)
                } catch {
                    throw KernelCommandError("cannot write " + script.path + ": " + (error as NSError).localizedDescription)
                }
                options += ["--console-script", script.path]
            }
            try workspace.makeImage(image, entries: options + programs)
            StandardError.write("apus: boot image " + workspace.relative(image) + " (" + String(programs.count)
                + " programs from out/userspace)\n")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["KERNEL_IMAGE"] = workspace.kernelImage.path
        if gdb {
            environment["QEMU_EXTRA"] = ((environment["QEMU_EXTRA"] ?? "") + " -s -S").trimmingCharacters(in: .whitespaces)
            StandardError.write("apus: QEMU waits for a debugger on localhost:1234. Attach with:\n"
                + "  gdb " + workspace.kernelImage.path + " -ex 'target remote localhost:1234'\n"
                + "then 'continue'. Quit QEMU with Ctrl-A X.\n")
        }
        return try KernelWorkspace.run(workspace.root.appendingPathComponent("kernel/run-qemu").path,
                                       runQemuArguments(initrd: image.path), environment: environment)
    }
}
