import Foundation
import HostedPlatform
import WASIPreview1
import WasmFrontEnd
import WasmRuntime

/// The `apus` import module (process calls, docs/USERSPACE.md) in hosted mode.
///
/// Every program runs as a process with its own `Store` and `WASIContext`; all share the standard
/// streams and preopened directories given here. There is one thread: `spawn` loads and compiles
/// a program (a process in state `ready`) and `wait` runs it to completion on the caller's stack.
/// A trap in a child ends only the child; `wait` reports status 134, and the trap is written to
/// the shared standard error. `shutdown` unwinds every running process; the root's outcome is
/// then a normal exit with status 0.
public final class ApusProcessHost {
    /// The import module name.
    public static let moduleName = "apus"
    /// `wait` status of a process ended by a trap (128 + SIGABRT, as a shell reports it).
    public static let trappedStatus: Int32 = 134
    /// `wait` status of a process ended by `kill` (128 + SIGKILL).
    public static let killedStatus: Int32 = 137
    /// Most processes that exist at once, and most nested running processes.
    public static let processLimit = 64
    public static let nestingLimit = 16

    /// Life cycle of a process. `ready`: spawned, not yet run (hosted children start in `wait`).
    public enum State: String {
        case ready, running, killed
    }

    final class Process {
        let pid: Int32
        let parent: Int32
        let name: String
        let module: WasmModule
        var arguments: [String]
        var environment: [String]
        var state: State = .ready
        var context: WASIContext?
        var killRequested = false
        /// The standard streams it starts with (nil: the host's), from its parent's descriptors.
        var standardStreams: [WASIStream?] = [nil, nil, nil]
        /// The detail of its last failed `spawn` (`spawn_error`).
        var spawnError: [UInt8] = []

        init(pid: Int32, parent: Int32, name: String, module: WasmModule, arguments: [String], environment: [String]) {
            self.pid = pid
            self.parent = parent
            self.name = name
            self.module = module
            self.arguments = arguments
            self.environment = environment
        }
    }

    /// Where programs are found by name (`NAME.wasm`); nil: `spawn` finds nothing.
    public let programsDirectory: String?
    let engine: Engine
    let stdin: any WASIFile
    let stdout: any WASIFile
    let stderr: any WASIFile
    let preopens: [(directory: any WASIFile, guestPath: String, readOnly: Bool)]
    let clock: any WASIClock
    let random: any WASIRandomSource
    let startTime: UInt64
    private var processes: [Int32: Process] = [:]
    private var nextPID: Int32 = 1
    private var depth = 0
    /// Set by `shutdown`: every running process unwinds.
    public private(set) var shutdownRequested = false

    public init(programsDirectory: String?, engine: Engine, stdin: any WASIFile, stdout: any WASIFile,
                stderr: any WASIFile, preopens: [(directory: any WASIFile, guestPath: String, readOnly: Bool)],
                clock: any WASIClock = HostClock(), random: any WASIRandomSource = HostRandom()) {
        self.programsDirectory = programsDirectory
        self.engine = engine
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.preopens = preopens
        self.clock = clock
        self.random = random
        startTime = clock.now(.monotonic) ?? 0
    }

    /// Runs `module` as the first process (pid 1, its own parent) to completion.
    public func runRoot(module: WasmModule, name: String, arguments: [String], environment: [String])
        -> WASIProgram.Outcome {
        var name = name
        if name.hasSuffix(".wasm") { name.removeLast(5) }
        let process = Process(pid: allocatePID(), parent: 0, name: name, module: module, arguments: arguments,
                              environment: environment)
        processes[process.pid] = process
        defer { processes[process.pid] = nil }
        let outcome = run(process)
        if shutdownRequested { return .exited(0) }
        return outcome
    }

    /// Instantiates and runs one process on this thread.
    func run(_ process: Process) -> WASIProgram.Outcome {
        let context = WASIContext(arguments: process.arguments, environment: process.environment, stdin: stdin,
                                  stdout: stdout, stderr: stderr, clock: clock, random: random)
        for preopen in preopens {
            context.addPreopen(preopen.directory, guestPath: preopen.guestPath, readOnly: preopen.readOnly)
        }
        for (fd, stream) in process.standardStreams.enumerated() {
            if let stream { context.setStandardStream(UInt32(fd), stream) }
        }
        // The process holds its streams only through its context: a pipe's end closes when
        // the last program using it ends.
        process.standardStreams = [nil, nil, nil]
        let store = Store(engine: engine)
        let linker = Linker()
        context.define(in: linker, store: store)
        define(in: linker, store: store, process: process)
        process.context = context
        process.state = .running
        depth += 1
        defer {
            depth -= 1
            process.context = nil
        }
        return WASIProgram.instantiateAndRun(process.module, linker: linker, store: store, context: context)
    }

