import Foundation

extension KernelWorkspace {
    /// How a boot under QEMU ended.
    struct BootOutcome {
        /// QEMU's exit status (33: the kernel reported success, 35: panic).
        var status: Int32
        /// Whether the timeout ended QEMU.
        var timedOut: Bool
    }

    /// Boots the built kernel under QEMU (kernel/run-qemu) with `image` and `commandLine`, no
    /// serial input, and hands every serial line to `onLine` while it runs; the whole output
    /// also goes to `log`. QEMU is ended after `timeoutSeconds`. Used by the `--in-kernel`
    /// runners, which read the kernel's reports from its serial lines.
    func boot(image: URL, commandLine: String, smp: Int, memory: String, timeoutSeconds: Int, log: URL,
              onLine: (String) -> Void) throws(KernelCommandError) -> BootOutcome {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        guard let logHandle = FileHandle(forWritingAtPath: log.path) else { throw KernelCommandError("cannot write " + log.path) }
        defer { try? logHandle.close() }
        let process = Process()
        process.executableURL = root.appendingPathComponent("kernel/run-qemu")
        process.arguments = ["--smp", String(smp), "--memory", memory, "--initrd", image.path, "--", commandLine]
        var environment = ProcessInfo.processInfo.environment
        environment["KERNEL_IMAGE"] = kernelImage.path
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KernelCommandError("cannot run kernel/run-qemu: " + (error as NSError).localizedDescription)
        }
        let timer = QEMUTimeout(process)
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeoutSeconds)) { timer.fire() }
        var pending = Data()
        let reader = pipe.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            logHandle.write(chunk)
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 10) {
                onLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
        process.waitUntilExit()
        return BootOutcome(status: process.terminationStatus, timedOut: timer.fired)
    }
}

/// Ends QEMU when the time is up; `fired` is read after QEMU ended.
private final class QEMUTimeout: @unchecked Sendable {
    let process: Process
    var fired = false

    init(_ process: Process) { self.process = process }

    func fire() {
        guard process.isRunning else { return }
        fired = true
        process.terminate()
    }
}
