;; A short-lived program with the parts every program has (code, a memory with data, a
;; global, a table): for the 1,000-program test.
(module
  (memory 1)
  (data (i32.const 16) "tiny")
  (global $counter (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $bump)
  (func $bump (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (func (export "_start")
    (call_indirect (i32.const 0))
    (i32.store (i32.const 32) (global.get $counter))))
