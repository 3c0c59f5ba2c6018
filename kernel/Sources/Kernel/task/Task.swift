/// A thread of execution: a kernel stack with the task's saved kernel context, and (for user
/// tasks) the user register state at the top of that stack and the FPU/SSE state.
final class Task {
  enum State: Equatable { case ready, running, sleeping, blocked, exited }

  let id: UInt32
  var name = TaskName()
  var state = State.ready
  let isIdle: Bool
  /// Nil for a CPU's idle task, which runs on the CPU's boot stack.
  let stack: KernelStack?
  /// The saved kernel stack pointer while the task is switched out (`context_switch`).
  let savedStackPointer: UnsafeMutablePointer<UInt64>
  /// Set while the task runs on some CPU or is being switched out; other CPUs do not steal
  /// it before the switch has saved its context.
  let onCPU: UnsafeMutablePointer<UInt32>
  /// Where entries from user mode put their frame (the CPU's kernel_stack_top while the task
  /// runs): the top of the stack, or below the kernel frames of a `UserCall` in progress.
  let entryStackTop: UnsafeMutablePointer<UInt64>
  /// FPU/SSE/AVX state (`xsave`/`fxsave` area); nil for kernel-only tasks.
  let fpuState: UnsafeMutableRawPointer?
  /// Runs in kernel mode when the task starts, before it enters user mode (or instead).
  var body: (any TaskBody)?
  /// Receives faults of the task's user code; without one, a fault ends the task.
  var faultHandler: (any TaskFaultHandler)?
  /// Trap delivery and the current activation of WebAssembly code the task runs (created on
  /// first use by the kernel's runtime platform; also installed as `faultHandler`).
  var wasmTraps: WasmTrapHandler?
  /// System calls from `SystemCalls.hostCallBase` up (the WebAssembly activation's host calls).
  var systemCallHandler: (any SystemCallHandler)?
  /// Top of the task's user stack for `UserCall` (0: none), and the saved kernel states of the
  /// user calls in progress, innermost last.
  var userStackTop: UInt64 = 0
  var userStackSize: UInt64 = 0
  var userCalls: [UnsafeMutablePointer<UInt64>] = []
  /// User memory to release when the task ends.
  var reservations: [UInt64] = []
  /// VM data of the WebAssembly program the task runs (released when the task is reaped).
  var vmData: VMDataArena?
  /// While set, the runtime's user memory and VM data go to this task instead (the kernel's
  /// services: instantiated by whichever program first needs them, owned by a task that never
  /// ends, so they outlive that program).
  var allocationOwner: Task?
  /// Whether `Scheduler.exits` keeps the exit status (kernel tests); programs report theirs
  /// to `exitObserver` instead, so nothing accumulates per program.
  var recordsExit = true
  /// Whether its end is logged ("pid 7 (ls): exited with status 0 on cpu 1"); off for the
  /// programs of a console session (`quiet`).
  var logsExit = true
  /// Told when the task has ended and everything it used has been returned.
  var exitObserver: (any TaskExitObserver)?
  /// A `Scheduler.wake` that came before the task blocked (under `Scheduler.globalLock`).
  var wakePending = false

  var homeCPU = 0
  var wakeTime: UInt64 = 0
  var exitStatus: Int64 = 0
  var killRequested = false
  /// Set when a page it touched found no free frame (`UserFaults.endOutOfMemory`).
  var endedOutOfMemory = false
  /// Bit n: the task ran on CPU n. Counts of preemptions and of times it was dispatched.
  var cpusRun: UInt64 = 0
  var preemptions: UInt64 = 0
  var dispatches: UInt64 = 0

