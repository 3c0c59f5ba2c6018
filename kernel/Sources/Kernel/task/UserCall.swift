/// Calls from kernel mode into user code and back: how the kernel runs JIT-compiled WebAssembly
/// in ring 3 (see kernel/README.md, "WebAssembly activations").
///
/// `UserCall.call` pushes a return address (the *return gate*, a user stub that makes the
/// `returnFromCall` system call with the result) on the task's user stack, saves the kernel's
/// callee-saved registers and stack pointer, and leaves for user mode at `entry` with the
/// arguments in the System V registers. System calls and interrupts of that user code land
/// below the saved kernel state (the task's entry stack moves down), so the user code may call
/// back into the kernel (host calls), which may call into user code again (nesting). The
/// return gate's system call resumes the saved kernel state: `call` returns the result.
enum UserCall {
  /// Runs `entry(arguments…)` in user mode on the current task's user stack. Nil when the task
  /// has no user stack or the stack cannot be written.
  static func call(entry: UInt64, arguments: [UInt64], returnGate: UInt64) -> UInt64? {
    let task = Scheduler.currentTask
    guard task.userStackTop != 0, arguments.count <= 6 else { return nil }
    // Innermost user stack pointer: the top, or below the frame of the user code that made the
    // system call we are in (minus a red zone).
    var rsp = task.userStackTop
    if !task.userCalls.isEmpty, let frame = task.userFrame { rsp = frame.pointee.rsp &- 128 }
    rsp = (rsp & ~15) &- 8
    var gate = returnGate
    guard UserMemory.copyOut(to: rsp, from: &gate, count: 8) else { return nil }

    var frame = trap_frame()
    frame.rip = entry
    frame.cs = UInt64(USER_CODE_SELECTOR)
    frame.rflags = 0x202
    frame.rsp = rsp
    frame.ss = UInt64(USER_DATA_SELECTOR)
    for (index, value) in arguments.enumerated() {
      switch index {
      case 0: frame.rdi = value
      case 1: frame.rsi = value
      case 2: frame.rdx = value
      case 3: frame.rcx = value
      case 4: frame.r8 = value
      default: frame.r9 = value
      }
    }
    let saved = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    defer { saved.deallocate() }
    let previousEntryTop = task.entryStackTop.pointee
    task.userCalls.append(saved)
    let result = user_call_enter(saved, &frame, task.entryStackTop)
    // Back from the return gate (possibly on another CPU).
    task.userCalls.removeLast()
    task.entryStackTop.pointee = previousEntryTop
    PerCPU.setKernelStack(top: previousEntryTop)
    return result
  }

  /// The `returnFromCall` system call: back to the innermost `call` with `result`.
  /// The frames of this system call are abandoned: they must hold no Swift reference.
  static func returnFromCall(result: UInt64) -> Int64 {
    let saved = innermostSavedState()
    guard saved != 0 else { return -SystemCallError.invalidArgument.rawValue }
    user_call_resume(saved, result)
  }

  @inline(never)
  private static func innermostSavedState() -> UInt64 {
    Scheduler.currentTask.userCalls.last?.pointee ?? 0
  }
}

/// Machine code the kernel knows the trap sites of: the WebAssembly runtime registers every
/// compiled module (`Platform.registerCode`). Shared by all tasks (one address space).
enum CodeRegistry {
  struct Registration {
    var start: UInt64
    var size: UInt64
    var trapSiteOffsets: UnsafePointer<UInt32>
    var trapSiteKinds: UnsafePointer<UInt32>
    var trapSiteCount: Int
    var trapExit: UInt64

    /// The trap kind of the instruction at `pc`, 0 if it is not a trap site.
    func trapKind(at pc: UInt64) -> UInt32 {
      let offset = pc &- start
      var low = 0
      var high = trapSiteCount
      while low < high {
        let middle = (low + high) / 2
        if UInt64(trapSiteOffsets[middle]) < offset { low = middle + 1 } else { high = middle }
      }
      return low < trapSiteCount && UInt64(trapSiteOffsets[low]) == offset ? trapSiteKinds[low] : 0
    }
  }

  nonisolated(unsafe) static var registrations: [Registration] = []
  nonisolated(unsafe) static let lock = SharedSpinlock()

  static func register(_ registration: Registration) {
    lock.withLock { registrations.append(registration) }
  }

  static func unregister(start: UInt64) {
    lock.withLock { registrations.removeAll { $0.start == start } }
  }

  static func find(_ pc: UInt64) -> Registration? {
    lock.withLock { registrations.first { pc >= $0.start && pc - $0.start < $0.size } }
  }
}

