import Glibc
import Synchronization
import WasmRuntime

/// Channels' locking and blocking on Linux: each monitor is a pthread mutex with a condition
/// variable. A waiter first spins briefly (yielding the CPU between checks) before it sleeps on
/// the condition variable: a reply that comes within `spinNanoseconds` then needs no futex
/// wake-up, which on this 2-vCPU machine costs far more than the message itself (a cross-CPU
/// wake is an inter-processor interrupt to a halted vCPU). Yielding keeps the spin cheap when
/// both threads share one CPU: the peer runs instead.
public final class HostedIPCScheduler: IPCScheduler, @unchecked Sendable {
    /// The default scheduler (20 µs of spinning before sleeping).
    public static let shared = HostedIPCScheduler()

    /// How long a waiter spins before it sleeps; 0 sleeps at once.
    public let spinNanoseconds: UInt64

    public init(spinNanoseconds: UInt64 = 20_000) {
        self.spinNanoseconds = spinNanoseconds
    }

    public func makeMonitor() -> any IPCMonitor { HostedIPCMonitor(spinNanoseconds: spinNanoseconds) }
}

/// A pthread mutex and condition variable (heap-allocated, since pthread objects must not move)
/// plus a wake-up counter that spinning waiters watch without the lock.
final class HostedIPCMonitor: IPCMonitor, @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Incremented by every `wakeAll` (with the mutex held).
    private let wakeups = Atomic<UInt64>(0)
    /// Waiters asleep on `condition` (guarded by the mutex).
    private var sleepers = 0
    private let spinNanoseconds: UInt64

    init(spinNanoseconds: UInt64) {
        self.spinNanoseconds = spinNanoseconds
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Never interrupted: hosted threads are not killed while they wait.
    func wait() -> Bool {
        let seen = wakeups.load(ordering: .relaxed)
        if spinNanoseconds > 0 {
            pthread_mutex_unlock(mutex)
            let start = Self.now()
            while wakeups.load(ordering: .acquiring) == seen, Self.now() &- start < spinNanoseconds {
                sched_yield()
            }
            pthread_mutex_lock(mutex)
        }
        // `wakeAll` runs with the mutex held, so no wake-up is lost between this check and the wait.
        while wakeups.load(ordering: .relaxed) == seen {
            sleepers += 1
            pthread_cond_wait(condition, mutex)
            sleepers -= 1
        }
        return true
    }

    func wakeAll() {
        wakeups.add(1, ordering: .releasing)
        if sleepers > 0 { pthread_cond_broadcast(condition) }
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
