;; chan-echo — the child of the `channels` test. It starts with one channel end (handle 4096,
;; passed by init-chan through apus.spawn_with_handles) and serves it: a message with bytes
;; only is echoed back; a message that carries a channel end is answered with "pong" on that
;; end, which is then closed. When the peer closes (EPIPE) it exits with 0; any other error
;; exits with 10 + the errno.
(module
  (import "apus" "exit" (func $exit (param i32)))
  (import "apus" "channel_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "channel_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "handle_close" (func $close (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "pong")
  (func (export "_start") (local $errno i32) (local $end i32)
    (loop $serve
      ;; bytes at 500 (64), handles at 600 (4), sizes at 400
      (local.set $errno (call $recv (i32.const 4096) (i32.const 500) (i32.const 64) (i32.const 600) (i32.const 4) (i32.const 400)))
      (if (i32.eq (local.get $errno) (i32.const 64)) (then (call $exit (i32.const 0))))
      (if (local.get $errno) (then (call $exit (i32.add (i32.const 10) (local.get $errno)))))
      (if (i32.load (i32.const 404))
        (then
          (local.set $end (i32.load (i32.const 600)))
          (local.set $errno (call $send (local.get $end) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0)))
          (if (local.get $errno) (then (call $exit (i32.add (i32.const 10) (local.get $errno)))))
          (drop (call $close (local.get $end))))
        (else
          (local.set $errno (call $send (i32.const 4096) (i32.const 500) (i32.load (i32.const 400)) (i32.const 0) (i32.const 0)))
          (if (local.get $errno) (then (call $exit (i32.add (i32.const 10) (local.get $errno)))))))
      (br $serve))))
