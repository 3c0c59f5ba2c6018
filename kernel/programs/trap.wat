;; Stores one word per 4 KiB page until it runs past its 64 KiB memory: the store faults in the
;; guard region and comes back as a trap ("out of bounds memory access in func store_loop").
(module
  (memory 1)
  (func $store_loop (param $count i32)
    (local $i i32)
    (loop $again
      (i32.store (i32.mul (local.get $i) (i32.const 4096)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $count)))))
  (func (export "main") (result i32)
    (call $store_loop (i32.const 100))
    (i32.const 0)))
