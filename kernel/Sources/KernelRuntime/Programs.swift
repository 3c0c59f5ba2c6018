import WASIPreview1
import WasmFrontEnd
import WasmRuntime

/// A WebAssembly program of the boot image, started by the kernel (`init`) or by another
/// program (`apus.spawn`). Its record outlives the task until the parent has waited for it
/// (or at once when nobody can: no parent, or the parent has ended).
///
/// Fields other programs read (`ps`, `kill`, `wait`) change only under `Programs.lock`.
final class Program: TaskExitObserver {
  let pid: UInt32
  let name: TaskName
  /// The program that spawned it (0: the kernel, or the parent has ended).
  var parent: UInt32
  let isInit: Bool
  /// Log compile details (init only, and not with `quiet`: 1,000 programs would flood the console).
  var isVerbose: Bool { isInit && !Programs.quiet }
  /// The task running it until it has ended (then nil: the record must not keep it alive).
  var task: Task?
  /// The exported memory "memory", for host functions and `ps` (set while the program runs).
  var memory: Memory?
  /// Set by `apus.exit` (which then traps to unwind the wasm stack).
  var exitCode: Int32?
  /// Arguments, environment, streams and preopens for its WASI context.
  let setup: ProgramSetup
  /// Its WASI state while it runs (`proc_exit` leaves the code there).
  var wasi: WASIContext?
  /// Its kernel objects (channel ends), named by handles (docs/IPC.md). Used only by the
  /// program's own task; closed when the program ends, so peers see the channel closed.
  let handles = HandleTable()
  /// The channel calls' state (bound to the instance's memory while the program runs).
  var ipc: IPCContext?
  /// The trap kind (`TrapKind` raw value) if it ended with a trap.
  var trapKind: UInt32?
  /// Set by `kill`: the program is being stopped (its status will be `killedStatus`).
  var killed = false
  /// The child it waits for in `apus.wait` (0: none); a waiter whose child waits for nobody is
  /// the console's foreground and turns ^C into a kill of that child.
  var waitingFor: UInt32 = 0
  /// Whether it has started a child while reading the serial console: a shell (or init). Like a
  /// Unix shell that ignores SIGINT, such a program is never the console's foreground itself, so
  /// a ^C typed after a command line and before the shell waits for the command (while the
  /// command's module is read and decoded) stays queued for the command instead of ending the shell.
  var controlsJobs = false
  /// The exit status once the task has been reaped (everything it used returned).
  var status: Int64?
  /// A task blocked in `apus.wait` for this program.
  var waiter: Task?
  /// Why its last `spawn` failed, beyond the errno (`apus.spawn_error`): e.g. the decoder's message.
  var spawnError: [UInt8] = []
  /// Whether its module came from the boot image (not a file): only such programs receive the
  /// devices etc/capabilities grants to their name (a file anyone wrote may carry any name).
  var fromBootImage = false

  /// Whether it reads the serial console (not a pipe or file): the console's ^C may stop what it waits for.
  var readsConsole: Bool {
    guard setup.stdin == nil else { return false }
    guard let stream = setup.standardStreams[0] else { return true }
    return stream.file === KernelWASI.console
  }

  init(pid: UInt32, name: TaskName, parent: UInt32, isInit: Bool, setup: ProgramSetup) {
    self.pid = pid
    self.name = name
    self.parent = parent
    self.isInit = isInit
    self.setup = setup
  }

  func taskEnded(status: Int64) {
    let waiter = Programs.lock.withLock { () -> Task? in
      self.status = status
      task = nil
      if parent == 0 { Programs.table.removeValue(forKey: pid) }
      // Its children: finished ones are forgotten, running ones lose their parent.
      for child in Programs.table.values where child.parent == pid {
        if child.status != nil {
          Programs.table.removeValue(forKey: child.pid)
        } else {
          child.parent = 0
        }
      }
      let waiter = self.waiter
      self.waiter = nil
      return waiter
    }
    if let waiter { Scheduler.wake(waiter) }
  }
}

/// The programs of the boot image and the table of running (or unwaited) programs: the
/// kernel side of the `apus` process calls (docs/USERSPACE.md).
enum Programs {
  nonisolated(unsafe) static var image: BootImage?
  nonisolated(unsafe) static var table: [UInt32: Program] = [:]
  nonisolated(unsafe) static let lock = SharedSpinlock()
  /// `quiet` on the kernel command line (`apus run`): while init runs only warnings are
  /// logged, so the console shows the shell and the programs' own output.
  nonisolated(unsafe) static var quiet = false

