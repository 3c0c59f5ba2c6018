// The raw WASI preview 1 and `apus` imports the SDK is built on. Programs use the wrappers in
// the other SDK files; these are here for anything the wrappers do not cover.

@_extern(wasm, module: "wasi_snapshot_preview1", name: "args_sizes_get") @_extern(c)
func wasi_args_sizes_get(_ count: UnsafeMutablePointer<UInt32>, _ bytes: UnsafeMutablePointer<UInt32>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "args_get") @_extern(c)
func wasi_args_get(_ argv: UnsafeMutablePointer<UInt32>, _ buffer: UnsafeMutablePointer<UInt8>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "environ_sizes_get") @_extern(c)
func wasi_environ_sizes_get(_ count: UnsafeMutablePointer<UInt32>, _ bytes: UnsafeMutablePointer<UInt32>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "environ_get") @_extern(c)
func wasi_environ_get(_ environ: UnsafeMutablePointer<UInt32>, _ buffer: UnsafeMutablePointer<UInt8>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_write") @_extern(c)
func wasi_fd_write(_ fd: Int32, _ iovs: UnsafeRawPointer, _ count: Int32, _ written: UnsafeMutablePointer<UInt32>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_read") @_extern(c)
func wasi_fd_read(_ fd: Int32, _ iovs: UnsafeRawPointer, _ count: Int32, _ read: UnsafeMutablePointer<UInt32>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_close") @_extern(c)
func wasi_fd_close(_ fd: Int32) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_prestat_get") @_extern(c)
func wasi_fd_prestat_get(_ fd: Int32, _ prestat: UnsafeMutableRawPointer) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_prestat_dir_name") @_extern(c)
func wasi_fd_prestat_dir_name(_ fd: Int32, _ path: UnsafeMutablePointer<UInt8>, _ length: UInt32) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_readdir") @_extern(c)
func wasi_fd_readdir(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ length: UInt32, _ cookie: UInt64,
                     _ used: UnsafeMutablePointer<UInt32>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_open") @_extern(c)
func wasi_path_open(_ fd: Int32, _ lookupFlags: UInt32, _ path: UnsafePointer<UInt8>, _ pathLength: UInt32,
                    _ openFlags: UInt32, _ rightsBase: UInt64, _ rightsInheriting: UInt64, _ fdFlags: UInt32,
                    _ opened: UnsafeMutablePointer<Int32>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_filestat_get") @_extern(c)
func wasi_path_filestat_get(_ fd: Int32, _ lookupFlags: UInt32, _ path: UnsafePointer<UInt8>, _ pathLength: UInt32,
                            _ stat: UnsafeMutableRawPointer) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_create_directory") @_extern(c)
func wasi_path_create_directory(_ fd: Int32, _ path: UnsafePointer<UInt8>, _ pathLength: UInt32) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_remove_directory") @_extern(c)
func wasi_path_remove_directory(_ fd: Int32, _ path: UnsafePointer<UInt8>, _ pathLength: UInt32) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_unlink_file") @_extern(c)
func wasi_path_unlink_file(_ fd: Int32, _ path: UnsafePointer<UInt8>, _ pathLength: UInt32) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_rename") @_extern(c)
func wasi_path_rename(_ fd: Int32, _ path: UnsafePointer<UInt8>, _ pathLength: UInt32, _ newFd: Int32,
                      _ newPath: UnsafePointer<UInt8>, _ newPathLength: UInt32) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_filestat_set_times") @_extern(c)
func wasi_path_filestat_set_times(_ fd: Int32, _ lookupFlags: UInt32, _ path: UnsafePointer<UInt8>, _ pathLength: UInt32,
                                  _ accessTime: UInt64, _ modificationTime: UInt64, _ flags: UInt32) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "clock_time_get") @_extern(c)
func wasi_clock_time_get(_ clock: UInt32, _ precision: UInt64, _ time: UnsafeMutablePointer<UInt64>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "poll_oneoff") @_extern(c)
func wasi_poll_oneoff(_ subscriptions: UnsafeRawPointer, _ events: UnsafeMutableRawPointer, _ count: UInt32,
                      _ stored: UnsafeMutablePointer<UInt32>) -> UInt16
@_extern(wasm, module: "wasi_snapshot_preview1", name: "proc_exit") @_extern(c)
func wasi_proc_exit(_ code: UInt32)

// The Apus process calls (docs/USERSPACE.md). Negative results are negated WASI errnos.
@_extern(wasm, module: "apus", name: "spawn") @_extern(c)
func apus_spawn(_ name: UnsafePointer<UInt8>?, _ nameLength: UInt32, _ arguments: UnsafePointer<UInt8>?,
                _ argumentsLength: UInt32, _ environment: UnsafePointer<UInt8>?, _ environmentLength: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "spawn_stdio") @_extern(c)
func apus_spawn_stdio(_ name: UnsafePointer<UInt8>?, _ nameLength: UInt32, _ arguments: UnsafePointer<UInt8>?,
                      _ argumentsLength: UInt32, _ environment: UnsafePointer<UInt8>?, _ environmentLength: UInt32,
                      _ standardStreams: UnsafePointer<Int32>?) -> Int32
@_extern(wasm, module: "apus", name: "spawn_error") @_extern(c)
func apus_spawn_error(_ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "pipe") @_extern(c)
func apus_pipe(_ ends: UnsafeMutablePointer<Int32>?) -> UInt32
@_extern(wasm, module: "apus", name: "wait") @_extern(c)
func apus_wait(_ pid: Int32) -> Int32
@_extern(wasm, module: "apus", name: "kill") @_extern(c)
func apus_kill(_ pid: Int32) -> Int32
@_extern(wasm, module: "apus", name: "getpid") @_extern(c)
func apus_getpid() -> Int32
@_extern(wasm, module: "apus", name: "ps") @_extern(c)
func apus_ps(_ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "meminfo") @_extern(c)
func apus_meminfo(_ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "uptime_ns") @_extern(c)
func apus_uptime_ns() -> Int64
@_extern(wasm, module: "apus", name: "shutdown") @_extern(c)
func apus_shutdown() -> Int32
@_extern(wasm, module: "apus", name: "yield") @_extern(c)
func apus_yield() -> Int32
