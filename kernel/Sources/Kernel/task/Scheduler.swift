/// Preemptive scheduling of tasks over all CPUs.
///
/// - Each CPU has a FIFO run queue under its own lock; new tasks are spread round-robin, and a
///   CPU whose queue is empty steals the oldest stealable task of another CPU.
/// - The local APIC timer (100 Hz on every CPU) preempts a task that was in user mode when
///   another task is ready; the kernel itself is not preemptible (it runs with interrupts off,
///   except in the idle loop's `sti; hlt`).
/// - Switching saves the callee-saved registers and the stack pointer (`context_switch`), the
///   FPU/SSE state (xsave/fxsave, eagerly) and points the CPU's user-entry stack at the new
///   task's kernel stack. A task switched out is marked `onCPU` until the next context has
///   finished the switch, so no other CPU resumes it half-saved.
/// - Each CPU's idle task (its boot stack) halts until the next interrupt when nothing is ready.
enum Scheduler {
  static let timerHertz: UInt64 = 100

  final class CPUState {
    let number: Int
    let lock = SharedSpinlock()
    var queue: [Task] = []
    var sleeping: [Task] = []
    let idle: Task
    var current: Task
    /// The task switched away from, finished (and reaped if it exited) by the next context.
    var previous: Task? = nil
    var ticks: UInt64 = 0
    var userTicks: UInt64 = 0
    var steals: UInt64 = 0
    /// The idle task waits for a condition (`idle(until:)`): the timer hands it the CPU on
    /// every tick so that it can check, even while a program never leaves user mode.
    var idleWaiting = false

    init(number: Int) {
      self.number = number
      idle = Task(idleFor: number)
      current = idle
      // Room up front, so that the heap counters do not depend on which CPU first queues
      // or puts to sleep several tasks (the programs-churn test compares them).
      queue.reserveCapacity(64)
      sleeping.reserveCapacity(64)
    }
  }

  /// How a task ended (kept for tests and the shell).
  struct ExitRecord {
    var id: UInt32
    var name: TaskName
    var status: Int64
  }

  nonisolated(unsafe) static var cpus: [CPUState] = []
  nonisolated(unsafe) static var isRunning = false
  nonisolated(unsafe) static var nextTaskID: UInt32 = 0
  nonisolated(unsafe) static var nextCPU = 0
  nonisolated(unsafe) static var liveTasks: UInt32 = 0
  nonisolated(unsafe) static var exits: [ExitRecord] = []
  nonisolated(unsafe) static let globalLock = SharedSpinlock()

  /// Creates the per-CPU state (before the other CPUs start).
  static func initialize(cpuCount: Int) {
    for number in 0..<max(cpuCount, 1) { cpus.append(CPUState(number: number)) }
    isRunning = true
  }

  static var this: CPUState { cpus[Int(PerCPU.currentNumber)] }
  static var currentTask: Task { this.current }

  static func allocateTaskID() -> UInt32 {
    globalLock.withLock {
      nextTaskID += 1
      return nextTaskID
    }
  }

  // MARK: Adding and ending tasks

  /// Makes `task` runnable on the next CPU in round-robin order (among the online ones).
  static func spawn(_ task: Task) {
    let online = max(1, min(Int(atomic_load_u32(&SMP.onlineCount)), cpus.count))
    let target = globalLock.withLock { () -> Int in
      liveTasks += 1
      nextCPU = (nextCPU + 1) % online
      return nextCPU
    }
    task.homeCPU = target
    task.state = .ready
    let cpu = cpus[target]
    cpu.lock.withLock { cpu.queue.append(task) }
  }

  /// Starts `body` as a kernel task (it ends when `body` returns). With `fpu` it has FPU state
  /// and may run user code through `UserCall`.
  @discardableResult
  static func spawnKernelTask(_ name: StaticString, fpu: Bool = false, _ body: @escaping () -> Void) -> Task? {
    var taskName = TaskName()
    taskName.append(name)
    return spawnKernelTask(named: taskName, fpu: fpu, body)
  }

  @discardableResult
  static func spawnKernelTask(named name: TaskName, fpu: Bool = false, _ body: @escaping () -> Void) -> Task? {
    guard let task = makeKernelTask(named: name, fpu: fpu, body) else { return nil }
    spawn(task)
    return task
  }

  /// A kernel task that is not runnable yet (`spawn` it once the caller has recorded it).
  static func makeKernelTask(named name: TaskName, fpu: Bool, _ body: @escaping () -> Void) -> Task? {
    guard let stack = KernelStack.allocate() else { return nil }
    var frame = trap_frame()
    frame.cs = UInt64(Descriptors.kernelCode)
    let task = Task(id: allocateTaskID(), name: "", stack: stack, user: frame, fpu: fpu)
    task.name = name
    task.body = ClosureBody(body)
    return task
  }

  /// Ends the running task with `status`; never returns.
  static func exitCurrent(status: Int64) -> Never {
    interrupts_disable()
    markCurrentExited(status: status)
    schedule()
    panic("scheduler: an exited task was resumed")
  }

