;; The `wasi` test's init: WASI preview 1 in the kernel next to the `apus` module. Writes to
;; stdout (the console), checks its arguments (argv = ["init"]) and environment (the kernel gives init CONSOLE=raw and PWD=/), reads
;; the boot image's file etc/motd through the preopened "/" (fd 3), creates and reads back a
;; file, echoes a line from stdin (the serial input), spawns `hello` through apus.spawn and
;; ends with proc_exit(0). Any failure exits with a distinct status (2–9).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "init-wasi: hello from WASI\n")   ;; 27 bytes
  (data (i32.const 32) "init-wasi: stdin: ")            ;; 18
  (data (i32.const 64) "etc/motd")                      ;; 8
  (data (i32.const 80) "hello")                         ;; 5
  (data (i32.const 96) "new-file")                      ;; 8
  (data (i32.const 112) "init-wasi: wrote and read back a file\n")  ;; 38
  ;; 1024: iovec (pointer, length); 1040: count; 1044: fd; 1048/1052: sizes; 1056: time
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 1024) (local.get $ptr))
    (i32.store (i32.const 1028) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 1024) (i32.const 1) (i32.const 1040))
      (then (call $proc_exit (i32.const 9)))))
  ;; Reads up to 512 bytes from fd into 2048; returns the count.
  (func $read (param $fd i32) (result i32)
    (i32.store (i32.const 1024) (i32.const 2048))
    (i32.store (i32.const 1028) (i32.const 512))
    (if (call $fd_read (local.get $fd) (i32.const 1024) (i32.const 1) (i32.const 1040))
      (then (call $proc_exit (i32.const 5))))
    (i32.load (i32.const 1040)))
  (func (export "_start")
    (local $pid i32)
    (call $write (i32.const 0) (i32.const 27))
    (if (call $args_sizes_get (i32.const 1048) (i32.const 1052)) (then (call $proc_exit (i32.const 2))))
    (if (i32.ne (i32.load (i32.const 1048)) (i32.const 1)) (then (call $proc_exit (i32.const 2))))
    (if (call $environ_sizes_get (i32.const 1048) (i32.const 1052)) (then (call $proc_exit (i32.const 3))))
    (if (i32.ne (i32.load (i32.const 1048)) (i32.const 2)) (then (call $proc_exit (i32.const 3))))
    (if (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 1056)) (then (call $proc_exit (i32.const 3))))
    ;; after 2020-01-01 (1577836800 s)
    (if (i64.lt_u (i64.load (i32.const 1056)) (i64.const 1577836800000000000)) (then (call $proc_exit (i32.const 3))))
    ;; etc/motd: path_open(fd 3, dirflags 0, path, oflags 0, rights fd_read, 0, fdflags 0, &fd)
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 8) (i32.const 0)
                         (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 1044))
      (then (call $proc_exit (i32.const 4))))
    (call $write (i32.const 2048) (call $read (i32.load (i32.const 1044))))
    (drop (call $fd_close (i32.load (i32.const 1044))))
    ;; new-file: create (oflags 1), rights fd_read | fd_write (2 | 64); write, reopen, read
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 96) (i32.const 8) (i32.const 1)
                         (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 1044))
      (then (call $proc_exit (i32.const 6))))
    (i32.store (i32.const 1024) (i32.const 112))
    (i32.store (i32.const 1028) (i32.const 38))
    (if (call $fd_write (i32.load (i32.const 1044)) (i32.const 1024) (i32.const 1) (i32.const 1040))
      (then (call $proc_exit (i32.const 6))))
    (drop (call $fd_close (i32.load (i32.const 1044))))
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 96) (i32.const 8) (i32.const 0)
                         (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 1044))
      (then (call $proc_exit (i32.const 6))))
    (call $write (i32.const 2048) (call $read (i32.load (i32.const 1044))))
    ;; a line from the serial input
    (call $write (i32.const 32) (i32.const 18))
    (call $write (i32.const 2048) (call $read (i32.const 0)))
    (local.set $pid (call $spawn (i32.const 80) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (if (i32.ne (call $wait (local.get $pid)) (i32.const 0)) (then (call $proc_exit (i32.const 7))))
    (call $proc_exit (i32.const 0))
    (unreachable)))
