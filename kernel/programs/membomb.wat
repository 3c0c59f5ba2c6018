;; Grows its memory one 64 KiB page at a time, touching each new page, until memory.grow
;; returns -1 (the kernel's per-program limit), then reports how far it got and ends with 0.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "membomb: memory.grow returned -1 at pages: ")
  ;; Writes `n` in decimal at `at`; returns the number of digits.
  (func $format (param $n i32) (param $at i32) (result i32)
    (local $length i32) (local $rest i32) (local $index i32)
    (local.set $rest (local.get $n))
    (local.set $length (i32.const 1))
    (block $counted
      (loop $count
        (local.set $rest (i32.div_u (local.get $rest) (i32.const 10)))
        (br_if $counted (i32.eqz (local.get $rest)))
        (local.set $length (i32.add (local.get $length) (i32.const 1)))
        (br $count)))
    (local.set $index (local.get $length))
    (loop $digit
      (local.set $index (i32.sub (local.get $index) (i32.const 1)))
      (i32.store8 (i32.add (local.get $at) (local.get $index))
                  (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $index)))
    (local.get $length))
  (func (export "_start")
    (loop $grow
      (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
        (then
          (i32.store (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536)) (memory.size))
          (br $grow))))
    (call $print (i32.const 0)
      (i32.add (i32.const 43) (call $format (memory.size) (i32.const 43))))))
