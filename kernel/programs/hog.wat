;; hog — the `program-oom` test's offender (etc/capabilities: `hog: memory=4G`, far beyond the
;; machine): grows its memory one 64 KiB page at a time, storing the page number in each new
;; page, until memory.grow returns -1 because the machine's memory is all promised. Then it
;; holds the memory for 500 ms while the innocent `steady` keeps working, checks that every
;; page still holds its number, and ends with 0 (1 if a page lost its number).
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "sleep" (func $sleep (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hog: memory.grow returned -1 at pages: ")
  (data (i32.const 64) "hog: every page intact after the refusal")
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
  (func (export "_start") (result i32) (local $page i32)
    (loop $grow
      (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
        (then
          ;; Touch the whole page (16 frames), number in its first word.
          (memory.fill (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536)) (i32.const 0xA5) (i32.const 65536))
          (i32.store (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536)) (memory.size))
          (br $grow))))
    (call $print (i32.const 16)
      (i32.add (i32.const 39) (call $format (memory.size) (i32.const 55))))
    (call $sleep (i32.const 500))
    (local.set $page (i32.const 2))
    (loop $check
      (if (i32.le_u (local.get $page) (memory.size))
        (then
          (if (i32.ne (i32.load (i32.mul (i32.sub (local.get $page) (i32.const 1)) (i32.const 65536))) (local.get $page))
            (then (return (i32.const 1))))
          (local.set $page (i32.add (local.get $page) (i32.const 1)))
          (br $check))))
    (call $print (i32.const 64) (i32.const 40))
    (i32.const 0)))
