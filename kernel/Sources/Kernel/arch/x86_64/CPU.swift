/// Control registers, MSRs and helpers for the running processor.
enum CPU {
  static let rflagsInterruptEnable: UInt64 = 1 << 9

  static let msrEFER: UInt32 = 0xC000_0080
  static let msrGSBase: UInt32 = 0xC000_0101
  static let msrKernelGSBase: UInt32 = 0xC000_0102
  static let msrAPICBase: UInt32 = 0x1B

  /// Supervisor-mode protections, where the CPU has them: SMEP (the kernel never executes
  /// user pages) and SMAP (the kernel touches user pages only between STAC and CLAC; user
  /// memory access code must use them). The kernel heap window is supervisor-only, so SMAP
  /// does not affect it.
  static func enableProtections(_ features: CPUFeatures) {
    var cr4 = read_cr4()
    if features.hasSMEP { cr4 |= 1 << 20 }
    if features.hasSMAP { cr4 |= 1 << 21 }
    write_cr4(cr4)
    set_smap_enabled(features.hasSMAP ? 1 : 0)
  }

  static func haltForever() -> Never {
    while true {
      interrupts_disable()
      cpu_halt()
    }
  }
}

/// Data private to one CPU, reached through the GS base (`struct cpu_local` in
/// kernel_support.h, whose leading fields the assembly entry paths read at fixed offsets).
enum PerCPU {
  static var currentNumber: UInt32 { current_cpu_number() }
  static var current: UnsafeMutablePointer<cpu_local> { current_cpu_local() }

  /// Points GS at `block` (at least 4 KiB, which must stay allocated) and fills it in.
  static func install(at block: UnsafeMutableRawPointer, number: UInt32, apicID: UInt32) {
    let local = block.bindMemory(to: cpu_local.self, capacity: 1)
    local.initialize(to: cpu_local())
    local.pointee.number = number
    local.pointee.apic_id = apicID
    local.pointee.`self` = local
    wrmsr(CPU.msrGSBase, UInt64(UInt(bitPattern: block)))
    wrmsr(CPU.msrKernelGSBase, 0)  // the user's GS base, swapped in on the way to user mode
  }

  /// The stack the CPU switches to on entries from user mode: the running task's kernel stack
  /// (SYSCALL reads `kernel_stack_top`; non-IST gates would use the TSS's RSP0).
  static func setKernelStack(top: UInt64) {
    let local = current
    local.pointee.kernel_stack_top = top
    if local.pointee.tss != 0 {
      UnsafeMutableRawPointer(bitPattern: UInt(local.pointee.tss))!
        .storeBytes(of: top, toByteOffset: 4, as: UInt64.self)
    }
  }
}
