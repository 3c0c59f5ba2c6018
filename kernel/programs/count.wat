;; A long loop (preempted by the timer; two copies share a CPU): returns 0 when it counted to
;; 20 million.
(module
  (func (export "main") (result i32)
    (local $i i32)
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 20000000))))
    (i32.sub (local.get $i) (i32.const 20000000))))
