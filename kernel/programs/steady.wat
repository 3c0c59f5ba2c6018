;; steady — the innocent program of the `program-oom` test: 2 MiB it fills with a pattern at
;; its start, then 100 rounds 10 ms apart (while hog runs the machine out of memory) in which it
;; checks the pattern and writes the next one. Ends with 0, or 1 if a word was wrong.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "sleep" (func $sleep (param i32)))
  (memory (export "memory") 32)
  (data (i32.const 0) "steady: 2 MiB checked and rewritten 100 times while memory ran out")
  (func $fill (param $round i32) (local $at i32)
    (local.set $at (i32.const 4096))
    (loop $next
      (i32.store (local.get $at) (i32.xor (local.get $at) (local.get $round)))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br_if $next (i32.lt_u (local.get $at) (i32.const 0x200000)))))
  (func $check (param $round i32) (result i32) (local $at i32)
    (local.set $at (i32.const 4096))
    (loop $next
      (if (i32.ne (i32.load (local.get $at)) (i32.xor (local.get $at) (local.get $round)))
        (then (return (i32.const 0))))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br_if $next (i32.lt_u (local.get $at) (i32.const 0x200000))))
    (i32.const 1))
  (func (export "_start") (result i32) (local $round i32)
    (call $fill (i32.const 0))
    (loop $rounds
      (call $sleep (i32.const 10))
      (if (i32.eqz (call $check (local.get $round))) (then (return (i32.const 1))))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (call $fill (local.get $round))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 100))))
    (call $print (i32.const 0) (i32.const 66))
    (i32.const 0)))