  /// At most this many programs exist at once (running or unwaited); `spawn` beyond: EAGAIN.
  static let capacity = 256
  /// Exit statuses of programs that did not end by themselves (as a Unix shell reports them).
  static let trappedStatus: Int64 = 134
  static let killedStatus: Int64 = 137

  /// Why `spawn` refused: a WASI errno and, where there is more to say, the detail.
  struct SpawnError: Error {
    var errno: UInt16
    var detail: String = ""

    static let again = SpawnError(errno: 6), noMemory = SpawnError(errno: 48), noEntry = SpawnError(errno: 44)
  }

  /// The largest linear memory a program may have by default, in 64 KiB pages: half of the
  /// machine's memory (other programs, their code and the kernel need the rest), at least
  /// 16 MiB, at most wasm32's 4 GiB.
  static var defaultMemoryPageLimit: UInt64 {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    let totalBytes = KernelMemory.frames!.statistics.totalFrames &* 4096
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    return min(65536, max(256, totalBytes / 2 / 65536))
  }

  /// The memory limit (pages) of the program `name`: its `memory=SIZE` in etc/capabilities (or
  /// that of `*`), else the default.
  static func memoryPageLimit(for name: String) -> UInt64 {
    if let bytes = KernelServices.manifest?.memoryLimit(for: name) { return min((bytes + 65535) / 65536, 65536) }
    return defaultMemoryPageLimit
  }

  /// The WebAssembly entry `name` of the boot image.
  static func entry(named name: TaskName) -> BootImage.Entry? {
    guard let image else { return nil }
    for entry in image.entries where entry.kind == .wasmModule && entry.name.count == name.count {
      var same = true
      for index in 0..<name.count where entry.name.bytes[index] != name.bytes[index] { same = false }
      if same { return entry }
    }
    return nil
  }

  /// The program name in `bytes` as `spawn` accepts it: letters, digits and `-_.`, at most 23
  /// bytes, an optional `.wasm` suffix dropped. Nil for anything else (paths included).
  static func programName(_ bytes: [UInt8]) -> TaskName? {
    var count = bytes.count
    let suffix: [UInt8] = [0x2E, 0x77, 0x61, 0x73, 0x6D]  // ".wasm"
    if count > suffix.count, Array(bytes[(count - suffix.count)...]) == suffix { count -= suffix.count }
    guard count > 0, count <= 23 else { return nil }
    var name = TaskName()
    for byte in bytes[0..<count] {
      let allowed = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == 0x2D || byte == 0x5F || byte == 0x2E
      guard allowed else { return nil }
      name.append(byte: byte)
    }
    return name
  }

  /// The task name of a program loaded from the file `path`: its last component without
  /// `.wasm`, other bytes than `programName` allows replaced by `_`, cut to 23 bytes.
  static func programName(fromPath path: [UInt8]) -> TaskName? {
    guard let last = path.split(separator: 0x2F).last else { return nil }
    var component = Array(last)
    let suffix: [UInt8] = [0x2E, 0x77, 0x61, 0x73, 0x6D]  // ".wasm"
    if component.count > suffix.count, Array(component[(component.count - suffix.count)...]) == suffix {
      component.removeLast(suffix.count)
    }
    var cleaned: [UInt8] = []
    for byte in component.prefix(23) {
      let allowed = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == 0x2D || byte == 0x5F || byte == 0x2E
      cleaned.append(allowed ? byte : 0x5F)
    }
    return programName(cleaned)
  }

