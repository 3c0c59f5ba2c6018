/// The local APIC of each CPU (xAPIC, memory mapped, the same address on every CPU):
/// timer ticks, end-of-interrupt, start-up IPIs.
enum LocalAPIC {
  /// Virtual address of the registers (0 until `initialize`).
  nonisolated(unsafe) static var registers: UInt64 = 0
  nonisolated(unsafe) static var ticks: UInt64 = 0
  /// Timer counts per millisecond at divide-by-16 (calibrated against the TSC).
  nonisolated(unsafe) static var timerCountsPerMillisecond: UInt64 = 0

  // Register offsets.
  static let idRegister = 0x20, endOfInterruptRegister = 0xB0, spuriousRegister = 0xF0
  static let errorStatus = 0x280
  static let commandLow = 0x300, commandHigh = 0x310
  static let timerLVT = 0x320, timerInitialCount = 0x380, timerCurrentCount = 0x390
  static let timerDivide = 0x3E0

  static func read(_ offset: Int) -> UInt32 { mmio_read32(registers + UInt64(offset)) }
  static func write(_ offset: Int, _ value: UInt32) { mmio_write32(registers + UInt64(offset), value) }

  /// Maps the registers (boot CPU only) and enables this CPU's APIC.
  static func initialize() {
    let base = rdmsr(CPU.msrAPICBase)
    let physical = base & 0x000F_FFFF_FFFF_F000
    wrmsr(CPU.msrAPICBase, base | (1 << 11))  // global enable
    registers = UInt64(UInt(bitPattern: KernelMemory.mapDevice(physical, length: 4096)))
    enableOnThisCPU()
    // Legacy 8259 PICs, where present, stay masked: interrupts come through the APICs.
    outb(0x21, 0xFF)
    outb(0xA1, 0xFF)
  }

  static func enableOnThisCPU() {
    wrmsr(CPU.msrAPICBase, rdmsr(CPU.msrAPICBase) | (1 << 11))
    write(spuriousRegister, 0x100 | UInt32(InterruptVector.spurious))
    write(timerLVT, 1 << 16)  // masked
  }

  static var currentID: UInt32 { read(idRegister) >> 24 }

  static func endOfInterrupt() {
    if registers != 0 { write(endOfInterruptRegister, 0) }
  }

  /// Counts ticks on the boot CPU (the boot-time timer check); every CPU acknowledges its own.
  static func handleTimerInterrupt() {
    if PerCPU.currentNumber == 0 { ticks &+= 1 }
    endOfInterrupt()
  }

  /// Starts this CPU's timer (an AP) at the rate the boot CPU calibrated.
  static func startTimerOnThisCPU(hertz: UInt64) {
    write(timerDivide, 0x3)
    write(timerLVT, 1 << 17 | UInt32(InterruptVector.timer))
    write(timerInitialCount, UInt32(truncatingIfNeeded: max(1, timerCountsPerMillisecond * 1000 / hertz)))
  }

  /// A fixed interrupt to every CPU but this one (destination shorthand "all excluding self").
  static func broadcastIPI(vector: UInt32) {
    write(commandHigh, 0)
    write(commandLow, 0x000C_0000 | 0x4000 | vector)
    var spins = 0
    while read(commandLow) & (1 << 12) != 0, spins < 1_000_000 {
      cpu_pause()
      spins += 1
    }
  }

  /// Measures the timer against the TSC over 10 ms, then starts it periodic at `hertz`.
  static func startTimer(hertz: UInt64) {
    write(timerDivide, 0x3)  // divide by 16
    write(timerLVT, 1 << 16 | UInt32(InterruptVector.timer))
    write(timerInitialCount, UInt32.max)
    Clock.spin(microseconds: 10_000)
    let elapsed = UInt64(UInt32.max - read(timerCurrentCount))
    timerCountsPerMillisecond = max(1, elapsed / 10)
    write(timerLVT, 1 << 17 | UInt32(InterruptVector.timer))  // periodic, unmasked
    write(timerInitialCount, UInt32(truncatingIfNeeded: max(1, timerCountsPerMillisecond * 1000 / hertz)))
  }

  // MARK: Inter-processor interrupts

  static func sendIPI(to apicID: UInt32, command: UInt32) {
    write(commandHigh, apicID << 24)
    write(commandLow, command)
    var spins = 0
    while read(commandLow) & (1 << 12) != 0, spins < 1_000_000 {  // delivery pending
      cpu_pause()
      spins += 1
    }
  }

  /// INIT (assert, level), then the de-assert that older APICs need.
  static func sendINIT(to apicID: UInt32) {
    sendIPI(to: apicID, command: 0x0000_C500)
    sendIPI(to: apicID, command: 0x0000_8500)
  }

  /// START-UP: the AP begins in real mode at physical `vector << 12`.
  static func sendStartup(to apicID: UInt32, vector: UInt8) {
    sendIPI(to: apicID, command: 0x0000_0600 | UInt32(vector))
  }
}