  /// (Separate so that no reference to the task stays on its dead stack.)
  @inline(never)
  private static func markCurrentExited(status: Int64) {
    let task = currentTask
    task.exitStatus = status
    task.state = .exited
    globalLock.withLock {
      if task.recordsExit { exits.append(ExitRecord(id: task.id, name: task.name, status: status)) }
      liveTasks -= 1
    }
    guard task.logsExit else { return }
    var line = TextBuffer()
    line.appendInterpolation(task: task)
    line.append(": exited with status ")
    line.appendInterpolation(status)
    line.append(" on cpu")
    var cpus = task.cpusRun | 1 << UInt64(this.number & 63)
    if cpus.nonzeroBitCount > 1 { line.append("s") }
    var separator = false
    while cpus != 0 {
      if separator { line.append(",") }
      line.append(" ")
      line.appendInterpolation(UInt64(cpus.trailingZeroBitCount))
      cpus &= cpus - 1
      separator = true
    }
    Log.info(LogMessage(line))
  }

  /// Asks `task` to end: it exits (status -9) the next time it would return to user mode.
  static func kill(_ task: Task) {
    task.killRequested = true
  }

  static func exitStatus(of id: UInt32) -> Int64? {
    globalLock.withLock { exits.first { $0.id == id }?.status }
  }

  // MARK: Blocking

  /// Blocks the running task until `wake(_:)` (at once if a wake came first).
  static func block() {
    let flags = read_rflags()
    interrupts_disable()
    let task = currentTask
    let mustSwitch = globalLock.withLock { () -> Bool in
      if task.wakePending {
        task.wakePending = false
        return false
      }
      task.state = .blocked
      return true
    }
    if mustSwitch { schedule() }
    if flags & CPU.rflagsInterruptEnable != 0 { interrupts_enable() }
  }

  /// Makes a blocked task ready again (or lets its next `block` return at once). It goes to
  /// the queue of the CPU it blocked on: if it is still switching out there, that CPU finishes
  /// the switch before it can pick it, and other CPUs never steal a task still `onCPU`.
  static func wake(_ task: Task) {
    let wasBlocked = globalLock.withLock { () -> Bool in
      guard task.state == .blocked else {
        task.wakePending = true
        return false
      }
      task.state = .ready
      return true
    }
    guard wasBlocked else { return }
    let cpu = cpus[task.homeCPU]
    cpu.lock.withLock { cpu.queue.append(task) }
  }

  /// Lets other tasks run. Also answers a pending TLB shootdown: loops that yield until
  /// another CPU lets go of something may run with interrupts off (host calls), and that CPU
  /// may be waiting for this one's flush.
  static func yield() {
    let flags = read_rflags()
    interrupts_disable()
    TLB.servicePendingShootdown()
    schedule()
    if flags & CPU.rflagsInterruptEnable != 0 { interrupts_enable() }
  }

  static func sleep(microseconds: UInt64) {
    interrupts_disable()
    let cpu = this
    let task = cpu.current
    guard !task.isIdle else { return }
    task.wakeTime = Clock.microsecondsSinceBoot() &+ microseconds
    task.state = .sleeping
    cpu.sleeping.append(task)
    schedule()
  }

  /// Called on the way back to user mode (end of a trap or system call from user mode) with
  /// the user state `frame`. A killed task ends here (status -9), except one running
  /// WebAssembly: its compiled code is interrupted like a trap (`WasmTrapHandler.interrupt`),
  /// so the runtime unwinds and releases what the program holds, and the task ends normally.
  static func beforeReturnToUser(_ frame: UnsafeMutablePointer<trap_frame>) {
    guard currentMustDie() else { return }
    if interruptWasm(frame) { return }
    exitCurrent(status: -9)
  }

  /// False if the task runs no WebAssembly; true if its code was interrupted now or will be
  /// on a later return (it is in a stub or the host-call gate, not in compiled code).
  @inline(never)
  private static func interruptWasm(_ frame: UnsafeMutablePointer<trap_frame>) -> Bool {
    guard let traps = currentTask.wasmTraps else { return false }
    _ = traps.interrupt(frame)
    return true
  }

  /// (No reference to the task may stay in a frame that calls `exitCurrent`.)
  @inline(never)
  private static func currentMustDie() -> Bool {
    let task = currentTask
    return task.killRequested && !task.isIdle
  }

  // MARK: Timer

  /// Every CPU's timer tick: wakes sleepers and preempts a user task when another is ready.
  static func timerTick(fromUser: Bool) {
    guard isRunning else { return }
    let cpu = this
    cpu.ticks &+= 1
    if !cpu.sleeping.isEmpty {
      let now = Clock.microsecondsSinceBoot()
      var index = 0
      while index < cpu.sleeping.count {
        let task = cpu.sleeping[index]
        if task.wakeTime <= now {
          cpu.sleeping.remove(at: index)
          task.state = .ready
          cpu.lock.withLock { cpu.queue.append(task) }
        } else {
          index += 1
        }
      }
    }
    guard fromUser else { return }  // the kernel is not preemptible; idle polls after hlt
    cpu.userTicks &+= 1
    // A killed task is dealt with on the way back to user mode (`beforeReturnToUser`), at once.
    if currentMustDie() { return }
    let task = cpu.current
    if cpu.idleWaiting {
      task.preemptions &+= 1
      schedule(preferIdle: true)
      return
    }
    let others = cpu.lock.withLock { !cpu.queue.isEmpty }
    if others || stealableWorkExists(besides: cpu) {
      task.preemptions &+= 1
      schedule()
    }
  }

