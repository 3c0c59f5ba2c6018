/// A test-and-set spinlock. Lives in global storage (its address must not change while held).
struct Spinlock {
  private var word: UInt32 = 0

  var isHeld: Bool { mutating get { spin_is_held(&word) != 0 } }

  mutating func acquire() {
    while spin_try_acquire(&word) == 0 {
      while spin_is_held(&word) != 0 { cpu_pause() }
    }
  }

  mutating func release() { spin_release(&word) }

  /// Disables interrupts, then acquires; returns the previous RFLAGS for the release.
  mutating func acquireDisablingInterrupts() -> UInt64 {
    let flags = read_rflags()
    interrupts_disable()
    acquire()
    return flags
  }

  mutating func releaseRestoringInterrupts(_ flags: UInt64) {
    release()
    if flags & CPU.rflagsInterruptEnable != 0 { interrupts_enable() }
  }

  /// Tries for a bounded time; used by the panic path, which must print even if a lock holder died.
  mutating func tryAcquire(spins: Int) -> Bool {
    for _ in 0..<spins {
      if spin_try_acquire(&word) != 0 { return true }
      cpu_pause()
    }
    return false
  }
}

/// A spinlock whose word lives in its own allocation, so it can be a field of a class or be
/// copied around (all copies share the word). Interrupts are off while it is held.
struct SharedSpinlock {
  private let word: UnsafeMutablePointer<UInt32>

  init() {
    word = .allocate(capacity: 1)
    word.initialize(to: 0)
  }

  /// Frees the lock word (for a lock owned by an object that goes away; never while held).
  func deallocate() {
    word.deallocate()
  }

  func acquire() -> UInt64 {
    let flags = read_rflags()
    interrupts_disable()
    while spin_try_acquire(word) == 0 {
      while spin_is_held(word) != 0 {
        TLB.servicePendingShootdown()  // another CPU may wait for this one to flush
        cpu_pause()
      }
    }
    return flags
  }

  func release(_ flags: UInt64) {
    spin_release(word)
    if flags & CPU.rflagsInterruptEnable != 0 { interrupts_enable() }
  }

  func withLock<T>(_ body: () -> T) -> T {
    let flags = acquire()
    let result = body()
    release(flags)
    return result
  }
}
