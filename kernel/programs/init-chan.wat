;; init for the `channels` test: asynchronous channels between two programs (docs/IPC.md).
;; Creates a channel, starts chan-echo with one end (apus.spawn_with_handles), waits 50 ms so
;; that chan-echo blocks in channel_recv, then: an echo, 1,000 timed round trips, a message
;; that carries the end of a second channel (chan-echo answers on it), refusals of a bad handle
;; and a bad pointer, and finally closes its end: chan-echo sees EPIPE and exits with 0.
;; Exit status: 0, or the number of the step that failed.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (import "apus" "sleep" (func $sleep (param i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "uptime_ns" (func $uptime (result i64)))
  (import "apus" "spawn_with_handles" (func $spawn (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "channel_create" (func $create (param i32) (result i32)))
  (import "apus" "channel_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "channel_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "handle_close" (func $close (param i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "chan-echo")
  (data (i32.const 16) "ping")
  (data (i32.const 32) "init-chan: echo, a passed channel end and EPIPE: ok")
  (data (i32.const 96) "init-chan: 1000 channel round trips: ")
  ;; Fails with `step` unless `value` is `wanted`.
  (func $expect (param $value i32) (param $wanted i32) (param $step i32)
    (if (i32.ne (local.get $value) (local.get $wanted)) (then (call $exit (local.get $step)))))
  ;; Receives on `end` into 500 (64 bytes), handles at 600, sizes at 400; the errno.
  (func $receive (param $end i32) (result i32)
    (call $recv (local.get $end) (i32.const 500) (i32.const 64) (i32.const 600) (i32.const 4) (i32.const 400)))
  ;; Prints the 37-byte message at 96 followed by `value` and " us".
  (func $report (param $value i64) (local $start i32) (local $t i32)
    (memory.copy (i32.const 1024) (i32.const 96) (i32.const 37))
    (local.set $start (i32.const 1200))
    (loop $digits
      (local.set $start (i32.sub (local.get $start) (i32.const 1)))
      (i32.store8 (local.get $start) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $value) (i64.const 0))))
    (local.set $t (i32.sub (i32.const 1200) (local.get $start)))
    (memory.copy (i32.const 1061) (local.get $start) (local.get $t))
    (i32.store8 (i32.add (i32.const 1061) (local.get $t)) (i32.const 32))
    (i32.store8 (i32.add (i32.const 1062) (local.get $t)) (i32.const 117))
    (i32.store8 (i32.add (i32.const 1063) (local.get $t)) (i32.const 115))
    (call $print (i32.const 1024) (i32.add (i32.const 40) (local.get $t))))
  (func (export "_start") (local $a i32) (local $child i32) (local $i i32) (local $t0 i64)
    ;; 1: a channel; its ends at 300 and 304
    (call $expect (call $create (i32.const 300)) (i32.const 0) (i32.const 1))
    (local.set $a (i32.load (i32.const 300)))
    ;; 2: chan-echo gets the other end (the handle list at 304, one entry)
    (local.set $child (call $spawn (i32.const 0) (i32.const 9) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                                   (i32.const 304) (i32.const 1)))
    (if (i32.le_s (local.get $child) (i32.const 0)) (then (call $exit (i32.const 2))))
    ;; 3: the end went to the child: it is no longer ours
    (call $expect (call $close (i32.load (i32.const 304))) (i32.const 8) (i32.const 3))
    (call $sleep (i32.const 50))
    ;; 4: an echo
    (call $expect (call $send (local.get $a) (i32.const 16) (i32.const 4) (i32.const 0) (i32.const 0)) (i32.const 0) (i32.const 4))
    (call $expect (call $receive (local.get $a)) (i32.const 0) (i32.const 5))
    (call $expect (i32.load (i32.const 400)) (i32.const 4) (i32.const 6))
    (call $expect (i32.load (i32.const 500)) (i32.load (i32.const 16)) (i32.const 7))
    ;; 8: 1,000 round trips of 8 bytes
    (local.set $t0 (call $uptime))
    (loop $trips
      (call $expect (call $send (local.get $a) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0)) (i32.const 0) (i32.const 8))
      (call $expect (call $receive (local.get $a)) (i32.const 0) (i32.const 9))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $trips (i32.lt_u (local.get $i) (i32.const 1000))))
    (call $report (i64.div_u (i64.sub (call $uptime) (local.get $t0)) (i64.const 1000)))
    ;; 10: a second channel (ends at 308, 312); its second end travels in a message
    (call $expect (call $create (i32.const 308)) (i32.const 0) (i32.const 10))
    (call $expect (call $send (local.get $a) (i32.const 16) (i32.const 4) (i32.const 312) (i32.const 1)) (i32.const 0) (i32.const 11))
    (call $expect (call $receive (i32.load (i32.const 308))) (i32.const 0) (i32.const 12))
    (call $expect (i32.load (i32.const 500)) (i32.const 0x676E6F70) (i32.const 13))  ;; "pong"
    ;; 14: chan-echo closed that end after answering: EPIPE now
    (call $expect (call $receive (i32.load (i32.const 308))) (i32.const 64) (i32.const 14))
    ;; 15, 16: a bad handle and a buffer outside memory are refused
    (call $expect (call $send (i32.const 12345) (i32.const 16) (i32.const 4) (i32.const 0) (i32.const 0)) (i32.const 8) (i32.const 15))
    (call $expect (call $send (local.get $a) (i32.const 131070) (i32.const 4) (i32.const 0) (i32.const 0)) (i32.const 21) (i32.const 16))
    ;; 17: closing our end ends chan-echo (EPIPE there)
    (call $expect (call $close (local.get $a)) (i32.const 0) (i32.const 17))
    (call $expect (call $wait (local.get $child)) (i32.const 0) (i32.const 18))
    (call $print (i32.const 32) (i32.const 51))))