/// Trap delivery for a task running compiled WebAssembly: a fault at a registered trap site
/// whose kind fits the exception (page fault → out of bounds memory access, #UD → any trap
/// instruction, #DE → divide by zero or overflow) resumes at the module's trap exit with the
/// activation's entry stack pointer and the kind in eax, after recording the kind, the faulting
/// pc and the WebAssembly backtrace in the activation record (`ActivationRecordLayout` of
/// WasmRuntime). The activation record is user memory (the entry trampoline writes it in ring 3).
final class WasmTrapHandler: TaskFaultHandler {
  /// The innermost activation record of the task (user address), 0 when none.
  var activation: UInt64 = 0
  var trapsDelivered: UInt64 = 0

  // ActivationRecordLayout (WasmRuntime/Platform.swift).
  static let entryStackPointerOffset: UInt64 = 0
  static let trapKindOffset: UInt64 = 16
  static let backtraceCountOffset: UInt64 = 20
  static let faultingPCOffset: UInt64 = 24
  static let faultingFramePointerOffset: UInt64 = 32
  static let backtraceOffset: UInt64 = 40
  static let backtraceCapacity = 64

  static let memoryOutOfBounds: UInt32 = 2
  static let integerDivideByZero: UInt32 = 4
  static let integerOverflow: UInt32 = 5
  static let interrupted: UInt32 = 12

  /// Woken after every trap delivered in any task (the kernel's service supervisor, while
  /// some service is restartable): a trap inside a service fails it, so the supervisor looks.
  nonisolated(unsafe) static var trapWatcher: Task?

  private static func announceTrap() {
    if let watcher = trapWatcher { Scheduler.wake(watcher) }
  }

  func handleUserFault(_ task: Task, _ fault: UserFault, _ frame: UnsafeMutablePointer<trap_frame>) -> Bool {
    guard activation != 0, let code = CodeRegistry.find(fault.rip) else { return false }
    let kind = code.trapKind(at: fault.rip)
    let accepted: Bool
    switch fault.vector {
    case 14: accepted = kind == Self.memoryOutOfBounds
    case 6: accepted = kind != 0
    case 0: accepted = kind == Self.integerDivideByZero || kind == Self.integerOverflow
    default: accepted = false
    }
    guard accepted else { return false }
    var entryStackPointer: UInt64 = 0
    guard UserMemory.copyIn(&entryStackPointer, from: activation + Self.entryStackPointerOffset, count: 8)
    else { return false }
    deliver(kind, at: code, entryStackPointer: entryStackPointer, frame)
    trapsDelivered &+= 1
    Self.announceTrap()
    return true
  }

  /// Records `kind`, the pc and the backtrace in the activation record and resumes the task at
  /// the trap exit of `code` with the activation's entry stack pointer and the kind in eax.
  private func deliver(_ kind: UInt32, at code: CodeRegistry.Registration, entryStackPointer: UInt64,
                       _ frame: UnsafeMutablePointer<trap_frame>) {
    var kindValue = kind
    var pc = frame.pointee.rip
    var rbp = frame.pointee.rbp
    _ = UserMemory.copyOut(to: activation + Self.trapKindOffset, from: &kindValue, count: 4)
    _ = UserMemory.copyOut(to: activation + Self.faultingPCOffset, from: &pc, count: 8)
    _ = UserMemory.copyOut(to: activation + Self.faultingFramePointerOffset, from: &rbp, count: 8)
    recordBacktrace(pc: pc, framePointer: rbp, stackPointer: frame.pointee.rsp, limit: entryStackPointer)
    frame.pointee.rip = code.trapExit
    frame.pointee.rsp = entryStackPointer
    frame.pointee.rax = UInt64(kind)
  }

  /// Stops the task's compiled code from outside (it was killed): resumes at the trap exit
  /// with kind `interrupted`, as for a fault, so the runtime unwinds the activation and
  /// releases everything. Only when `frame` is in registered code and the innermost activation
  /// has recorded its entry stack pointer (the record is zeroed until the entry trampoline
  /// stores it; before that the stack to unwind to is unknown). Delivered again on every
  /// return to user mode while the task runs registered code: a cross-program trampoline
  /// turns an interrupt inside a service into an error status for its caller (and fails the
  /// service), so the caller's own code is interrupted next.
  func interrupt(_ frame: UnsafeMutablePointer<trap_frame>) -> Bool {
    guard activation != 0, let code = CodeRegistry.find(frame.pointee.rip) else { return false }
    var entryStackPointer: UInt64 = 0
    guard UserMemory.copyIn(&entryStackPointer, from: activation + Self.entryStackPointerOffset, count: 8),
          entryStackPointer != 0, entryStackPointer >= frame.pointee.rsp
    else { return false }
    deliver(Self.interrupted, at: code, entryStackPointer: entryStackPointer, frame)
    Self.announceTrap()
    return true
  }

