/// Interrupt vectors the kernel assigns.
enum InterruptVector {
  static let timer = 32
  static let spurious = 255
}

/// Names of the architectural exceptions (vectors 0...31).
func exceptionName(_ vector: UInt64) -> StaticString {
  switch vector {
  case 0: return "divide error (#DE)"
  case 1: return "debug (#DB)"
  case 2: return "non-maskable interrupt (NMI)"
  case 3: return "breakpoint (#BP)"
  case 4: return "overflow (#OF)"
  case 5: return "bound range exceeded (#BR)"
  case 6: return "invalid opcode (#UD)"
  case 7: return "device not available (#NM)"
  case 8: return "double fault (#DF)"
  case 10: return "invalid TSS (#TS)"
  case 11: return "segment not present (#NP)"
  case 12: return "stack-segment fault (#SS)"
  case 13: return "general protection fault (#GP)"
  case 14: return "page fault (#PF)"
  case 16: return "x87 floating-point error (#MF)"
  case 17: return "alignment check (#AC)"
  case 18: return "machine check (#MC)"
  case 19: return "SIMD floating-point error (#XM)"
  case 20: return "virtualization exception (#VE)"
  case 21: return "control protection (#CP)"
  default: return "reserved exception"
  }
}

/// A hook for tests that provoke a page fault on purpose: when armed for an address, a fault
/// there calls `handler` (which must repair the mapping) and the instruction is retried.
enum PageFaultProbe {
  nonisolated(unsafe) static var armedAddress: UInt64 = 0
  nonisolated(unsafe) static var handler: (@convention(c) (UInt64, UInt64) -> Void)? = nil
  nonisolated(unsafe) static var faults = 0
}

/// Counts of interrupts taken, per kind.
enum InterruptStatistics {
  nonisolated(unsafe) static var breakpoints = 0
}

/// Called by trap_common (traps.S) for every vector, interrupts off: on an IST stack for
/// entries from kernel mode, on the running task's kernel stack for entries from user mode.
@_cdecl("kernel_trap")
func kernelTrap(_ frame: UnsafeMutablePointer<trap_frame>) {
  let vector = frame.pointee.vector
  let fromUser = frame.pointee.cs & 3 == 3
  switch vector {
  case 2, 8, 18:
    panic("\(exceptionName(vector)) error code \(hex: frame.pointee.error_code)", frame: frame)
  case 0..<32 where fromUser:
    UserFaults.handle(frame)
  case 3:
    InterruptStatistics.breakpoints += 1
    Log.info("breakpoint at \(hex: frame.pointee.rip &- 1)")
  case 14:
    handleKernelPageFault(frame)
  case 0..<32:
    panic("\(exceptionName(vector)) error code \(hex: frame.pointee.error_code)", frame: frame)
  case UInt64(InterruptVector.timer):
    LocalAPIC.handleTimerInterrupt()
    Scheduler.timerTick(fromUser: fromUser)
  case UInt64(TLB.vector):
    TLB.servicePendingShootdown()
    LocalAPIC.endOfInterrupt()
  case UInt64(Devices.firstVector)..<UInt64(Devices.firstVector + Devices.capacity):
    Devices.handleInterrupt(vector: Int(vector))
  case UInt64(InterruptVector.spurious):
    break
  default:
    Log.warning("unexpected interrupt vector \(vector)")
    LocalAPIC.endOfInterrupt()
  }
  if fromUser { Scheduler.beforeReturnToUser(frame) }
}

/// A page fault in kernel mode. At a user address it is legitimate only while the kernel has
/// opened user access (RFLAGS.AC, set by STAC in user_copy): then a committed page is backed
/// lazily, or the copy routine resumes at its fix-up. Everything else is a kernel bug: panic.
/// Kernel-mode page faults run on their own IST stack; a second one while the first is being
/// handled would overwrite the first's frame there, so it is reported as a nested fault.
private func handleKernelPageFault(_ frame: UnsafeMutablePointer<trap_frame>) {
  let address = read_cr2()
  let error = frame.pointee.error_code
  let local = PerCPU.current
  if local.pointee.kernel_fault_depth > 0 {
    panic("nested page fault at \(hex: address) while handling a kernel page fault", frame: frame)
  }
  local.pointee.kernel_fault_depth += 1
  defer { local.pointee.kernel_fault_depth -= 1 }

  if address == PageFaultProbe.armedAddress, address != 0, let handler = PageFaultProbe.handler {
    PageFaultProbe.faults += 1
    PageFaultProbe.armedAddress = 0
    handler(address, error)
    return
  }
  let access: StaticString = error & 0x10 != 0 ? "execute" : (error & 2 != 0 ? "write" : "read")
  let cause: StaticString = error & 1 != 0 ? "protection violation" : "page not present"
  if address < UserSpace.limit, frame.pointee.rflags & (1 << 18) != 0 {
    if error & 1 == 0 {
      switch UserSpace.handleFault(address, write: error & 2 != 0, execute: false) {
      case .backed: return
      case .refused: break
      // Inside user_copy the copy fails (the host call reports an error); the program that
      // needed the page is ended once it returns to user mode.
      case .outOfFrames: UserFaults.endOutOfMemory(Scheduler.currentTask, address: address)
      }
    }
    let rip = frame.pointee.rip
    if rip >= user_copy_fault_start_address(), rip < user_copy_fault_end_address() {
      frame.pointee.rip = user_copy_fixup_address()
      return
    }
  }
  if address < UserSpace.limit {
    panic("page fault: kernel \(access) of user address \(hex: address), \(cause), outside user_copy", frame: frame)
  }
  if KernelStacks.isGuardPage(address) || KernelStack.isGuard(address) {
    panic("kernel stack overflow: \(access) of \(hex: address) in the stack guard page", frame: frame)
  }
  panic("page fault: kernel \(access) of \(hex: address), \(cause) (error \(hex: error))", frame: frame)
}

/// Guard pages below kernel stacks, left unmapped so an overflow faults.
enum KernelStacks {
  static func isGuardPage(_ address: UInt64) -> Bool {
    address >= linker_stack_guard() && address < linker_boot_stack_bottom()
  }
}
