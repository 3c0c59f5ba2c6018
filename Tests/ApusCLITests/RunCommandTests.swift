import ArgumentParser
import Foundation
import Testing
@testable import ApusCLI

@Suite struct RunCommandTests {
    func parse(_ arguments: [String]) throws -> RunCommand {
        try #require(try ApusCommand.parseAsRoot(["run"] + arguments) as? RunCommand)
    }

    @Test func defaults() throws {
        let command = try parse([])
        #expect(command.smp == 1)
        #expect(command.memory == "128M")
        #expect(!command.gdb)
        #expect(command.`init` == nil)
        #expect(command.exec == nil)
        #expect(command.kernelArguments.isEmpty)
        // User space: the kernel log is quiet while init runs.
        #expect(command.runQemuArguments(initrd: "/i.apus") == ["--smp", "1", "--memory", "128M", "--initrd", "/i.apus", "--", "quiet"])
    }

    @Test func execAndDirectories() throws {
        let command = try parse(["--exec", "echo hi; ls /", "--dir", "/tmp::/data", "--dir", "/tmp"])
        #expect(command.exec == "echo hi; ls /")
        #expect(RunCommand.consoleScript(command.exec ?? "") == "echo hi; ls /\n")
        #expect(RunCommand.consoleScript("ls\n") == "ls\n")
        #expect(RunCommand.directoryMapping("/tmp::/data") == ("/tmp", "data"))
        #expect(RunCommand.directoryMapping("/tmp") == ("/tmp", ""))
        #expect(command.runQemuArguments(initrd: "x").last == "quiet")
        for arguments in [["--dir", "/no/such/directory"], ["--init", "init-hello", "--exec", "ls"],
                          ["--init", "init-hello", "--dir", "/tmp"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try ApusCommand.parseAsRoot(["run"] + arguments) }
        }
        let missing = ApusCommand.message(for: ValidationErrorProbe.error(["run", "--dir", "/no/such/directory"]))
        #expect(missing.contains("no directory /no/such/directory"))
    }