  /// Starts the boot image's program `name` (or, given its `module` bytes, a program loaded
  /// from a file) as a child of `parent` (0: the kernel). The module is decoded here, so a
  /// file that is not a WebAssembly module, or needs more memory than the limit, is refused
  /// with `noexec`/`nomem` and the reason. Without a `setup` its arguments are its name, its
  /// environment is empty and its streams are the console.
  static func spawn(named name: TaskName, module: [UInt8]? = nil, parent: UInt32,
                    setup: ProgramSetup? = nil) -> Result<Program, SpawnError> {
    let bytes: [UInt8]
    if let module {
      bytes = module
    } else {
      guard let entry = entry(named: name) else { return .failure(.noEntry) }
      bytes = Array(entry.data.bindMemory(to: UInt8.self))
    }
    guard lock.withLock({ table.count < capacity }) else { return .failure(.again) }
    let decoded: Module
    do throws(WasmError) {
      decoded = try decodeModule(bytes)
    } catch {
      return .failure(SpawnError(errno: 45, detail: error.description))
    }
    let limit = memoryPageLimit(for: name.string)
    if let memory = decoded.memories.first, memory.limits.min > limit {
      return .failure(SpawnError(errno: 48, detail: "needs " + mebibytes(pages: memory.limits.min)
        + " of memory, the limit is " + mebibytes(pages: limit)))
    }
    let setup = setup ?? ProgramSetup(arguments: [name.string])
    let isInit = parent == 0 && name.count == 4 && name.bytes[0] == 0x69 && name.bytes[1] == 0x6E
      && name.bytes[2] == 0x69 && name.bytes[3] == 0x74  // "init"
    // The record exists before the task can run (and end).
    var created: Program?
    guard let task = Scheduler.makeKernelTask(named: name, fpu: true, {
      if let program = created { KernelWasm.run(program, KernelWasm.Code(bytes: bytes, decoded: decoded, pageLimit: limit)) }
    }) else { return .failure(.noMemory) }
    let program = Program(pid: task.id, name: name, parent: parent, isInit: isInit, setup: setup)
    program.task = task
    program.fromBootImage = module == nil
    created = program
    task.recordsExit = false
    task.logsExit = !quiet || isInit
    task.exitObserver = program
    lock.withLock { table[program.pid] = program }
    Scheduler.spawn(task)
    return .success(program)
  }

  enum WaitOutcome {
    case status(Int64)
    /// `pid` is not an unwaited child of the caller.
    case notChild
    /// The caller was killed while it waited.
    case interrupted
  }

  /// Waits until the child `pid` of `parent` has ended and been reaped; its exit status.
  static func wait(for pid: UInt32, parent: Program) -> WaitOutcome {
    let task = Scheduler.currentTask
    defer { lock.withLock { parent.waitingFor = 0 } }
    while true {
      let outcome = lock.withLock { () -> WaitOutcome? in
        guard let child = table[pid], child.parent == parent.pid else { return .notChild }
        if let status = child.status {
          table.removeValue(forKey: pid)
          return .status(status)
        }
        child.waiter = task
        parent.waitingFor = pid
        return nil
      }
      if let outcome { return outcome }
      if task.killRequested { return .interrupted }
      Scheduler.block()
    }
  }

  /// The console's foreground program: the child that a program reading the serial console
  /// waits for, if that child waits for nobody itself (the command a shell runs) and is not a
  /// shell between commands (`controlsJobs`). Nil if none.
  static func foregroundProgram() -> UInt32? {
    lock.withLock { () -> UInt32? in
      for program in table.values where program.waitingFor != 0 && program.readsConsole {
        guard let child = table[program.waitingFor], child.status == nil, child.waitingFor == 0,
              !child.killed, !(child.controlsJobs && child.readsConsole)
        else { continue }
        return child.pid
      }
      return nil
    }
  }

  /// Programs that have not ended (running, or waiting to run).
  static var runningCount: Int {
    lock.withLock { table.values.filter { $0.status == nil }.count }
  }

  /// Ends program `pid`: 0, or a WASI errno (71 srch: no such running program; 63 perm: init).
  /// A program running compiled code is interrupted at its next timer tick (the runtime
  /// unwinds it like a trap, so everything it holds is released); one blocked in the kernel
  /// is woken and its host call returns with the interruption.
  static func kill(_ pid: UInt32, by killer: Program?) -> UInt16 {
    let outcome = lock.withLock { () -> (errno: UInt16, task: Task?) in
      guard let target = table[pid], target.status == nil, let task = target.task else { return (71, nil) }
      if target.isInit { return (63, nil) }
      target.killed = true
      task.killRequested = true
      return (0, task)
    }
    if let task = outcome.task { Scheduler.wake(task) }
    return outcome.errno
  }