  /// A task that will start in kernel mode at `task_start` with the user register state `user`
  /// (or run only `body` if it never returns to user mode).
  init(id: UInt32, name: StaticString, stack: KernelStack, user: trap_frame, fpu: Bool) {
    self.id = id
    self.name.append(name)
    self.isIdle = false
    self.stack = stack
    savedStackPointer = .allocate(capacity: 1)
    entryStackTop = .allocate(capacity: 1)
    entryStackTop.initialize(to: stack.top)
    onCPU = .allocate(capacity: 1)
    onCPU.initialize(to: 0)
    if fpu {
      let area = UnsafeMutableRawPointer.allocate(byteCount: UserMode.fpuStateSize, alignment: 64)
      UserMode.initializeFPUState(area)
      fpuState = area
    } else {
      fpuState = nil
    }
    // The stack, top down: the user trap frame, task_start as the return address of the
    // first context_switch, RFLAGS (interrupts off, AC clear) and six zero callee-saved
    // registers.
    let frameAddress = stack.top - UInt64(TRAP_FRAME_SIZE)
    UnsafeMutablePointer<trap_frame>(bitPattern: UInt(frameAddress))!.initialize(to: user)
    let initial = UnsafeMutablePointer<UInt64>(bitPattern: UInt(frameAddress - 8 * 8))!
    for index in 0..<6 { initial[index] = 0 }
    initial[6] = 0x2
    initial[7] = task_start_address()
    savedStackPointer.initialize(to: frameAddress - 8 * 8)
  }

  /// The idle task of a CPU: the context that was running on the CPU's boot stack.
  init(idleFor cpu: Int) {
    id = 0
    name.append("idle")
    isIdle = true
    stack = nil
    state = .running
    homeCPU = cpu
    savedStackPointer = .allocate(capacity: 1)
    savedStackPointer.initialize(to: 0)
    entryStackTop = .allocate(capacity: 1)
    entryStackTop.initialize(to: 0)
    onCPU = .allocate(capacity: 1)
    onCPU.initialize(to: 1)
    fpuState = nil
  }

  deinit {
    savedStackPointer.deallocate()
    entryStackTop.deallocate()
    onCPU.deallocate()
    fpuState?.deallocate()
    if let stack { KernelStack.free(stack) }
  }

  /// Gives the task a user stack for `UserCall` (lazily backed, a guard page below) unless it
  /// has one. False when memory runs out.
  func ensureUserStack(size: UInt64) -> Bool {
    guard userStackTop == 0 else { return true }
    guard let stack = UserSpace.reserve(byteCount: size + pageSize),
          UserSpace.commit(stack + pageSize, byteCount: size, protection: .readWrite)
    else { return false }
    reservations.append(stack)
    userStackTop = stack + pageSize + size
    userStackSize = size
    return true
  }

  /// The user register state of the innermost entry from user mode (valid while the task is
  /// in the kernel because of a trap or system call from user mode, or has not started yet).
  var userFrame: UnsafeMutablePointer<trap_frame>? {
    guard stack != nil else { return nil }
    return UnsafeMutablePointer<trap_frame>(bitPattern: UInt(entryStackTop.pointee - UInt64(TRAP_FRAME_SIZE)))
  }
}

/// Work a task does in kernel mode when it starts (compiling and entering a WebAssembly
/// program, for instance). Returning lets the task continue into user mode with its frame.
protocol TaskBody: AnyObject {
  func run(_ task: Task)
}

/// Learns that a task ended and everything it used was returned (the program table: the
/// exit status for `wait`).
protocol TaskExitObserver: AnyObject {
  func taskEnded(status: Int64)
}

/// What happened in user mode.
struct UserFault {
  var vector: UInt64
  var errorCode: UInt64
  /// The faulting address (CR2) of a page fault, else 0.
  var address: UInt64
  var rip: UInt64
}

/// A per-program hook for faults of its user code (later: the WebAssembly runtime's trap
/// table lookup). Return true when the fault was handled and `frame` may be resumed (possibly
/// rewritten); false ends the task with the default report.
protocol TaskFaultHandler: AnyObject {
  func handleUserFault(_ task: Task, _ fault: UserFault, _ frame: UnsafeMutablePointer<trap_frame>) -> Bool
}