    private func allocatePID() -> Int32 {
        let pid = nextPID
        nextPID = nextPID == Int32.max ? 2 : nextPID + 1
        return pid
    }

    // MARK: The import module

    /// Defines the `apus` functions for `process` in `linker`.
    func define(in linker: Linker, store: Store, process: Process) {
        let i32 = ValueType.i32
        func function(_ name: String, _ parameters: [ValueType], _ results: [ValueType],
                      _ body: @escaping (GuestBytes, [UInt32]) throws(Trap) -> Value) {
            linker.defineFunction(store: store, module: ApusProcessHost.moduleName, name: name,
                                  type: FunctionType(parameters: parameters, results: results)) {
                [unowned self, unowned process] _, values throws(Trap) in
                try self.deliverPendingKill(to: process)
                let memory = GuestBytes(process.context?.memory)
                let arguments = values.map { value -> UInt32 in
                    if case .i32(let bits) = value { return bits }
                    return 0
                }
                return [try body(memory, arguments)]
            }
        }
        function("spawn", [i32, i32, i32, i32, i32, i32], [i32]) { [unowned self, unowned process] memory, a throws(Trap) in
            .i32(UInt32(bitPattern: self.spawn(from: process, memory: memory, name: (a[0], a[1]),
                                               arguments: (a[2], a[3]), environment: (a[4], a[5]),
                                               standardStreams: [0, 1, 2], inherited: true)))
        }
        function("spawn_stdio", [i32, i32, i32, i32, i32, i32, i32], [i32]) {
            [unowned self, unowned process] memory, a throws(Trap) in
            guard let list = memory.bytes(a[6], 12) else { return .i32(UInt32(bitPattern: -Int32(WASIErrno.fault.rawValue))) }
            var streams: [UInt32] = []
            for index in 0..<3 {
                var fd: UInt32 = 0
                for byte in 0..<4 { fd |= UInt32(list[index * 4 + byte]) << UInt32(byte * 8) }
                streams.append(fd)
            }
            return .i32(UInt32(bitPattern: self.spawn(from: process, memory: memory, name: (a[0], a[1]),
                                                      arguments: (a[2], a[3]), environment: (a[4], a[5]),
                                                      standardStreams: streams, inherited: false)))
        }
        function("spawn_error", [i32, i32], [i32]) { [unowned process] memory, a throws(Trap) in
            .i32(UInt32(bitPattern: memory.report(process.spawnError, to: a[0], capacity: a[1])))
        }
        function("pipe", [i32], [i32]) { [unowned process] memory, a throws(Trap) in
            .i32(UInt32(ApusProcessHost.pipe(for: process, memory: memory, at: a[0]).rawValue))
        }
        function("wait", [i32], [i32]) { [unowned self, unowned process] _, a throws(Trap) in
            .i32(UInt32(bitPattern: try self.wait(from: process, pid: Int32(bitPattern: a[0]))))
        }
        function("kill", [i32], [i32]) { [unowned self, unowned process] _, a throws(Trap) in
            .i32(UInt32(try self.kill(from: process, pid: Int32(bitPattern: a[0])).rawValue))
        }
        function("getpid", [], [i32]) { [unowned process] _, _ throws(Trap) in
            .i32(UInt32(bitPattern: process.pid))
        }
        function("ps", [i32, i32], [i32]) { [unowned self] memory, a throws(Trap) in
            .i32(UInt32(bitPattern: memory.report(self.processListing(), to: a[0], capacity: a[1])))
        }
        function("meminfo", [i32, i32], [i32]) { [unowned self] memory, a throws(Trap) in
            .i32(UInt32(bitPattern: memory.report(self.memoryReport(), to: a[0], capacity: a[1])))
        }
        function("uptime_ns", [], [.i64]) { [unowned self] _, _ throws(Trap) in
            .i64((self.clock.now(.monotonic) ?? self.startTime) &- self.startTime)
        }
        function("shutdown", [], [i32]) { [unowned self] _, _ throws(Trap) in
            self.shutdownRequested = true
            throw Trap(message: "shutdown")
        }
        function("yield", [], [i32]) { _, _ throws(Trap) in .i32(0) }
    }