  /// `ps`: one line per program, `PID PPID STATE MEMORY_BYTES NAME`.
  static func processList() -> [UInt8] {
    var text = ReportText()
    lock.withLock {
      for pid in table.keys.sorted() {
        guard let program = table[pid] else { continue }
        text.append(decimal: UInt64(pid))
        text.append(" ")
        text.append(decimal: UInt64(program.parent))
        text.append(" ")
        text.append(stateName(program))
        text.append(" ")
        text.append(decimal: UInt64(program.memory?.byteCount ?? 0))
        text.append(" ")
        for index in 0..<program.name.count { text.bytes.append(program.name.bytes[index]) }
        // Everything committed for it: linear memory, code, VM data, stack (after the name, so
        // readers of the first five fields are unaffected).
        text.append(" ")
        text.append(decimal: program.task.map { UserSpace.committedBytes(owner: $0.id) } ?? 0)
        text.append("\n")
      }
    }
    return text.bytes
  }

  private static func stateName(_ program: Program) -> StaticString {
    if program.status != nil { return "zombie" }
    if program.killed { return "killed" }
    guard let task = program.task else { return "zombie" }
    switch task.state {
    case .running: return "running"
    case .ready: return "ready"
    case .sleeping, .blocked: return "sleeping"
    case .exited: return "zombie"
    }
  }

  /// `meminfo`: lines `KEY VALUE`: total, used (linear memories of programs), free, committed
  /// (all user memory promised to programs), processes.
  static func memoryInfo() -> [UInt8] {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    let frames = KernelMemory.frames!.statistics
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    let (used, count) = lock.withLock { () -> (UInt64, UInt64) in
      var used: UInt64 = 0
      for program in table.values { used &+= UInt64(program.memory?.byteCount ?? 0) }
      return (used, UInt64(table.count))
    }
    var text = ReportText()
    text.append("total ")
    text.append(decimal: frames.totalFrames &* 4096)
    text.append("\nused ")
    text.append(decimal: used)
    text.append("\nfree ")
    text.append(decimal: frames.freeFrames &* 4096)
    // Committed user memory of every program and service (promised frames, backed or not).
    text.append("\ncommitted ")
    text.append(decimal: UserSpace.lock.withLock { UserSpace.committedPages } &* 4096)
    text.append("\nprocesses ")
    text.append(decimal: count)
    text.append("\n")
    return text.bytes
  }

  /// "16 MiB", "1.5 MiB": a size in pages for messages.
  static func mebibytes(pages: UInt64) -> String {
    let sixteenths = pages  // a page is 1/16 MiB
    var text = String(sixteenths / 16)
    if sixteenths % 16 != 0 { text += "." + String((sixteenths % 16) * 10 / 16) }
    return text + " MiB"
  }

  /// `init` from the boot image: the kernel starts it, waits until it ends (other programs
  /// may still run) and reports its status. False if the image has no `init`.
  /// `input`: bytes the console reads before the keyboard (`apus run --exec`), then end of input.
  static func runInit(_ image: BootImage, quiet: Bool) -> Bool {
    self.image = image
    self.quiet = quiet
    KernelFiles.seed(from: image)
    KernelServices.load(from: image)
    ConsoleInput.loadScript(from: image)
    var name = TaskName()
    name.append("init")
    guard entry(named: name) != nil else { return false }
    let setup = ProgramSetup(arguments: [name.string])
    // The serial console does not echo: the shell does (docs/USERSPACE.md).
    setup.environment = ["CONSOLE=raw", "PWD=/"]
    guard case .success(let program) = spawn(named: name, parent: 0, setup: setup) else {
      panic("init: cannot start (out of memory)")
    }
    ConsoleInterrupts.start()
    Scheduler.idle { program.status != nil }
    Log.threshold = .info
    let status = program.status ?? -1
    let running = runningCount
    Log.info("init exited with status \(status); \(running) programs still running")
    if status != 0 {
      Log.error("init failed")
      QemuExit.failure()
    }
    return true
  }

  /// `apus.shutdown`: powers the machine off (QEMU exits with the kernel's success status).
  static func shutdown(by program: Program) -> Never {
    Log.threshold = .info
    Console.withLock { Console.writeUnlocked("\r\n") }
    Log.info("shutdown requested by \(task: Scheduler.currentTask); powering off")
    QemuExit.success()
  }
}

/// Text of any length for `ps` and `meminfo` (TextBuffer holds one log line).
struct ReportText {
  var bytes: [UInt8] = []

  mutating func append(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  mutating func append(decimal value: UInt64) {
    var digits: [UInt8] = []
    var rest = value
    repeat {
      digits.append(0x30 + UInt8(rest % 10))
      rest /= 10
    } while rest > 0
    bytes.append(contentsOf: digits.reversed())
  }
}
