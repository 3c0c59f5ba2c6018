/// Time since boot from the TSC, calibrated once against the PIT (8254, 1.193182 MHz).
enum Clock {
  nonisolated(unsafe) static var bootTSC: UInt64 = 0
  /// 0 until calibrated; timestamps read 0 until then.
  nonisolated(unsafe) static var ticksPerMicrosecond: UInt64 = 0

  static let pitFrequency: UInt64 = 1_193_182

  static func microsecondsSinceBoot() -> UInt64 {
    guard ticksPerMicrosecond != 0 else { return 0 }
    return (rdtsc() &- bootTSC) / ticksPerMicrosecond
  }

  /// Measures TSC ticks over 10 ms of PIT channel 0 (mode 0, polled; no IRQ needed).
  /// Returns false and assumes 1 GHz when the PIT does not count (absent on some machines).
  @discardableResult
  static func calibrate(bootTSC start: UInt64) -> Bool {
    bootTSC = start
    let window: UInt64 = pitFrequency / 100
    outb(0x43, 0x30)  // channel 0, lo/hi byte, mode 0, binary
    outb(0x40, 0xFF)
    outb(0x40, 0xFF)
    let first = readPITCount()
    let tscStart = rdtsc()
    var polls = 0
    while true {
      let now = readPITCount()
      if now <= first, UInt64(first - now) >= window { break }
      polls += 1
      if polls > 2_000_000 {
        ticksPerMicrosecond = 1000
        return false
      }
    }
    let elapsed = rdtsc() &- tscStart
    ticksPerMicrosecond = max(1, elapsed / 10_000)
    return true
  }

  private static func readPITCount() -> UInt16 {
    outb(0x43, 0x00)  // latch channel 0
    let low = UInt16(inb(0x40))
    let high = UInt16(inb(0x40))
    return high << 8 | low
  }

  /// Busy-waits (used by SMP start-up, whose delays are specified in microseconds).
  static func spin(microseconds: UInt64) {
    let start = rdtsc()
    let ticks = microseconds &* max(ticksPerMicrosecond, 1)
    while rdtsc() &- start < ticks { cpu_pause() }
  }
}
