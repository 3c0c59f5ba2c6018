/// System calls from user mode (SYSCALL; entry in arch/x86_64/user.S). Number in rax,
/// arguments in rdi, rsi, rdx, r10, r8, r9, result in rax (negative: an error number).
enum SystemCall: UInt64 {
  /// exit(status): ends the task.
  case exit = 0
  /// write(address, length): the bytes appear on the console as one log line of the task.
  case write = 1
  /// yield(): lets other ready tasks run.
  case yield = 2
  /// sleep(microseconds)
  case sleep = 3
  /// cpu(): the number of the CPU running the caller.
  case cpu = 4
  /// time(): microseconds since boot.
  case time = 5
  /// pid(): the task id.
  case pid = 6
  /// returnFromCall(result): the return gate of a `UserCall` (never returns to the caller).
  case returnFromCall = 7
}

/// Error results (negated), with Linux's numbers.
enum SystemCallError: Int64 {
  case badAddress = 14
  case invalidArgument = 22
  case noSuchCall = 38
}

/// Host-call hook: system calls numbered `SystemCalls.hostCallBase` and up are passed to the
/// running task's handler (the WebAssembly activation: builtins, host functions, the return
/// from an entry).
protocol SystemCallHandler: AnyObject {
  func handleSystemCall(_ task: Task, number: UInt64, _ frame: UnsafeMutablePointer<trap_frame>) -> Int64
}

enum SystemCalls {
  static let hostCallBase: UInt64 = 0x100
  nonisolated(unsafe) static var count: UInt64 = 0

  static func dispatch(_ frame: UnsafeMutablePointer<trap_frame>) -> Int64 {
    // The calls that never return first: no reference (to the task) may stay in their frames.
    switch frame.pointee.rax {
    case SystemCall.exit.rawValue: Scheduler.exitCurrent(status: Int64(bitPattern: frame.pointee.rdi))
    case SystemCall.returnFromCall.rawValue: return UserCall.returnFromCall(result: frame.pointee.rdi)
    default: return dispatchOther(frame)
    }
  }

  @inline(never)
  private static func dispatchOther(_ frame: UnsafeMutablePointer<trap_frame>) -> Int64 {
    let f = frame.pointee
    let task = Scheduler.currentTask
    guard let call = SystemCall(rawValue: f.rax) else {
      if let result = HostCallGates.dispatch(f.rax, frame) { return result }
      if f.rax >= hostCallBase, let handler = task.systemCallHandler {
        return handler.handleSystemCall(task, number: f.rax, frame)
      }
      return -SystemCallError.noSuchCall.rawValue
    }
    switch call {
    case .exit: return -SystemCallError.invalidArgument.rawValue  // handled by dispatch
    case .write: return write(task, address: f.rdi, length: f.rsi)
    case .yield:
      Scheduler.yield()
      return 0
    case .sleep:
      Scheduler.sleep(microseconds: min(f.rdi, 60_000_000))
      return 0
    case .cpu: return Int64(PerCPU.currentNumber)
    case .time: return Int64(Clock.microsecondsSinceBoot())
    case .pid: return Int64(task.id)
    case .returnFromCall: return -SystemCallError.invalidArgument.rawValue  // handled by dispatch
    }
  }

  /// Copies the text in chunks through a kernel buffer (user memory is only touched by
  /// `user_copy`) and logs it as "pid N (name): text".
  private static func write(_ task: Task, address: UInt64, length: UInt64) -> Int64 {
    guard length <= 4096 else { return -SystemCallError.invalidArgument.rawValue }
    guard UserMemory.isUserRange(address, count: length) else { return -SystemCallError.badAddress.rawValue }
    var buffer = InlineArray<256, UInt8>(repeating: 0)
    var line = TextBuffer()
    line.appendInterpolation(task: task)
    line.append(": ")
    var done: UInt64 = 0
    while done < length {
      let chunk = Int(min(length - done, 256))
      let copied = withUnsafeMutablePointer(to: &buffer) { pointer in
        UserMemory.copyIn(UnsafeMutableRawPointer(pointer), from: address + done, count: chunk)
      }
      guard copied else { return -SystemCallError.badAddress.rawValue }
      for index in 0..<chunk where !(buffer[index] == 10 && done + UInt64(index) == length - 1) {
        line.append(byte: buffer[index] == 10 ? 32 : buffer[index])
      }
      done += UInt64(chunk)
    }
    Log.info(LogMessage(line))
    return Int64(length)
  }
}

