import WasmCompiler
import WasmRuntime

/// How often the kernel restarts one program or service marked `restart` in etc/capabilities:
/// at most `limit` restarts within `window`, each after a back-off that doubles (10 ms,
/// 20 ms, …), so one that traps at once after every start is given up on instead of looping.
struct RestartBudget {
  static let limit = 5
  static let windowMicroseconds: UInt64 = 60_000_000
  static let firstDelayMicroseconds: UInt64 = 10_000

  /// When the restarts within the window happened, oldest first.
  private var recent: [UInt64] = []
  /// Set once the limit was reached: never restarted again.
  private(set) var exhausted = false

  /// The number of this restart within the window (1-based) and how long to wait before it,
  /// or nil when the limit is reached (from then on, always nil).
  mutating func next(now: UInt64) -> (number: Int, delayMicroseconds: UInt64)? {
    guard !exhausted else { return nil }
    recent.removeAll { now &- $0 >= Self.windowMicroseconds }
    guard recent.count < Self.limit else {
      exhausted = true
      return nil
    }
    let delay = Self.firstDelayMicroseconds << UInt64(recent.count)
    recent.append(now)
    return (recent.count, delay)
  }
}

/// The kernel's supervisor of restartable services (`NAME: restart` in etc/capabilities): the
/// body of the task `services`, which owns the services' memory. A trap inside a service
/// reaches its caller as `trapped | kind` (the trampoline marks the service failed); every trap
/// wakes this task (`WasmTrapHandler.trapWatcher`), which instantiates each failed restartable
/// service afresh within its `RestartBudget` and repoints every importer at the new instance.
/// Calls between the trap and the restart get `serviceFailed` (status 1) and may retry.
enum ServiceSupervisor {
  nonisolated(unsafe) static var budgets: [String: RestartBudget] = [:]

  /// The trampoline marks the service failed just after the trap reaches its caller, on
  /// whichever CPU that runs: after a wake-up, look this many times, 10 ms apart.
  static let looksAfterATrap = 10

  static func run() {
    while true {
      Scheduler.block()
      var looks = 0
      while looks < looksAfterATrap {
        Scheduler.sleep(microseconds: 10_000)
        // The services' state records and memories are user memory: SMAP is lifted for the
        // check and the restart (which writes the new instance's memory and VM data).
        looks = UserAccess.open { restartFailedServices() } ? 0 : looks + 1
      }
    }
  }

  /// Restarts (or gives up on) every failed restartable service; whether any was failed.
  private static func restartFailedServices() -> Bool {
    guard let manifest = KernelServices.manifest else { return false }
    WASILock.acquire()
    defer { WASILock.release() }
    guard let system = KernelServices.system else { return false }
    var sawFailure = false
    for name in system.serviceNames where manifest.restartsAfterTrap(name) {
      guard let failure = system.serviceFailure(name), failure.failed else { continue }
      var budget = budgets[name] ?? RestartBudget()
      if budget.exhausted { continue }
      sawFailure = true
      let reason = trapKindName(failure.trap.map { UInt32($0.rawValue) } ?? 0)
      guard let (number, delay) = budget.next(now: Clock.microsecondsSinceBoot()) else {
        budgets[name] = budget
        Log.warning("services: \(string: name) trapped (\(reason)) again: \(RestartBudget.limit) restarts within \(RestartBudget.windowMicroseconds / 1_000_000) s, not restarted again")
        continue
      }
      budgets[name] = budget
      WASILock.whileReleased { Scheduler.sleep(microseconds: delay) }
      restart(name, in: system, reason: reason, number: number)
    }
    return sawFailure
  }

  /// Takes the service's `busy` word (so no call is inside the old instance), instantiates it
  /// afresh and lets it go; callers meanwhile get `serviceBusy` and retry.
  private static func restart(_ name: String, in system: ProgramSystem, reason: StaticString, number: Int) {
    guard let state = system.serviceState(name) else { return }
    do {
      // SAFETY: `state` is the service's live VMServiceStateLayout record (16 bytes, 4-aligned
      // u32 words) in VM data the system keeps for its lifetime; the word is only ever used
      // atomically (the trampolines' xchg, this exchange).
      let busy = (state + VMServiceStateLayout.busy).assumingMemoryBound(to: UInt32.self)
      var waited: UInt64 = 0
      while spin_try_acquire(busy) == 0 {
        // A caller that slipped in before the trap was recorded: wait for it (at most 1 s).
        guard waited < 1_000_000 else {
          Log.warning("services: \(string: name) stays busy; restart postponed")
          return
        }
        WASILock.whileReleased { Scheduler.sleep(microseconds: 10_000) }
        waited += 10_000
      }
      defer { spin_release(busy) }
      let start = Clock.microsecondsSinceBoot()
      do throws(ProgramError) {
        try system.restart(name)
        Log.warning("services: \(string: name) trapped (\(reason)); restarted in \((Clock.microsecondsSinceBoot() - start) / 1000) ms (restart \(number) of at most \(RestartBudget.limit) within \(RestartBudget.windowMicroseconds / 1_000_000) s)")
      } catch {
        Log.warning("services: \(string: name) trapped (\(reason)); restart \(number) failed: \(string: error.description)")
      }
    }
  }
}
