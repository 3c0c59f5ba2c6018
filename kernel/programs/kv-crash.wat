;; kv-crash — makes kv trap (`services` test): the call returns status trapped | unreachable
;; (0x101) to this program, which goes on; kv is then failed: the next call returns 1
;; (serviceFailed) at once. Exit status 0, or the number of the check that failed.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "yield" (func $yield (result i32)))
  (import "kv@1" "crash" (func $crash (result i32 i32)))
  (import "kv@1" "add" (func $add (param i32 i32) (result i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "kv-crash: kv trapped, the error came back here")
  (func (export "_start") (result i32) (local $status i32)
    (loop $retry
      (call $crash)
      (drop)
      (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (if (i32.ne (local.get $status) (i32.const 0x101)) (then (return (i32.const 1))))
    (call $print (i32.const 0) (i32.const 46))
    (call $add (i32.const 1) (i32.const 2))
    (drop)
    (local.set $status)
    (if (i32.ne (local.get $status) (i32.const 1)) (then (return (i32.const 2))))
    (i32.const 0)))