    /// A `kill` or `shutdown` that reached a running process takes effect at its next call.
    private func deliverPendingKill(to process: Process) throws(Trap) {
        if shutdownRequested { throw Trap(message: "shutdown") }
        if process.killRequested { throw Trap(message: "killed") }
    }

    /// `spawn`: the pid of a new `ready` process, or a negative errno. `name` is a program of the
    /// programs directory or, with a `/`, the absolute path of a module file the parent can
    /// reach through its preopens. `standardStreams`: the parent's descriptors that become the
    /// child's 0, 1 and 2 (`inherited`, plain `spawn`: those the parent has open, the host's
    /// streams for the others; otherwise each must be open).
    func spawn(from parent: Process, memory: GuestBytes, name: (UInt32, UInt32), arguments: (UInt32, UInt32),
               environment: (UInt32, UInt32), standardStreams: [UInt32], inherited: Bool) -> Int32 {
        guard let nameBytes = memory.bytes(name.0, name.1), let argumentBytes = memory.bytes(arguments.0, arguments.1),
              let environmentBytes = memory.bytes(environment.0, environment.1) else {
            return -Int32(WASIErrno.fault.rawValue)
        }
        parent.spawnError = []
        func refuse(_ errno: WASIErrno, _ detail: String = "") -> Int32 {
            parent.spawnError = Array(detail.utf8)
            return -Int32(errno.rawValue)
        }
        guard processes.count < ApusProcessHost.processLimit else { return refuse(.again) }
        var streams: [WASIStream?] = []
        for fd in standardStreams {
            let stream = parent.context?.stream(fd)
            if stream == nil && !inherited { return refuse(.badFileDescriptor) }
            streams.append(stream)
        }
        let requested = String(decoding: nameBytes, as: UTF8.self)
        var programName: String
        let data: [UInt8]
        if nameBytes.contains(UInt8(ascii: "/")) {
            guard let context = parent.context else { return refuse(.noEntry) }
            do throws(WASIErrno) {
                data = try context.readFile(atPath: requested)
            } catch {
                return refuse(error)
            }
            programName = requested.split(separator: "/").last.map(String.init) ?? requested
        } else {
            programName = requested
            guard ApusProcessHost.isProgramName(programName.hasSuffix(".wasm") ? String(programName.dropLast(5)) : programName),
                  let programsDirectory,
                  let contents = FileManager.default.contents(atPath: programsDirectory + "/" + programName
                                                                  + (programName.hasSuffix(".wasm") ? "" : ".wasm"))
            else { return refuse(.noEntry) }
            data = [UInt8](contents)
        }
        if programName.hasSuffix(".wasm") { programName.removeLast(5) }
        let module: WasmModule
        do throws(WasmError) {
            module = try WasmModule(engine: engine, bytes: data)
        } catch {
            return refuse(.noExec, error.description)
        }
        var argv = ApusProcessHost.split(argumentBytes)
        if argv.isEmpty { argv = [programName] }
        let environmentList = environmentBytes.isEmpty ? parent.environment : ApusProcessHost.split(environmentBytes)
        let child = Process(pid: allocatePID(), parent: parent.pid, name: programName, module: module,
                            arguments: argv, environment: environmentList)
        child.standardStreams = streams
        processes[child.pid] = child
        return child.pid
    }

    /// `wait`: runs a `ready` child to completion and reaps it; its status or a negative errno.
    func wait(from parent: Process, pid: Int32) throws(Trap) -> Int32 {
        guard let child = processes[pid], child.parent == parent.pid, child.pid != parent.pid else {
            return -Int32(WASIErrno.child.rawValue)
        }
        defer { processes[pid] = nil }
        if child.state == .killed { return ApusProcessHost.killedStatus }
        guard depth < ApusProcessHost.nestingLimit else { return -Int32(WASIErrno.again.rawValue) }
        let status: Int32
        switch run(child) {
        case .exited(let code):
            status = Int32(truncatingIfNeeded: code & 0x7fff_ffff)
        case .trapped(let trap):
            if shutdownRequested { throw Trap(message: "shutdown") }
            if child.killRequested {
                status = ApusProcessHost.killedStatus
            } else {
                stderr.writeText(child.name + ": trap: " + trap.description + "\n")
                status = ApusProcessHost.trappedStatus
            }
        case .failed(let message):
            stderr.writeText(child.name + ": " + message + "\n")
            status = ApusProcessHost.trappedStatus
        }
        try deliverPendingKill(to: parent)
        return status
    }

