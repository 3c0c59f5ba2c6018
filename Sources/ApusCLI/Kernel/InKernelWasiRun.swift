import Dispatch
import Foundation

/// `apus wasi-test --in-kernel`: every test's module and directories go into one boot image
/// (modules as entries `w0`, `w1`, …; each distinct test directory as a tree `d0`, `d1`, … of
/// the kernel's file system; the list of tests as the file `wasi.list`), the kernel runs them
/// one after the other (`run=wasi-tests`, KernelWasiTestRunner) and prints exit statuses and
/// output on the serial line; this side compares them with the specifications exactly as the
/// hosted `apus wasi-test` does (`WasiTestCommand.judge`).
struct InKernelWasiRun {
    var tests: [String]
    var smp: Int
    var memory = "1G"
    var timeoutSeconds: Int
    var buildKernel = true
    var verbose = false

    /// One test's results as the kernel printed them.
    struct KernelResult {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var trap: String?
        var status: Int64?
        var errors: [String] = []
    }

    /// Everything read off the serial line.
    struct Report {
        var results: [Int: KernelResult] = [:]
        var done = false
        var milliseconds: Int?

        /// Takes one line of serial output (kernel log lines are ignored).
        mutating func consume(_ line: String) {
            guard let range = line.range(of: "wasi| ") else { return }
            let words = line[range.upperBound...].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard let kind = words.first else { return }
            if kind == "done" {
                done = true
                if words.count > 2 { milliseconds = Int(words[2]) }
                return
            }
            guard words.count >= 2, let index = Int(words[1]) else { return }
            let value = words.count > 2 ? String(words[2]) : ""
            var result = results[index] ?? KernelResult()
            switch kind {
            case "out": result.stdout += Self.bytes(fromHex: value)
            case "err": result.stderr += Self.bytes(fromHex: value)
            case "trap": result.trap = value
            case "exit": result.status = Int64(value)
            case "error": result.errors.append(value)
            default: break
            }
            results[index] = result
        }

        static func bytes(fromHex text: String) -> [UInt8] {
            var bytes: [UInt8] = []
            var high: UInt8?
            for character in text.utf8 {
                let digit: UInt8
                switch character {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = character - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = character - UInt8(ascii: "a") + 10
                default: continue
                }
                if let first = high {
                    bytes.append(first << 4 | digit)
                    high = nil
                } else {
                    high = digit
                }
            }
            return bytes
        }
    }

