import Glibc
import WasmRuntime

/// The hosted platform's background work: one compile thread, started on first use, that runs
/// queued work items in order and sleeps on a condition variable when there are none. Tier-up
/// compiles there while the program keeps running on its own thread.
final class HostedBackgroundWorker: @unchecked Sendable {
    static let shared = HostedBackgroundWorker()

    private var queueLock = pthread_mutex_t()
    private var queueReady = pthread_cond_t()
    private var queue: [() -> Void] = []
    private var started = false
    /// `Platform.lockBackgroundState`.
    private var stateLock = pthread_mutex_t()

    private init() {
        pthread_mutex_init(&queueLock, nil)
        pthread_cond_init(&queueReady, nil)
        pthread_mutex_init(&stateLock, nil)
    }

    func submit(_ work: @escaping () -> Void) -> Bool {
        pthread_mutex_lock(&queueLock)
        defer { pthread_mutex_unlock(&queueLock) }
        if !started {
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { _ in
                HostedBackgroundWorker.shared.run()
                return nil
            }, nil)
            guard created == 0 else { return false }
            pthread_detach(thread)
            started = true
        }
        queue.append(work)
        pthread_cond_signal(&queueReady)
        return true
    }

    private func run() -> Never {
        while true {
            pthread_mutex_lock(&queueLock)
            while queue.isEmpty { pthread_cond_wait(&queueReady, &queueLock) }
            let work = queue.removeFirst()
            pthread_mutex_unlock(&queueLock)
            work()
        }
    }

    func lockState() { pthread_mutex_lock(&stateLock) }
    func unlockState() { pthread_mutex_unlock(&stateLock) }
}

extension HostedPlatform {
    public func runInBackground(_ work: @escaping () -> Void) -> Bool { HostedBackgroundWorker.shared.submit(work) }
    public func lockBackgroundState() { HostedBackgroundWorker.shared.lockState() }
    public func unlockBackgroundState() { HostedBackgroundWorker.shared.unlockState() }
}
