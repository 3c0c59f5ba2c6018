;; kv — the service of the `services` test (its apus.interface section: kv.interface): one
;; instance in the kernel, called by several programs through cross-program trampolines.
;; A table of 16 i32 values, the sum of an input buffer, an adder and a trap.
(module
  (memory (export "memory") 1)
  (global $puts (mut i32) (i32.const 0))
  ;; put(key, value) -> how many puts so far
  (func (export "put") (param $key i32) (param $value i32) (result i32)
    (i32.store (i32.shl (i32.and (local.get $key) (i32.const 15)) (i32.const 2)) (local.get $value))
    (global.set $puts (i32.add (global.get $puts) (i32.const 1)))
    (global.get $puts))
  (func (export "get") (param $key i32) (result i32)
    (i32.load (i32.shl (i32.and (local.get $key) (i32.const 15)) (i32.const 2))))
  ;; sum(buffer, length): the buffer arrives in the buffer area (declared `export sum 0:in`)
  (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $crash (export "crash") (result i32) unreachable))
