/// Stops the kernel with a report: the reason, the registers (when a trap caused it), a
/// symbolised backtrace, then exits QEMU with the failure code.
///
///     panic("heap corrupted at \(hex: address)")
func panic(_ message: LogMessage, frame: UnsafePointer<trap_frame>? = nil) -> Never {
  interrupts_disable()
  // A fault while reporting would recurse; report once, then stop.
  if Panic.depth > 0 {
    Console.writeUnlocked("\nPANIC (nested): ")
    Console.writeUnlocked(message.text)
    Console.writeByteUnlocked(10)
    QemuExit.failure()
  }
  Panic.depth += 1
  // Print even if the console lock is held by a CPU that will never release it.
  _ = Console.lock.tryAcquire(spins: 1_000_000)

  Console.writeUnlocked(Log.linePrefix(.error))
  Console.writeUnlocked("PANIC: ")
  Console.writeUnlocked(message.text)
  Console.writeByteUnlocked(10)

  if let frame {
    Panic.printRegisters(frame.pointee)
    let f = frame.pointee
    // A call through a bad pointer: the return address is still on top of the stack.
    if f.cs & 3 == 0, f.rip < linker_kernel_start() || f.rip >= linker_kernel_end(),
       Panic.isPlausibleFramePointer(f.rsp) {
      let returnAddress = UnsafePointer<UInt64>(bitPattern: UInt(f.rsp))!.pointee
      Panic.line("  called from \(KernelSymbols.describe(returnAddress &- 1))")
    }
    Panic.printBacktrace(firstPC: f.rip, framePointer: f.rbp)
  } else {
    Panic.printBacktrace(firstPC: nil, framePointer: read_rbp())
  }
  Console.writeUnlocked("end of panic report\n")
  QemuExit.failure()
}

enum Panic {
  nonisolated(unsafe) static var depth = 0
  static let maximumFrames = 32

  static func printRegisters(_ f: trap_frame) {
    line("  rip \(KernelSymbols.describe(f.rip))")
    line("  rsp \(hex: f.rsp, digits: 16)  rbp \(hex: f.rbp, digits: 16)  rflags \(hex: f.rflags)")
    line("  rax \(hex: f.rax, digits: 16)  rbx \(hex: f.rbx, digits: 16)  rcx \(hex: f.rcx, digits: 16)")
    line("  rdx \(hex: f.rdx, digits: 16)  rsi \(hex: f.rsi, digits: 16)  rdi \(hex: f.rdi, digits: 16)")
    line("  r8  \(hex: f.r8, digits: 16)  r9  \(hex: f.r9, digits: 16)  r10 \(hex: f.r10, digits: 16)")
    line("  r11 \(hex: f.r11, digits: 16)  r12 \(hex: f.r12, digits: 16)  r13 \(hex: f.r13, digits: 16)")
    line("  r14 \(hex: f.r14, digits: 16)  r15 \(hex: f.r15, digits: 16)")
    line("  cs \(hex: f.cs)  ss \(hex: f.ss)  vector \(f.vector)  error \(hex: f.error_code)")
    line("  cr0 \(hex: read_cr0())  cr2 \(hex: read_cr2())  cr3 \(hex: read_cr3())  cr4 \(hex: read_cr4())")
  }

  /// Walks the frame-pointer chain (every kernel function keeps RBP; boot.S ends it with 0).
  static func printBacktrace(firstPC: UInt64?, framePointer: UInt64) {
    Console.writeUnlocked("backtrace:\n")
    var index = 0
    if let firstPC {
      line("  #0 \(KernelSymbols.describe(firstPC))")
      index = 1
    }
    var rbp = framePointer
    var previous: UInt64 = 0
    var repeats = 0
    var steps = 0
    while steps < 100_000, isPlausibleFramePointer(rbp) {
      let frame = UnsafePointer<UInt64>(bitPattern: UInt(rbp))!
      let returnAddress = frame[1]
      if returnAddress == 0 { break }
      rbp = frame[0]
      steps += 1
      // Deep recursion (a stack overflow) shows as one line and a count.
      if returnAddress == previous {
        repeats += 1
        continue
      }
      if repeats > 0 { line("     … \(repeats) more frames of the same call") }
      repeats = 0
      previous = returnAddress
      guard index < maximumFrames else { continue }
      // The return address points after the call; -1 names the calling function correctly.
      line("  #\(index) \(KernelSymbols.describe(returnAddress &- 1))")
      index += 1
    }
    if repeats > 0 { line("     … \(repeats) more frames of the same call") }
    if index >= maximumFrames { line("     … (backtrace cut at \(maximumFrames) frames)") }
  }

  /// Only addresses inside the kernel image (boot and IST stacks) or the direct map are
  /// followed, so a corrupt chain ends the walk instead of faulting.
  static func isPlausibleFramePointer(_ rbp: UInt64) -> Bool {
    guard rbp != 0, rbp & 7 == 0 else { return false }
    if rbp >= linker_kernel_start() && rbp < linker_kernel_end() - 16 { return true }
    // Task kernel stacks: mapped pages of the stack area (freed stacks are unmapped).
    if rbp >= KernelStack.areaBase, rbp < KernelStack.areaBase + KernelStack.maximumCount * KernelStack.stride {
      return KernelMemory.translate(rbp) != nil && KernelMemory.translate(rbp + 15) != nil
    }
    return KernelMemory.isDirectMapped(rbp, length: 16)
  }

  static func line(_ message: LogMessage) {
    Console.writeUnlocked(message.text)
    Console.writeByteUnlocked(10)
  }
}
