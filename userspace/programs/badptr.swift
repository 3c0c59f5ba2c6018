// badptr — passes pointers outside linear memory to WASI and apus calls (for tests). Each call
// must fail with EFAULT (21) and leave the program running; prints one line per call and
// exits with 0 if every call faulted.
@main struct Main {
    static func main() {
        let bad = UnsafeMutablePointer<UInt8>(bitPattern: UInt(0xFFFF_FF00))!
        let badWords = UnsafeMutablePointer<UInt32>(bitPattern: UInt(0xFFFF_FF00))!
        var results: [(String, Int32)] = []
        var count: UInt32 = 0
        results.append(("fd_write", Int32(wasi_fd_write(1, UnsafeRawPointer(bad), 1, &count))))
        results.append(("fd_read", Int32(wasi_fd_read(0, UnsafeRawPointer(bad), 1, &count))))
        results.append(("args_get", Int32(wasi_args_get(badWords, bad))))
        var fd: Int32 = 0
        results.append(("path_open", Int32(wasi_path_open(3, 0, bad, 16, 0, 2, 0, 0, &fd))))
        results.append(("clock_time_get", Int32(wasi_clock_time_get(0, 1, UnsafeMutablePointer<UInt64>(bitPattern: UInt(0xFFFF_FFF8))!))))
        results.append(("apus.spawn", -apus_spawn(bad, 200, nil, 0, nil, 0)))
        results.append(("apus.ps", -apus_ps(bad, 4096)))
        var failures: Int32 = 0
        for (name, errno) in results {
            print(name + ": errno " + String(errno) + (errno == 21 ? " (fault)" : " UNEXPECTED"))
            if errno != 21 { failures += 1 }
        }
        print(failures == 0 ? "badptr: all calls faulted" : "badptr: " + String(failures) + " calls did not fault")
        exit(failures == 0 ? 0 : 1)
    }
}
