import WasmCompiler
import Dispatch
import Foundation

/// `apus wast --in-kernel`: the scripts, parsed here, become a spec bundle that the kernel runs
/// (`run=spec`, KernelSpecRunner) with the same shared executor as the hosted run; this side
/// builds the kernel and the boot image, boots QEMU and reads the results off the serial console.
struct InKernelSpecRun {
    var scripts: [String]
    var smp: Int
    var memory = "1G"
    var timeoutSeconds: Int
    /// Build the kernel first (kernel/build), or use the one in the build folder.
    var buildKernel = true
    /// The kernel's compiler tier (kernel command line `tier=…`), and with tiered, whether
    /// everything tiers up at once (`tierup=0`, the only threshold the kernel takes besides its default).
    var tier: CompilerTier = .tiered
    var tierUpAtOnce = false

    /// What the kernel printed, parsed.
    struct Report: Equatable {
        /// The per-script and per-failure lines, as `apus wast` prints them.
        var lines: [String] = []
        var totals: SpecCounts?
        /// The kernel's own run time of the bundle, in milliseconds.
        var milliseconds: Int?
        var errors: [String] = []

        /// Takes one line of serial output (kernel log lines are ignored).
        mutating func consume(_ line: String) {
            guard let range = line.range(of: "spec| ") else { return }
            let text = String(line[range.upperBound...])
            if text.hasPrefix("total: ") {
                totals = Self.counts(String(text.dropFirst("total: ".count)))
            } else if text.hasPrefix("time: ") {
                milliseconds = Int(text.dropFirst("time: ".count).prefix { $0.isNumber })
            } else if text.hasPrefix("error: ") {
                errors.append(text)
            } else {
                lines.append(text)
            }
        }

        /// Parses `N passed, N failed, N skipped`.
        static func counts(_ text: String) -> SpecCounts? {
            let words = text.split(separator: " ")
            guard words.count == 6, words[1] == "passed,", words[3] == "failed,", words[5] == "skipped",
                  let passed = Int(words[0]), let failed = Int(words[2]), let skipped = Int(words[4])
            else { return nil }
            return SpecCounts(passed: passed, failed: failed, skipped: skipped)
        }
    }

    /// Runs everything; prints the kernel's result lines and, last, the totals. Returns whether
    /// the run finished with no failure.
    func run() throws(KernelCommandError) -> Bool {
        let workspace = try KernelWorkspace.locate()
        try KernelWorkspace.ensureQEMU()

        let start = Date()
        var translated: [SpecScript] = []
        for path in scripts { translated.append(SpecScriptTranslator.translate(path: path)) }
        let bundle = SpecBundle.write(translated)
        try KernelWorkspace.createDirectory(workspace.buildDirectory)
        let bundleFile = workspace.buildDirectory.appendingPathComponent("spec.apusspec")
        do {
            try Data(bundle).write(to: bundleFile)
        } catch {
            throw KernelCommandError("cannot write " + bundleFile.path + ": " + (error as NSError).localizedDescription)
        }
        StandardError.write("apus: " + String(translated.count) + " scripts in a spec bundle of "
            + String(bundle.count / 1024) + " KiB (" + workspace.relative(bundleFile) + ")\n")

        try workspace.prepareKernel(build: buildKernel)
        let image = workspace.buildDirectory.appendingPathComponent("spec.apus")
        try workspace.makeImage(image, entries: ["spec=" + bundleFile.path])

        let log = workspace.buildDirectory.appendingPathComponent("spec-in-kernel.log")
        StandardError.write("apus: booting the kernel (TCG, " + String(smp) + " CPU(s), timeout " + String(timeoutSeconds)
            + " s; serial log " + workspace.relative(log) + ")\n")
        let bootStart = Date()
        let (status, report, timedOut) = try boot(workspace, image: image, log: log)
        let seconds = Date().timeIntervalSince(bootStart)

        for line in report.lines { StandardOutput.write(line + "\n") }
        for error in report.errors { StandardError.write("kernel: " + error + "\n") }
        var kernelTime = ""
        if let milliseconds = report.milliseconds { kernelTime = ", bundle run " + String(milliseconds / 1000) + " s" }
        StandardError.write("apus: in-kernel run: QEMU " + String(Int(seconds)) + " s" + kernelTime
            + " (total " + String(Int(Date().timeIntervalSince(start))) + " s)\n")
        if timedOut { throw KernelCommandError("QEMU did not finish within " + String(timeoutSeconds) + " s (log: " + log.path + ")") }
        guard status == 33 else {
            let what = status == 35 ? "the kernel panicked" : "QEMU exited with status " + String(status)
            throw KernelCommandError(what + " before the spec run finished (log: " + log.path + ")")
        }
        guard let totals = report.totals else { throw KernelCommandError("the kernel printed no totals (log: " + log.path + ")") }
        StandardOutput.write(totals.description + "\n")
        return totals.failed == 0 && report.errors.isEmpty
    }

    /// Boots QEMU with the image; returns its exit status, the parsed report and whether the
    /// timeout ended it. Every serial line goes to `log`.
    private func boot(_ workspace: KernelWorkspace, image: URL, log: URL) throws(KernelCommandError) -> (Int32, Report, Bool) {
        var report = Report()
        let outcome = try workspace.boot(image: image, commandLine: "run=spec tier=" + tier.rawValue + (tierUpAtOnce ? " tierup=0" : ""), smp: smp, memory: memory,
                                         timeoutSeconds: timeoutSeconds, log: log) { report.consume($0) }
        return (outcome.status, report, outcome.timedOut)
    }
}