    @Test func disk() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("apus-disk-\(UUID().uuidString).img")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data(count: 4096)))
        defer { try? FileManager.default.removeItem(at: file) }
        let command = try parse(["--disk", file.path])
        #expect(command.runQemuArguments(initrd: "x") == ["--smp", "1", "--memory", "128M", "--initrd", "x",
                                                           "--disk", file.path, "--", "quiet"])
        let missing = ApusCommand.message(for: ValidationErrorProbe.error(["run", "--disk", "/no/such/disk.img"]))
        #expect(missing.contains("--disk /no/such/disk.img: no such file, and no directory /no/such"))
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["run", "--disk", "/tmp"]) }
        // A missing image in an existing directory is made at boot: ext2, 4 KiB blocks, 256 MiB.
        let new = FileManager.default.temporaryDirectory.appendingPathComponent("apus-new-\(UUID().uuidString).img").path
        #expect(try parse(["--disk", new]).disk == new)
        #expect(RunCommand.formatCommand(new) == ["-q", "-t", "ext2", "-b", "4096", "-L", "apus", new, "256M"])
    }

    @Test func optionsAndKernelCommandLine() throws {
        let command = try parse(["--smp", "4", "--memory", "1G", "--gdb", "--init", "init-hello", "--", "run=image", "test=heap"])
        #expect(command.smp == 4)
        #expect(command.gdb)
        #expect(command.`init` == "init-hello")
        #expect(command.kernelArguments == ["run=image", "test=heap"])
        #expect(command.runQemuArguments(initrd: "x") == ["--smp", "4", "--memory", "1024M", "--initrd", "x", "--", "run=image test=heap"])
        // Words after "--" are the kernel's even when they look like options.
        #expect(try parse(["--", "--smp", "9"]).kernelArguments == ["--smp", "9"])
    }

    @Test func badArgumentsAreRejected() {
        for arguments in [["--smp", "0"], ["--smp", "65"], ["--smp", "x"], ["--memory", "12"], ["--memory", "lots"],
                          ["--memory", "100T"], ["--memory", "99999999999999999999G"], ["--memory", ""], ["--init", "../x"],
                          ["--init", ""], ["extra"], ["--frobnicate"], ["--", "a\"b"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try ApusCommand.parseAsRoot(["run"] + arguments) }
        }
    }

    @Test func errorMessagesSayWhatIsWrong() {
        let message = ApusCommand.message(for: ValidationErrorProbe.error(["run", "--smp", "0"]))
        #expect(message.contains("--smp must be between 1 and 64"))
        let memory = ApusCommand.message(for: ValidationErrorProbe.error(["run", "--memory", "lots"]))
        #expect(memory.contains("--memory must be a size"))
    }

    @Test func memorySizes() {
        #expect(RunCommand.memoryMiB("128M") == 128)
        #expect(RunCommand.memoryMiB("512") == 512)
        #expect(RunCommand.memoryMiB("2g") == 2048)
        #expect(RunCommand.memoryMiB("63M") == nil)
        #expect(RunCommand.memoryMiB("65G") == nil)
        #expect(RunCommand.memoryMiB("-1G") == nil)
        #expect(RunCommand.memoryMiB("G") == nil)
        #expect(RunCommand.memoryMiB("١٢٨M") == nil)
    }

    @Test func findsTheRepositoryFromTheExecutableOrTheCurrentDirectory() throws {
        let fileManager = FileManager.default
        let root = fileManager.temporaryDirectory.appendingPathComponent("apus-run-\(UUID().uuidString)")
        defer { try? fileManager.removeItem(at: root) }
        try fileManager.createDirectory(at: root.appendingPathComponent("kernel"), withIntermediateDirectories: true)
        try fileManager.createDirectory(at: root.appendingPathComponent(".build/debug"), withIntermediateDirectories: true)
        try fileManager.createDirectory(at: root.appendingPathComponent("Sources/x"), withIntermediateDirectories: true)
        try "".write(to: root.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\n".write(to: root.appendingPathComponent("kernel/build"), atomically: true, encoding: .utf8)
        try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent("kernel/build").path)
        let elsewhere = fileManager.temporaryDirectory.path

        let fromExecutable = try KernelWorkspace.locate(executablePath: root.appendingPathComponent(".build/debug/apus").path,
                                                        currentDirectory: elsewhere)
        #expect(fromExecutable.root.standardizedFileURL.path == root.standardizedFileURL.path)
        let fromDirectory = try KernelWorkspace.locate(executablePath: "/usr/bin/apus", currentDirectory: root.appendingPathComponent("Sources/x").path)
        #expect(fromDirectory.root.standardizedFileURL.path == root.standardizedFileURL.path)
        #expect(fromDirectory.buildDirectory.path.hasSuffix(".build-kernel/x86_64") || ProcessInfo.processInfo.environment["KERNEL_BUILD_DIR"] != nil)

        do {
            _ = try KernelWorkspace.locate(executablePath: "/usr/bin/apus", currentDirectory: "/")
            Issue.record("no repository above / and /usr/bin")
        } catch {
            #expect(error.description.contains("cannot find the Apus repository"))
        }
    }

    @Test func buildDirectoryComesFromTheEnvironment() {
        let root = URL(fileURLWithPath: "/repo")
        #expect(KernelWorkspace(root: root, environment: [:]).buildDirectory.path == "/repo/.build-kernel/x86_64")
        #expect(KernelWorkspace(root: root, environment: ["KERNEL_BUILD_DIR": "/tmp/k"]).buildDirectory.path == "/tmp/k")
    }

    @Test func wastInKernelOptions() throws {
        let command = try #require(try ApusCommand.parseAsRoot(["wast", "--in-kernel", "--smp", "2", "a.wast"]) as? WastCommand)
        #expect(command.inKernel)
        #expect(command.smp == 2)
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["wast", "--smp", "2", "a.wast"]) }
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["wast", "--no-build", "a.wast"]) }
        #expect(try ApusCommand.parseAsRoot(["run", "--no-build"]) is RunCommand)
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["wast", "--in-kernel", "--json", "x", "a.wast"]) }
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["wast", "--in-kernel", "--timeout", "0", "a.wast"]) }
    }

    @Test func inKernelReportParsesTheSerialLines() {
        var report = InKernelSpecRun.Report()
        for line in ["[    0.1] cpu0 INFO  spec: bundle of 3 KiB", "spec| i32.wast: 10 passed, 1 failed, 2 skipped",
                     "spec|   line 5: assert_return: expected i32:1, got i32:2", "spec| total: 10 passed, 1 failed, 2 skipped",
                     "spec| time: 1234 ms"] {
            report.consume(line)
        }
        #expect(report.lines == ["i32.wast: 10 passed, 1 failed, 2 skipped", "  line 5: assert_return: expected i32:1, got i32:2"])
        #expect(report.totals == SpecCounts(passed: 10, failed: 1, skipped: 2))
        #expect(report.milliseconds == 1234)
        #expect(InKernelSpecRun.Report.counts("1 passed, 2 failed") == nil)
    }
}

/// The parse error of an argument list (for checking messages).
enum ValidationErrorProbe {
    static func error(_ arguments: [String]) -> Error {
        do {
            _ = try ApusCommand.parseAsRoot(arguments)
            return CleanExit.message("parsed")
        } catch {
            return error
        }
    }
}
