;; init for the `services-restart` test: kv is marked `restart` in etc/capabilities. Five times
;; kv is made to trap (the call in flight gets trapped | unreachable, 0x101); the kernel's
;; supervisor restarts it, and the next calls succeed against a fresh instance (the value put
;; before the trap is gone). The sixth trap exceeds the restart budget (5 within 60 s): kv stays
;; failed (status 1) from then on. Exit status 0, or the number of the check that failed.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (import "apus" "yield" (func $yield (result i32)))
  (import "apus" "sleep" (func $sleep (param i32)))
  (import "kv@1" "put" (func $put (param i32 i32) (result i32 i32)))
  (import "kv@1" "get" (func $get (param i32) (result i32 i32)))
  (import "kv@1" "crash" (func $crash (result i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "init-restart: kv trapped; after the restart a fresh kv answers")
  (data (i32.const 64) "init-restart: the sixth trap: kv is not restarted again and stays failed")
  (func $fail (param $check i32) (call $exit (local.get $check)))
  ;; Makes kv trap: the call in flight must come back as trapped | unreachable.
  (func $makeKvTrap (local $status i32)
    (loop $retry
      (call $crash)
      (drop)
      (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (if (i32.ne (local.get $status) (i32.const 0x101)) (then (call $fail (i32.const 1)))))
  ;; get(3) until kv answers (status 1: failed, not restarted yet; 4: busy), at most ~3 s.
  (func $getAfterRestart (result i32) (local $status i32) (local $value i32) (local $tries i32)
    (loop $retry
      (call $get (i32.const 3))
      (local.set $value)
      (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry)))
      (if (i32.eq (local.get $status) (i32.const 1))
        (then
          (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
          (if (i32.gt_u (local.get $tries) (i32.const 300)) (then (call $fail (i32.const 2))))
          (call $sleep (i32.const 10))
          (br $retry))))
    (if (local.get $status) (then (call $fail (i32.const 3))))
    (local.get $value))
  (func $putSeven (local $status i32)
    (call $put (i32.const 3) (i32.const 7))
    (drop)
    (local.set $status)
    (if (local.get $status) (then (call $fail (i32.const 4)))))
  (func (export "_start") (local $round i32) (local $status i32) (local $looks i32)
    (call $putSeven)
    (loop $rounds
      (call $makeKvTrap)
      ;; A fresh instance: the 7 stored before the trap is gone.
      (if (i32.ne (call $getAfterRestart) (i32.const 0)) (then (call $fail (i32.const 5))))
      (call $putSeven)
      (if (i32.ne (call $getAfterRestart) (i32.const 7)) (then (call $fail (i32.const 6))))
      (call $print (i32.const 0) (i32.const 62))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 5))))
    (call $makeKvTrap)
    ;; For a second: every call finds kv failed.
    (loop $look
      (call $sleep (i32.const 10))
      (call $get (i32.const 3))
      (drop)
      (local.set $status)
      (if (i32.ne (local.get $status) (i32.const 1)) (then (call $fail (i32.const 7))))
      (local.set $looks (i32.add (local.get $looks) (i32.const 1)))
      (br_if $look (i32.lt_u (local.get $looks) (i32.const 100))))
    (call $print (i32.const 64) (i32.const 72))))
