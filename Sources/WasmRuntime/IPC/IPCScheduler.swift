/// What channels need from the system they run on to lock and to block. Hosted mode implements
/// it with a pthread mutex and condition variable (`HostedIPCScheduler`); the kernel implements
/// it with its scheduler (a spinlock plus a wait queue of blocked tasks).
public protocol IPCScheduler: AnyObject {
    /// A new, unlocked monitor. Every channel makes one and uses it for both directions.
    func makeMonitor() -> any IPCMonitor
}

/// A lock with one condition, in the style of a condition variable. All channel state is read
/// and written with the lock held; a thread that must wait for a change calls `wait`, and every
/// change another thread may be waiting for is followed by `wakeAll`.
///
/// Contract:
/// - `lock`/`unlock`: mutual exclusion; not recursive; `unlock` only by the holder.
/// - `wait()`: called with the lock held. Atomically releases it and blocks the caller until a
///   later `wakeAll` (a wake-up between releasing and blocking must not be lost); reacquires the
///   lock before returning. May return spuriously: callers re-check their condition in a loop.
///   Returns false when the caller must stop waiting (e.g. its task is being killed): the
///   channel operation then fails with `.interrupted` (EINTR) and changes nothing.
/// - `wakeAll()`: called with the lock held. Makes every caller currently blocked in `wait` on
///   this monitor runnable. Channels call it only when they know someone waits.
public protocol IPCMonitor: AnyObject {
    func lock()
    func unlock()
    func wait() -> Bool
    func wakeAll()
}
