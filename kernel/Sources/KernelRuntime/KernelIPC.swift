import WasmRuntime

/// Channels in the kernel (docs/IPC.md): WasmRuntime's shared channel code over the scheduler.
/// A monitor is a spinlock (interrupts off while held, so a holder is never preempted on its
/// CPU) plus the tasks blocked in `wait`; a blocked receiver costs no CPU and is made ready by
/// the sender's `wakeAll`. A task that is being killed stops waiting (EINTR).
final class KernelIPCScheduler: IPCScheduler {
  static let shared = KernelIPCScheduler()

  func makeMonitor() -> any IPCMonitor { KernelIPCMonitor() }
}

final class KernelIPCMonitor: IPCMonitor {
  private let spinlock = SharedSpinlock()
  /// RFLAGS of the holder before it took the lock (restored by `unlock`).
  private var savedFlags: UInt64 = 0
  private var waiters: [Task] = []

  deinit { spinlock.deallocate() }

  func lock() { savedFlags = spinlock.acquire() }

  func unlock() { spinlock.release(savedFlags) }

  func wait() -> Bool {
    let task = Scheduler.currentTask
    guard !task.killRequested else { return false }
    waiters.append(task)
    unlock()
    // Nobody sleeps holding the WASI lock (a program blocked on a pipe inside fd_read).
    let heldWASILock = WASILock.releaseIfHeld()
    // A wake between the unlock and here is not lost: `Scheduler.block` returns at once.
    Scheduler.block()
    if heldWASILock { WASILock.acquire() }
    lock()
    waiters.removeAll { $0 === task }
    return !task.killRequested
  }

  func wakeAll() {
    for task in waiters { Scheduler.wake(task) }
    waiters.removeAll()
  }
}
