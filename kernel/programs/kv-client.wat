;; kv-client — a client of service kv (`services` test): put/get, a buffer passed in, then
;; 100,000 cross-program calls and 100,000 call_indirect calls, timed (a functional check under
;; TCG, not a performance figure: `apus bench ipc` measures on the host). Calls that find kv
;; busy (another program on another CPU is in it: status 4) are retried after a yield.
;; Exit status: 0, 11 if kv has failed (serviceFailed), 12 on a wrong result, 10 + status else.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (import "apus" "yield" (func $yield (result i32)))
  (import "apus" "uptime_ns" (func $uptime (result i64)))
  (import "kv@1" "put" (func $put (param i32 i32) (result i32 i32)))
  (import "kv@1" "get" (func $get (param i32) (result i32 i32)))
  (import "kv@1" "sum" (func $sum (param i32 i32) (result i32 i32)))
  (import "kv@1" "add" (func $add (param i32 i32) (result i32 i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $plus)
  (type $binary (func (param i32 i32) (result i32)))
  (data (i32.const 0) "kv-client: put, get and sum ok")
  (data (i32.const 64) "\01\02\03\04\05")
  (data (i32.const 128) "kv-client: 100000 cross-program calls: ")
  (data (i32.const 192) "kv-client: 100000 call_indirect calls: ")
  (func $plus (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  ;; Ends the program unless `status` is 0.
  (func $check (param $status i32)
    (if (i32.eq (local.get $status) (i32.const 1)) (then (call $exit (i32.const 11))))
    (if (local.get $status) (then (call $exit (i32.add (i32.const 10) (i32.and (local.get $status) (i32.const 0xFF)))))))
  (func $expect (param $actual i32) (param $wanted i32)
    (if (i32.ne (local.get $actual) (local.get $wanted)) (then (call $exit (i32.const 12)))))
  ;; add through kv, retrying while kv is busy
  (func $kvAdd (param $a i32) (param $b i32) (result i32) (local $status i32) (local $value i32)
    (loop $retry
      (call $add (local.get $a) (local.get $b))
      (local.set $value)
      (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (call $check (local.get $status))
    (local.get $value))
  ;; Prints the 39-byte message at `text` followed by `value` in decimal and " us".
  (func $report (param $text i32) (param $value i64) (local $end i32) (local $start i32) (local $t i32)
    (memory.copy (i32.const 512) (local.get $text) (i32.const 39))
    (local.set $end (i32.const 600))
    (local.set $start (i32.const 600))
    (loop $digits
      (local.set $start (i32.sub (local.get $start) (i32.const 1)))
      (i32.store8 (local.get $start) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $value) (i64.const 0))))
    (local.set $t (i32.sub (local.get $end) (local.get $start)))
    (memory.copy (i32.const 551) (local.get $start) (local.get $t))
    (i32.store8 (i32.add (i32.const 551) (local.get $t)) (i32.const 32))   ;; " us"
    (i32.store8 (i32.add (i32.const 552) (local.get $t)) (i32.const 117))
    (i32.store8 (i32.add (i32.const 553) (local.get $t)) (i32.const 115))
    (call $print (i32.const 512) (i32.add (i32.const 42) (local.get $t))))
  (func (export "_start") (local $status i32) (local $value i32) (local $i i32) (local $acc i32) (local $t0 i64)
    (loop $retry
      (call $put (i32.const 3) (i32.const 42))
      (local.set $value) (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (call $check (local.get $status))
    (loop $retry
      (call $get (i32.const 3))
      (local.set $value) (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (call $check (local.get $status))
    (call $expect (local.get $value) (i32.const 42))
    (loop $retry
      (call $sum (i32.const 64) (i32.const 5))
      (local.set $value) (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (call $check (local.get $status))
    (call $expect (local.get $value) (i32.const 15))
    (call $print (i32.const 0) (i32.const 30))
    ;; 100,000 cross-program calls
    (local.set $t0 (call $uptime))
    (local.set $i (i32.const 0))
    (loop $calls
      (local.set $acc (call $kvAdd (local.get $acc) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (i32.const 100000))))
    (call $expect (local.get $acc) (i32.const 100000))
    (call $report (i32.const 128) (i64.div_u (i64.sub (call $uptime) (local.get $t0)) (i64.const 1000)))
    ;; 100,000 call_indirect calls
    (local.set $t0 (call $uptime))
    (local.set $i (i32.const 0))
    (local.set $acc (i32.const 0))
    (loop $calls
      (local.set $acc (call_indirect (type $binary) (local.get $acc) (i32.const 1) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (i32.const 100000))))
    (call $expect (local.get $acc) (i32.const 100000))
    (call $report (i32.const 192) (i64.div_u (i64.sub (call $uptime) (local.get $t0)) (i64.const 1000)))))
