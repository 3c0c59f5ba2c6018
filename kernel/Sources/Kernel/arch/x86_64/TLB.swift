/// TLB shootdown for the single shared address space: after a user mapping is removed or loses
/// permissions, every other CPU drops its cached translations before the change counts as done
/// (otherwise a stale writable entry could outlive a switch to read-execute, or reach a freed
/// frame). The initiator bumps a generation and sends an IPI to all other CPUs; each flushes its
/// non-global TLB entries (reload CR3) and acknowledges the generation. A CPU that spins on a
/// lock with interrupts off services pending requests while it waits, so two initiators, or an
/// initiator and a lock holder, cannot wait for each other forever.
enum TLB {
  static let vector = 0xF0

  nonisolated(unsafe) static var generation: UInt32 = 0
  nonisolated(unsafe) static var lockWord: UInt32 = 0
  nonisolated(unsafe) static var shootdowns: UInt64 = 0

  /// Flushes `pages` pages at `address` here and on every other online CPU.
  static func shootdown(_ address: UInt64, pages: UInt64) {
    if pages <= 64 {
      for page in 0..<pages { invlpg(address &+ page * pageSize) }
    } else {
      write_cr3(read_cr3())
    }
    let others = Int(atomic_load_u32(&SMP.onlineCount)) - 1
    guard others > 0 else { return }
    let flags = read_rflags()
    interrupts_disable()
    while spin_try_acquire(&lockWord) == 0 {
      servicePendingShootdown()
      cpu_pause()
    }
    let target = atomic_increment_u32(&generation)
    let me = Int(PerCPU.currentNumber)
    tlb_acknowledge(UInt32(me), target)
    shootdowns &+= 1
    LocalAPIC.broadcastIPI(vector: UInt32(vector))
    var waited: UInt64 = 0
    while !allAcknowledged(target, cpus: others + 1) {
      cpu_pause()
      waited &+= 1
      if waited == 2_000_000_000 { panic("tlb: shootdown \(target) not acknowledged") }
    }
    spin_release(&lockWord)
    if flags & CPU.rflagsInterruptEnable != 0 { interrupts_enable() }
  }

  private static func allAcknowledged(_ target: UInt32, cpus: Int) -> Bool {
    for cpu in 0..<min(cpus, 64) where tlb_acknowledged(UInt32(cpu)) < target { return false }
    return true
  }

  /// The IPI handler, and the poll of CPUs that spin with interrupts off.
  static func servicePendingShootdown() {
    let current = atomic_load_u32(&generation)
    let me = Int(PerCPU.currentNumber)
    guard me < 64, tlb_acknowledged(UInt32(me)) < current else { return }
    write_cr3(read_cr3())  // drops every non-global entry (user pages are never global)
    tlb_acknowledge(UInt32(me), current)
  }
}