/// A short task name (program names come from the boot image).
struct TaskName {
  var bytes = InlineArray<24, UInt8>(repeating: 0)
  var count = 0

  mutating func append(_ text: StaticString) {
    text.withUTF8Buffer { buffer in
      for byte in buffer { append(byte: byte) }
    }
  }

  mutating func append(byte: UInt8) {
    guard count < 24 else { return }
    bytes[count] = byte
    count += 1
  }
}

extension TextBuffer {
  /// "pid 7 (hello)"
  mutating func appendInterpolation(task: Task) {
    append("pid ")
    appendInterpolation(task.id)
    append(" (")
    for index in 0..<task.name.count { append(byte: task.name.bytes[index]) }
    append(")")
  }
}

/// Kernel stacks of tasks: 64 KiB each in their own area, with an unmapped guard page below
/// each (an overflow faults and is reported). Freed stacks stay mapped and are reused, so no
/// other CPU can hold a stale translation of a stack's frames.
struct KernelStack {
  static let areaBase: UInt64 = 0xFFFF_E000_0000_0000
  static let size: UInt64 = 64 << 10
  static let stride: UInt64 = 128 << 10
  static let maximumCount: UInt64 = 1 << 16

  let slot: UInt64
  var bottom: UInt64 { Self.areaBase + slot * Self.stride + (Self.stride - Self.size) }
  var top: UInt64 { Self.areaBase + (slot + 1) * Self.stride }

  nonisolated(unsafe) static var freeSlots: [UInt64] = []
  nonisolated(unsafe) static var nextSlot: UInt64 = 0
  nonisolated(unsafe) static let lock = SharedSpinlock()

  /// Stack pages are not global (unlike the rest of kernel data): a freed stack is unmapped
  /// and its frames returned, and the TLB shootdown (a CR3 reload) must drop them everywhere.
  static let pageFlags = PageFlags(rawValue: 1 << 1 | 1 << 63)

  static func allocate() -> KernelStack? {
    let slot = lock.withLock { () -> UInt64? in
      if let reused = freeSlots.popLast() { return reused }
      guard nextSlot < maximumCount else { return nil }
      nextSlot += 1
      return nextSlot - 1
    }
    guard let slot else { return nil }
    let stack = KernelStack(slot: slot)
    guard stack.map() else {
      free(stack)
      return nil
    }
    return stack
  }

  /// Maps the slot's stack pages (a reused slot too: freed stacks are unmapped).
  private func map() -> Bool {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    defer { KernelMemory.heapLock.releaseRestoringInterrupts(flags) }
    var page = bottom
    while page < top {
      guard let frame = KernelMemory.frames!.allocate(order: 0) else { return false }
      do throws(PageTableError) {
        try KernelMemory.kernelSpace!.map(page, to: frame, flags: Self.pageFlags, frames: &KernelMemory.frames!)
      } catch {
        KernelMemory.frames!.free(frame)
        return false
      }
      page += pageSize
    }
    return true
  }

  /// Unmaps the stack pages and frees their frames (and page tables left empty), then drops
  /// the translations on every CPU.
  private func unmap() {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    var page = bottom
    while page < top {
      do throws(PageTableError) {
        let translation = try KernelMemory.kernelSpace!.unmap(page, frames: &KernelMemory.frames!)
        KernelMemory.frames!.free(translation.physical)
      } catch {}  // not mapped (a partial `map`)
      page += pageSize
    }
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    TLB.shootdown(bottom, pages: Self.size / pageSize)
  }

  /// Returns the stack's frames; the slot (address space) is reused.
  static func free(_ stack: KernelStack) {
    stack.unmap()
    lock.withLock { freeSlots.append(stack.slot) }
  }

  /// Whether `address` is in the guard part of some task's stack slot.
  static func isGuard(_ address: UInt64) -> Bool {
    guard address >= areaBase, address < areaBase + maximumCount * stride else { return false }
    return (address - areaBase) % stride < stride - size
  }
}