  /// The faulting pc, then return addresses along the frame-pointer chain while it stays
  /// between the fault's stack pointer and the entry stack pointer and points into
  /// registered code (like the hosted trap handler).
  private func recordBacktrace(pc: UInt64, framePointer: UInt64, stackPointer: UInt64, limit: UInt64) {
    var count: UInt32 = 0
    var value = pc
    _ = UserMemory.copyOut(to: activation + Self.backtraceOffset, from: &value, count: 8)
    count = 1
    var fp = framePointer
    while count < UInt32(Self.backtraceCapacity), fp >= stackPointer, fp &+ 16 <= limit, fp & 7 == 0 {
      var pair = (UInt64(0), UInt64(0))
      guard UserMemory.copyIn(&pair, from: fp, count: 16), CodeRegistry.find(pair.1) != nil else { break }
      value = pair.1
      _ = UserMemory.copyOut(to: activation + Self.backtraceOffset + 8 * UInt64(count), from: &value, count: 8)
      count += 1
      if pair.0 <= fp { break }
      fp = pair.0
    }
    _ = UserMemory.copyOut(to: activation + Self.backtraceCountOffset, from: &count, count: 4)
  }
}

/// User-mode gates into the kernel: one read-execute user page of 16-byte stubs. Stub 0 is the
/// return gate of `UserCall` (`mov %eax, %edi; mov $7, %eax; syscall`); stub n ≥ 1 is a host-call
/// gate (`mov %rcx, %r10; mov $(base + n), %eax; syscall; ret`) for a kernel function with the C
/// calling convention registered with `gate(for:)`. Compiled code calls a gate wherever it would
/// call a builtin or a host-function dispatcher; the system call runs the function with the six
/// argument registers inside a user-access window (it reads and writes linear memory).
enum HostCallGates {
  static let systemCallBase: UInt64 = 0x200
  static let capacity = 256
  static let stubSize: UInt64 = 16

  nonisolated(unsafe) static var page: UInt64 = 0
  nonisolated(unsafe) static var functions: [UInt64] = []
  nonisolated(unsafe) static let lock = SharedSpinlock()

  /// Builds the gate page (once, after the heap and the scheduler exist).
  static func initialize() -> Bool {
    guard page == 0 else { return true }
    // The kernel's page (owner 0), not the first program's that needed it: it outlives every program.
    guard let base = UserSpace.reserve(byteCount: pageSize, owner: 0),
          UserSpace.commit(base, byteCount: pageSize, protection: .readWrite)
    else { return false }
    var stubs = [UInt8](repeating: 0xCC, count: Int(pageSize))  // int3 padding
    let returnGate: [UInt8] = [0x89, 0xC7, 0xB8, 0x07, 0, 0, 0, 0x0F, 0x05, 0x0F, 0x0B]
    for (index, byte) in returnGate.enumerated() { stubs[index] = byte }
    for slot in 1..<capacity {
      let number = UInt32(systemCallBase) + UInt32(slot)
      let stub: [UInt8] = [0x49, 0x89, 0xCA, 0xB8, UInt8(truncatingIfNeeded: number),
                           UInt8(truncatingIfNeeded: number >> 8), 0, 0, 0x0F, 0x05, 0xC3]
      for (index, byte) in stub.enumerated() { stubs[slot * Int(stubSize) + index] = byte }
    }
    let copied = stubs.withUnsafeBytes { UserMemory.copyOut(to: base, from: $0.baseAddress!, count: $0.count) }
    guard copied, UserSpace.commit(base, byteCount: pageSize, protection: .readExecute) else { return false }
    functions = [UInt64](repeating: 0, count: capacity)
    page = base
    return true
  }

  /// The return gate of `UserCall`.
  static var returnGate: UInt64 { page }

  /// A gate that calls `function` (a kernel address, C calling convention, up to six integer
  /// arguments); the same gate for the same function. Nil when the page is full.
  static func gate(for function: UInt64) -> UInt64? {
    guard initialize() else { return nil }
    return lock.withLock { () -> UInt64? in
      if let slot = functions.firstIndex(of: function), slot > 0 { return page + UInt64(slot) * stubSize }
      guard let slot = functions.indices.first(where: { $0 > 0 && functions[$0] == 0 }) else { return nil }
      functions[slot] = function
      return page + UInt64(slot) * stubSize
    }
  }

  /// Runs the function of gate system call `number` with the caller's argument registers.
  static func dispatch(_ number: UInt64, _ frame: UnsafeMutablePointer<trap_frame>) -> Int64? {
    guard number > systemCallBase, number < systemCallBase + UInt64(capacity) else { return nil }
    let function = lock.withLock { functions.isEmpty ? 0 : functions[Int(number - systemCallBase)] }
    guard function != 0 else { return nil }
    typealias HostFunction = @convention(c) (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) -> UInt64
    let call = unsafeBitCast(UInt(function), to: HostFunction.self)
    let f = frame.pointee
    user_access_begin()
    let result = call(f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9)
    user_access_end()
    return Int64(bitPattern: result)
  }
}
