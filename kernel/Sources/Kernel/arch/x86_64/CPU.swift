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
  }

  static func haltForever() -> Never {
    while true {
      interrupts_disable()
      cpu_halt()
    }
  }
}

/// Data private to one CPU, reached through the GS base. Field 0 (the CPU number) is read by
/// `current_cpu_number()` in assembly, so its offset is fixed.
struct PerCPU {
  var number: UInt32
  var apicID: UInt32

  static var currentNumber: UInt32 { current_cpu_number() }

  /// Points GS at `block` (which must stay allocated) and fills it in.
  static func install(at block: UnsafeMutableRawPointer, number: UInt32, apicID: UInt32) {
    block.storeBytes(of: PerCPU(number: number, apicID: apicID), as: PerCPU.self)
    wrmsr(CPU.msrGSBase, UInt64(UInt(bitPattern: block)))
  }
}
