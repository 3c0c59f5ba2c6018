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

    init(number: Int) {
      self.number = number
      idle = Task(idleFor: number)
      current = idle
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
    guard let stack = KernelStack.allocate() else { return nil }
    var frame = trap_frame()
    frame.cs = UInt64(Descriptors.kernelCode)
    let task = Task(id: allocateTaskID(), name: "", stack: stack, user: frame, fpu: fpu)
    task.name = name
    task.body = ClosureBody(body)
    spawn(task)
    return task
  }

  /// Ends the running task with `status`; never returns.
  static func exitCurrent(status: Int64) -> Never {
    interrupts_disable()
    let task = currentTask
    task.exitStatus = status
    task.state = .exited
    globalLock.withLock {
      exits.append(ExitRecord(id: task.id, name: task.name, status: status))
      liveTasks -= 1
    }
    Log.info("\(task: task): exited with status \(status)")
    schedule()
    panic("scheduler: an exited task was resumed")
  }

  /// Asks `task` to end: it exits (status -9) the next time it would return to user mode.
  static func kill(_ task: Task) {
    task.killRequested = true
  }

  static func exitStatus(of id: UInt32) -> Int64? {
    globalLock.withLock { exits.first { $0.id == id }?.status }
  }

  // MARK: Blocking

  static func yield() {
    let flags = read_rflags()
    interrupts_disable()
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

  /// Called on the way back to user mode (end of a trap or system call from user mode).
  static func beforeReturnToUser() {
    let task = currentTask
    if task.killRequested, !task.isIdle { exitCurrent(status: -9) }
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
    let task = cpu.current
    if task.killRequested { exitCurrent(status: -9) }
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
  static func schedule() {
    let cpu = this
    let previous = cpu.current
    if !previous.isIdle, previous.state == .running {
      previous.state = .ready
      cpu.lock.withLock { cpu.queue.append(previous) }
    }
    var next = cpu.lock.withLock { () -> Task? in
      cpu.queue.isEmpty ? nil : cpu.queue.removeFirst()
    }
    if next == nil { next = steal(for: cpu) }
    let chosen = next ?? cpu.idle
    if chosen === previous {
      previous.state = .running
      return
    }
    switchTo(chosen, on: cpu)
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

  private static func switchTo(_ next: Task, on cpu: CPUState) {
    let previous = cpu.current
    if let area = previous.fpuState { UserMode.saveFPU(area) }
    if let area = next.fpuState { UserMode.restoreFPU(area) }
    spin_release_value_u32(next.onCPU, 1)
    cpu.previous = previous
    cpu.current = next
    next.state = .running
    next.dispatches &+= 1
    if next.stack != nil { PerCPU.setKernelStack(top: next.entryStackTop.pointee) }
    context_switch(previous.savedStackPointer, next.savedStackPointer.pointee)
    finishSwitch()
  }

  /// Runs in the context switched to: releases the previous task to other CPUs and reaps it
  /// if it exited (its stack is no longer in use).
  static func finishSwitch() {
    let cpu = this
    cpu.current.cpusRun |= 1 << UInt64(cpu.number & 63)
    guard let previous = cpu.previous else { return }
    cpu.previous = nil
    spin_release_value_u32(previous.onCPU, 0)
    if previous.state == .exited { reap(previous) }
  }

  private static func reap(_ task: Task) {
    for reservation in task.reservations { UserSpace.release(reservation) }
    task.reservations = []
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
    while !condition() { idleOnce() }
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