    /// `pipe`: a new pipe whose read and write ends become descriptors of `process`, stored at
    /// `address` (two i32). Hosted programs run one at a time, so the pipe buffers everything
    /// and an empty one reads as end of file (`WASIPipe`).
    static func pipe(for process: Process, memory: GuestBytes, at address: UInt32) -> WASIErrno {
        guard let base = memory.base, UInt64(address) + 8 <= memory.size else { return .fault }
        guard let context = process.context else { return .badFileDescriptor }
        let ends = WASIPipe.makeEnds(monitor: nil)
        let reader: UInt32, writer: UInt32
        do throws(WASIErrno) {
            reader = try context.open(ends.reader)
            writer = try context.open(ends.writer)
        } catch {
            return error
        }
        (base + Int(address)).storeBytes(of: reader.littleEndian, as: UInt32.self)
        (base + Int(address) + 4).storeBytes(of: writer.littleEndian, as: UInt32.self)
        return .success
    }

    /// `kill`: ends a process (a `ready` one at once, a running one at its next `apus` call).
    func kill(from caller: Process, pid: Int32) throws(Trap) -> WASIErrno {
        guard let target = processes[pid] else { return .noSuchProcess }
        guard target.parent != 0 else { return .notPermitted }
        switch target.state {
        case .ready: target.state = .killed
        case .killed: break
        case .running:
            target.killRequested = true
            if target === caller { throw Trap(message: "killed") }
        }
        return .success
    }

    /// `ps`: one line per process, `PID PPID STATE MEMORY_BYTES NAME`.
    func processListing() -> [UInt8] {
        var text = ""
        for pid in processes.keys.sorted() {
            guard let process = processes[pid] else { continue }
            let memory = process.context?.memory?.byteCount ?? 0
            text += String(pid) + " " + String(process.parent) + " " + process.state.rawValue + " " + String(memory)
                + " " + process.name + "\n"
        }
        return Array(text.utf8)
    }

    /// `meminfo`: lines `KEY VALUE` — `total`, `used` (linear memories of processes), `free` bytes,
    /// `processes`.
    func memoryReport() -> [UInt8] {
        let total = ProcessInfo.processInfo.physicalMemory
        var used: UInt64 = 0
        for process in processes.values { used &+= process.context?.memory?.byteCount ?? 0 }
        let free = total > used ? total - used : 0
        let text = "total " + String(total) + "\nused " + String(used) + "\nfree " + String(free) + "\nprocesses "
            + String(processes.count) + "\n"
        return Array(text.utf8)
    }

    /// A program name: letters, digits, `-`, `_`, `.`; not starting with `.`.
    static func isProgramName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "."), name.utf8.count <= 255 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    /// NUL-separated strings (a final NUL is optional; empty strings between NULs are kept).
    static func split(_ bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else { return [] }
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        if bytes.last == 0 { parts.removeLast() }
        return parts
    }
}

extension WASIErrno {
    static let noSuchProcess = WASIErrno(71)  // srch
    static let notPermitted = WASIErrno(63)   // perm
}

extension WASIFile {
    /// Writes `text` to a stream, ignoring errors (diagnostics).
    func writeText(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { buffer in try? write(buffer, at: nil) }
    }
}

/// Checked access to the calling process's linear memory during one `apus` call.
struct GuestBytes {
    let base: UnsafeMutableRawPointer?
    let size: UInt64

    init(_ memory: Memory?) {
        base = memory?.baseAddress
        size = memory?.byteCount ?? 0
    }

    /// A copy of `count` bytes at `address`; nil if outside the memory.
    func bytes(_ address: UInt32, _ count: UInt32) -> [UInt8]? {
        if count == 0 { return [] }
        guard let base, UInt64(address) + UInt64(count) <= size else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: base + Int(address), count: Int(count)))
    }

    /// The `ps`/`meminfo` convention: returns the full length of `report`, and writes it to
    /// `address` only if it fits in `capacity` bytes; `-fault` if the buffer is outside memory.
    func report(_ report: [UInt8], to address: UInt32, capacity: UInt32) -> Int32 {
        guard UInt64(address) + UInt64(capacity) <= size else { return -Int32(WASIErrno.fault.rawValue) }
        if report.count <= Int(capacity), let base, !report.isEmpty {
            report.withUnsafeBytes { (base + Int(address)).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        return Int32(clamping: report.count)
    }
}