    /// Runs everything; prints a line per failure or skip (per pass with `verbose`) and the
    /// totals. Returns whether no test failed.
    func run() throws(KernelCommandError) -> Bool {
        let workspace = try KernelWorkspace.locate()
        try KernelWorkspace.ensureQEMU()
        let staging = workspace.buildDirectory.appendingPathComponent("wasi-tests")
        try KernelWorkspace.createDirectory(staging)

        var skipped: [(String, String)] = []
        var runnable: [(path: String, specification: WasiTestCommand.Specification)] = []
        for test in tests {
            switch WasiTestCommand.specification(forTest: test) {
            case .failure(let skip): skipped.append((test, skip.reason))
            case .success(let specification):
                runnable.append((test, specification))
            }
        }

        // The image: modules, directory trees, the list.
        var entries: [String] = []
        var trees: [String: String] = [:]  // host directory → path in the kernel's file system
        var list = ""
        for (index, test) in runnable.enumerated() {
            entries.append("w" + String(index) + "=" + test.path)
            list += "test\t" + hex(String(index)) + "\nmodule\t" + hex("w" + String(index)) + "\n"
            for argument in [(test.path as NSString).lastPathComponent] + test.specification.arguments {
                list += "arg\t" + hex(argument) + "\n"
            }
            for variable in test.specification.environment { list += "env\t" + hex(variable) + "\n" }
            let testDirectory = (test.path as NSString).deletingLastPathComponent
            for directory in test.specification.directories {
                let host = (testDirectory as NSString).appendingPathComponent(directory)
                let tree: String
                if let known = trees[host] {
                    tree = known
                } else {
                    tree = "d" + String(trees.count)
                    trees[host] = tree
                    entries += ["--tree", tree + "=" + host]
                }
                list += "dir\t" + hex(directory) + "\t" + hex(tree) + "\n"
            }
            list += "run\n"
        }
        let listFile = staging.appendingPathComponent("wasi.list")
        do {
            try Data(list.utf8).write(to: listFile)
        } catch {
            throw KernelCommandError("cannot write " + listFile.path + ": " + (error as NSError).localizedDescription)
        }
        entries += ["--file", "wasi.list=" + listFile.path]

        try workspace.prepareKernel(build: buildKernel)
        let image = staging.appendingPathComponent("wasi-tests.apus")
        try workspace.makeImage(image, entries: entries)
        let log = staging.appendingPathComponent("wasi-in-kernel.log")
        StandardError.write("apus: booting the kernel with " + String(runnable.count) + " WASI tests (TCG, "
            + String(smp) + " CPU(s), timeout " + String(timeoutSeconds) + " s; serial log " + workspace.relative(log) + ")\n")
        let start = Date()
        let (status, report, timedOut) = try boot(workspace, image: image, log: log)

        var passed = 0, failed = 0
        for (index, test) in runnable.enumerated() {
            let result = report.results[index] ?? KernelResult()
            let outcome: WasiTestCommand.TestOutcome
            if let trap = result.trap {
                outcome = .trapped(trap)
            } else if let code = result.status, code >= 0, code <= Int64(UInt32.max), result.errors.isEmpty {
                outcome = .exited(UInt32(code))
            } else if !result.errors.isEmpty {
                outcome = .failed("kernel: " + result.errors.joined(separator: "; "))
            } else {
                outcome = .failed(result.status == nil ? "no result from the kernel" : "could not run")
            }
            let verdict = WasiTestCommand.judge(test.specification, outcome,
                                                stdout: String(decoding: result.stdout, as: UTF8.self),
                                                stderr: String(decoding: result.stderr, as: UTF8.self))
            switch verdict {
            case .passed:
                passed += 1
                if verbose { print("PASS " + test.path) }
            case .failed(let reason):
                failed += 1
                print("FAIL " + test.path + ": " + reason)
            case .skipped(let reason):
                skipped.append((test.path, reason))
            }
        }
        for (path, reason) in skipped { print("SKIP " + path + ": " + reason) }
        var kernelTime = ""
        if let milliseconds = report.milliseconds { kernelTime = ", tests run " + String(milliseconds / 1000) + " s in the kernel" }
        StandardError.write("apus: QEMU " + String(Int(Date().timeIntervalSince(start))) + " s" + kernelTime + "\n")
        print(String(passed) + " passed, " + String(failed) + " failed, " + String(skipped.count) + " skipped")
        if timedOut { throw KernelCommandError("QEMU did not finish within " + String(timeoutSeconds) + " s (log: " + log.path + ")") }
        guard status == 33, report.done else {
            let what = status == 35 ? "the kernel panicked" : "QEMU exited with status " + String(status)
            throw KernelCommandError(what + " before the tests finished (log: " + log.path + ")")
        }
        return failed == 0
    }

    /// The list's value encoding: UTF-8 bytes in lowercase hexadecimal.
    func hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef")
        var result = ""
        for byte in text.utf8 {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 15)])
        }
        return result
    }

    /// Boots QEMU with the image; returns its exit status, the parsed report and whether the
    /// timeout ended it. Every serial line goes to `log`.
    private func boot(_ workspace: KernelWorkspace, image: URL, log: URL) throws(KernelCommandError) -> (Int32, Report, Bool) {
        var report = Report()
        let outcome = try workspace.boot(image: image, commandLine: "run=wasi-tests", smp: smp, memory: memory,
                                         timeoutSeconds: timeoutSeconds, log: log) { report.consume($0) }
        return (outcome.status, report, outcome.timedOut)
    }
}