  private static func stealableWorkExists(besides cpu: CPUState) -> Bool {
    for other in cpus where other !== cpu {
      // Only steal from a CPU that has more than it is running now.
      if other.lock.withLock({ other.queue.count > 1 }) { return true }
    }
    return false
  }

  // MARK: Switching

  /// Picks the next task for this CPU and switches to it (interrupts off). The current task,
  /// if still running, goes to the back of the local queue.
  ///
  /// No Swift reference may live in this frame across `context_switch`: an exiting task never
  /// comes back to release it, and the task it pointed to would never be freed.
  static func schedule(preferIdle: Bool = false) {
    guard let (save, resume) = prepareSwitch(preferIdle: preferIdle) else { return }
    context_switch(save, resume)
    finishSwitch()
  }

  /// Chooses the next task and does all the bookkeeping of the switch; returns where to save
  /// the current stack pointer and the one to resume, or nil to keep running the current task.
  @inline(never)
  private static func prepareSwitch(preferIdle: Bool) -> (UnsafeMutablePointer<UInt64>, UInt64)? {
    let cpu = this
    let previous = cpu.current
    if !previous.isIdle, previous.state == .running {
      previous.state = .ready
      cpu.lock.withLock { cpu.queue.append(previous) }
    }
    var next = preferIdle ? nil : cpu.lock.withLock { () -> Task? in
      cpu.queue.isEmpty ? nil : cpu.queue.removeFirst()
    }
    if next == nil, !preferIdle { next = steal(for: cpu) }
    let chosen = next ?? cpu.idle
    if chosen === previous {
      previous.state = .running
      return nil
    }
    if let area = previous.fpuState { UserMode.saveFPU(area) }
    if let area = chosen.fpuState { UserMode.restoreFPU(area) }
    spin_release_value_u32(chosen.onCPU, 1)
    cpu.previous = previous
    cpu.current = chosen
    chosen.state = .running
    chosen.homeCPU = cpu.number
    chosen.dispatches &+= 1
    if chosen.stack != nil { PerCPU.setKernelStack(top: chosen.entryStackTop.pointee) }
    return (previous.savedStackPointer, chosen.savedStackPointer.pointee)
  }

  private static func steal(for cpu: CPUState) -> Task? {
    for offset in 1..<max(cpus.count, 1) {
      let other = cpus[(cpu.number + offset) % cpus.count]
      let task = other.lock.withLock { () -> Task? in
        guard let index = other.queue.firstIndex(where: { atomic_load_u32($0.onCPU) == 0 }) else { return nil }
        return other.queue.remove(at: index)
      }
      if let task {
        cpu.steals &+= 1
        return task
      }
    }
    return nil
  }

  /// Runs in the context switched to: releases the previous task to other CPUs and reaps it
  /// if it exited (its stack is no longer in use).
  static func finishSwitch() {
    // The observer hears of the end only after the task object is gone (its kernel stack
    // freed too), so a waiter that wakes up sees all of the task's memory returned.
    if let (observer, status) = releasePrevious() { observer.taskEnded(status: status) }
  }

  @inline(never)
  private static func releasePrevious() -> (any TaskExitObserver, Int64)? {
    let cpu = this
    cpu.current.cpusRun |= 1 << UInt64(cpu.number & 63)
    guard let previous = cpu.previous else { return nil }
    cpu.previous = nil
    spin_release_value_u32(previous.onCPU, 0)
    guard previous.state == .exited else { return nil }
    reap(previous)
    let observer = previous.exitObserver
    previous.exitObserver = nil
    return observer.map { ($0, previous.exitStatus) }
  }

  private static func reap(_ task: Task) {
    for reservation in task.reservations { UserSpace.release(reservation) }
    task.reservations = []
    task.vmData?.releaseAll()
    task.vmData = nil
    task.body = nil
    task.faultHandler = nil
    task.wasmTraps = nil
    task.systemCallHandler = nil
  }

  // MARK: Idle

  /// The idle loop of an AP: runs tasks, halts when there are none.
  static func idleForever() -> Never {
    while true { idleOnce() }
  }

  /// The boot CPU's idle loop while it waits for `condition` (checked after every wake-up).
  static func idle(until condition: () -> Bool) {
    this.idleWaiting = true
    while !condition() { idleOnce() }
    this.idleWaiting = false
  }

  private static func idleOnce() {
    interrupts_disable()
    TLB.servicePendingShootdown()
    schedule()
    interrupts_enable_and_halt()
  }
}

/// A task body from a closure (kernel tasks).
final class ClosureBody: TaskBody {
  let body: () -> Void
  init(_ body: @escaping () -> Void) { self.body = body }
  func run(_ task: Task) { body() }
}