@_cdecl("kernel_syscall")
func kernelSyscall(_ frame: UnsafeMutablePointer<trap_frame>) {
  SystemCalls.count &+= 1
  let result = SystemCalls.dispatch(frame)
  frame.pointee.rax = UInt64(bitPattern: result)
  Scheduler.beforeReturnToUser(frame)
}

/// First code of a new task (from task_start, user.S), on its own kernel stack.
@_cdecl("kernel_task_entry")
func kernelTaskEntry(_ frame: UnsafeMutablePointer<trap_frame>) {
  Scheduler.finishSwitch()
  // A kernel-only task ends with the status its body left in `exitStatus` (0 by default).
  // Nothing the body referenced may stay on this stack, which is never unwound.
  let status = runTaskBody()
  if frame.pointee.cs & 3 != 3 { Scheduler.exitCurrent(status: status) }
  Scheduler.beforeReturnToUser(frame)
}

@inline(never)
private func runTaskBody() -> Int64 {
  let task = Scheduler.currentTask
  if let body = task.body { body.run(task) }
  return task.exitStatus
}

/// Faults of user code: lazily backed memory is filled in; anything else goes to the task's
/// fault handler, or ends the task with a report.
enum UserFaults {
  /// Exit status of a task ended by a fault: 128 + the vector (like a shell's signal status).
  static func status(for vector: UInt64) -> Int64 { 128 + Int64(vector) }

  static func handle(_ frame: UnsafeMutablePointer<trap_frame>) {
    let vector = frame.pointee.vector
    let error = frame.pointee.error_code
    var address: UInt64 = 0
    if vector == 14 {
      address = read_cr2()
      if error & 1 == 0 {
        switch UserSpace.handleFault(address, write: error & 2 != 0, execute: error & 0x10 != 0) {
        case .backed: return
        case .refused: break
        case .outOfFrames:
          // Not the program's fault: it is ended (its wasm code interrupted on the way back to
          // user mode), never handed a wrong trap kind.
          endOutOfMemory(Scheduler.currentTask, address: address)
          return
        }
      }
    }
    let fault = UserFault(vector: vector, errorCode: error, address: address, rip: frame.pointee.rip)
    if handledOrReported(fault, frame) { return }
    Scheduler.exitCurrent(status: status(for: vector))
  }

  /// Ends `task` because a committed page it touched found no free frame: logs the reason and
  /// kills it (once; until it has unwound, further faults on the page come back here).
  static func endOutOfMemory(_ task: Task, address: UInt64) {
    guard !task.endedOutOfMemory else {
      task.killRequested = true
      return
    }
    task.endedOutOfMemory = true
    task.killRequested = true
    Log.warning("\(task: task): out of memory: no free frame for its page at \(hex: address); the program is ended")
  }

  /// True if the task's handler took the fault; else reports it (the task then ends).
  @inline(never)
  private static func handledOrReported(_ fault: UserFault, _ frame: UnsafeMutablePointer<trap_frame>) -> Bool {
    let task = Scheduler.currentTask
    if let handler = task.faultHandler, handler.handleUserFault(task, fault, frame) { return true }
    report(task, fault)
    return false
  }

  static func report(_ task: Task, _ fault: UserFault) {
    if fault.vector == 14 {
      let access: StaticString = fault.errorCode & 0x10 != 0 ? "execute" : (fault.errorCode & 2 != 0 ? "write" : "read")
      let cause: StaticString = fault.errorCode & 1 != 0 ? "protection violation" : "page not present"
      Log.warning("\(task: task): fault: page fault, \(access) of \(hex: fault.address) (\(cause)) at rip \(hex: fault.rip)")
    } else {
      Log.warning("\(task: task): fault: \(exceptionName(fault.vector)) at rip \(hex: fault.rip)")
      if let frame = task.userFrame {
        Log.warning("  rsp \(hex: frame.pointee.rsp) rbp \(hex: frame.pointee.rbp) rax \(hex: frame.pointee.rax) cs \(hex: frame.pointee.cs)")
      }
    }
  }
}
