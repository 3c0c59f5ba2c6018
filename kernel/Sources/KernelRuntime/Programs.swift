import WASIPreview1
import WasmRuntime

/// A WebAssembly program of the boot image, started by the kernel (`init`) or by another
/// program (`apus.spawn`). Its record outlives the task until the parent has waited for it
/// (or at once when nobody can: no parent, or the parent has ended).
final class Program: TaskExitObserver {
  let pid: UInt32
  /// The program that spawned it (0: the kernel, or the parent has ended).
  var parent: UInt32
  let isInit: Bool
  /// Log compile details (init only: 1,000 programs would flood the console).
  var isVerbose: Bool { isInit }
  /// The exported memory "memory", for host functions (set while the program runs).
  var memory: Memory?
  /// Set by `apus.exit` (which then traps to unwind the wasm stack).
  var exitCode: Int32?
  /// Arguments, environment, streams and preopens for its WASI context.
  let setup: ProgramSetup
  /// Its WASI state while it runs (`proc_exit` leaves the code there).
  var wasi: WASIContext?
  /// The trap kind (`TrapKind` raw value) if it ended with a trap.
  var trapKind: UInt32?
  /// The exit status once the task has been reaped (everything it used returned).
  var status: Int64?
  /// A task blocked in `apus.wait` for this program.
  var waiter: Task?

  init(pid: UInt32, parent: UInt32, isInit: Bool, setup: ProgramSetup) {
    self.pid = pid
    self.parent = parent
    self.isInit = isInit
    self.setup = setup
  }

  func taskEnded(status: Int64) {
    let waiter = Programs.lock.withLock { () -> Task? in
      self.status = status
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

/// The programs of the boot image and the table of running (or unwaited) programs.
enum Programs {
  nonisolated(unsafe) static var image: BootImage?
  nonisolated(unsafe) static var table: [UInt32: Program] = [:]
  nonisolated(unsafe) static let lock = SharedSpinlock()

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

  /// Starts the boot image's program `name` as a child of `parent` (0: the kernel); nil if
  /// there is no such program or no memory for a task. Without a `setup` its arguments are
  /// its name, its environment is empty and its streams are the console.
  static func spawn(named name: TaskName, parent: UInt32, setup: ProgramSetup? = nil) -> Program? {
    guard let entry = entry(named: name) else { return nil }
    let setup = setup ?? ProgramSetup(arguments: [name.string])
    let isInit = parent == 0 && name.count == 4 && name.bytes[0] == 0x69 && name.bytes[1] == 0x6E
      && name.bytes[2] == 0x69 && name.bytes[3] == 0x74  // "init"
    let data = entry.data
    // The record exists before the task can run (and end).
    var created: Program?
    guard let task = Scheduler.makeKernelTask(named: name, fpu: true, {
      if let program = created { KernelWasm.run(program, data) }
    }) else { return nil }
    let program = Program(pid: task.id, parent: parent, isInit: isInit, setup: setup)
    created = program
    task.recordsExit = false
    task.exitObserver = program
    lock.withLock { table[program.pid] = program }
    Scheduler.spawn(task)
    return program
  }

  /// Waits until the child `pid` of `parent` has ended and been reaped; its exit status, or
  /// nil if `pid` is not a child of `parent` (or was already waited for).
  static func wait(for pid: UInt32, parent: UInt32) -> Int64? {
    let task = Scheduler.currentTask
    while true {
      let outcome = lock.withLock { () -> Int64?? in
        guard let program = table[pid], program.parent == parent else { return .some(nil) }
        if let status = program.status {
          table.removeValue(forKey: pid)
          return .some(status)
        }
        program.waiter = task
        return nil
      }
      if let outcome { return outcome }
      Scheduler.block()
    }
  }

  /// `init` from the boot image: the kernel starts it, waits until it ends (other programs
  /// may still run) and reports its status. False if the image has no `init`.
  static func runInit(_ image: BootImage) -> Bool {
    self.image = image
    KernelFiles.seed(from: image)
    var name = TaskName()
    name.append("init")
    guard entry(named: name) != nil else { return false }
    guard let program = spawn(named: name, parent: 0) else { panic("init: cannot start (out of memory)") }
    Scheduler.idle { program.status != nil }
    let status = program.status ?? -1
    let running = Scheduler.liveTasks
    Log.info("init exited with status \(status); \(running) programs still running")
    if status != 0 {
      Log.error("init failed")
      QemuExit.failure()
    }
    return true
  }
}
