/// What each CPU needs before it can run user code: the SYSCALL MSRs and the FPU/SSE state
/// that user programs (unlike the kernel, built with -mno-sse) use.
enum UserMode {
  static let msrSTAR: UInt32 = 0xC000_0081
  static let msrLSTAR: UInt32 = 0xC000_0082
  static let msrFMASK: UInt32 = 0xC000_0084

  /// RFLAGS bits SYSCALL clears: TF, IF, DF, NT and AC (the kernel starts with SMAP enforced).
  static let syscallFlagMask: UInt64 = 1 << 8 | 1 << 9 | 1 << 10 | 1 << 14 | 1 << 18

  /// Bytes of one task's saved FPU state (`xsave` area, or 512 for `fxsave`).
  nonisolated(unsafe) static var fpuStateSize = 512
  /// XCR0 components saved per task; 0 means the CPU has no XSAVE and `fxsave` is used.
  nonisolated(unsafe) static var xsaveMask: UInt64 = 0

  /// Per CPU: EFER.SCE, STAR (kernel CS 0x08; SYSRET CS 0x23 and SS 0x1B from base 0x10),
  /// LSTAR, FMASK; then the FPU: x87 + SSE (+ AVX state through XSAVE when present).
  static func enableOnThisCPU(_ features: CPUFeatures) {
    wrmsr(CPU.msrEFER, rdmsr(CPU.msrEFER) | 1)
    wrmsr(msrSTAR, UInt64(Descriptors.kernelCode) << 32 | UInt64(Descriptors.kernelData) << 48)
    wrmsr(msrLSTAR, syscall_entry_address())
    wrmsr(msrFMASK, syscallFlagMask)

    // CR0: MP and NE on, EM and TS off. CR4: OSFXSR, OSXMMEXCPT (+ OSXSAVE).
    write_cr0((read_cr0() | 1 << 1 | 1 << 5) & ~(1 << 2 | 1 << 3))
    let hasXSAVE = features.leaf1.ecx & (1 << 26) != 0
    let hasAVX = features.leaf1.ecx & (1 << 28) != 0
    var cr4 = read_cr4() | 1 << 9 | 1 << 10
    if hasXSAVE { cr4 |= 1 << 18 }
    write_cr4(cr4)
    if hasXSAVE {
      let mask: UInt64 = hasAVX ? 0b111 : 0b11
      write_xcr0(mask)
      xsaveMask = mask
      fpuStateSize = Int(max(cpuid(0xD, 0).ebx, 576))
    }
    fpu_init()
  }

  /// A fresh task's FPU state: x87 control word 0x37F and MXCSR 0x1F80 (all exceptions
  /// masked), everything else zero (XSAVE header zero = the initial state of every component).
  static func initializeFPUState(_ area: UnsafeMutableRawPointer) {
    area.initializeMemory(as: UInt8.self, repeating: 0, count: fpuStateSize)
    area.storeBytes(of: 0x037F, toByteOffset: 0, as: UInt16.self)
    area.storeBytes(of: 0x1F80, toByteOffset: 24, as: UInt32.self)
  }

  static func saveFPU(_ area: UnsafeMutableRawPointer) {
    if xsaveMask != 0 { fpu_xsave(area, xsaveMask) } else { fpu_fxsave(area) }
  }

  static func restoreFPU(_ area: UnsafeMutableRawPointer) {
    if xsaveMask != 0 { fpu_xrstor(area, xsaveMask) } else { fpu_fxrstor(area) }
  }
}
