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

  /// Measures TSC ticks over about 10 ms of PIT channel 0 (mode 0, polled; no IRQ needed).
  /// Each PIT read is bracketed by TSC reads; a measurement whose brackets are wide (the
  /// virtual CPU was descheduled around a read, common on a loaded host) is repeated, up to 5
  /// times. Returns false and assumes 1 GHz when the PIT does not count.
  @discardableResult
  static func calibrate(bootTSC start: UInt64) -> Bool {
    bootTSC = start
    let window: UInt64 = pitFrequency / 100
    for attempt in 0..<5 {
      outb(0x43, 0x30)  // channel 0, lo/hi byte, mode 0, binary
      outb(0x40, 0xFF)
      outb(0x40, 0xFF)
      let before = rdtsc()
      let first = readPITCount()
      let tscStart = rdtsc()
      var polls = 0
      var last = first
      var tscBefore: UInt64 = 0
      var tscEnd: UInt64 = 0
      while true {
        tscBefore = rdtsc()
        last = readPITCount()
        tscEnd = rdtsc()
        if last <= first, UInt64(first - last) >= window { break }
        polls += 1
        if polls > 2_000_000 {
          ticksPerMicrosecond = 1000
          return false
        }
      }
      let pitTicks = UInt64(first - last)
      let elapsed = tscEnd &- tscStart
      let uncertainty = (tscStart &- before) &+ (tscEnd &- tscBefore)
      ticksPerMicrosecond = max(1, elapsed &* pitFrequency / (pitTicks &* 1_000_000))
      if uncertainty &* 200 < elapsed || attempt == 4 { break }
    }
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
