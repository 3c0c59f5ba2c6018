;; init for the `program-oom` test: steady (innocent) starts first, then hog (allowed 4 GiB by
;; etc/capabilities) grows until the machine's memory is all promised and memory.grow returns
;; -1. Both must end with 0, and hello must run afterwards (the memory came back).
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (import "apus" "sleep" (func $sleep (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "steady")
  (data (i32.const 8) "hog")
  (data (i32.const 16) "hello")
  (data (i32.const 32) "init-oom: hog refused at the machine's limit; steady and hello unharmed")
  (func $start (param $name i32) (param $length i32) (result i32)
    (call $spawn (local.get $name) (local.get $length) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "_start") (local $steady i32) (local $hog i32)
    (local.set $steady (call $start (i32.const 0) (i32.const 6)))
    (call $sleep (i32.const 50))
    (local.set $hog (call $start (i32.const 8) (i32.const 3)))
    (if (call $wait (local.get $hog)) (then (call $exit (i32.const 1))))
    (if (call $wait (local.get $steady)) (then (call $exit (i32.const 2))))
    (if (call $wait (call $start (i32.const 16) (i32.const 5))) (then (call $exit (i32.const 3))))
    (call $print (i32.const 32) (i32.const 71))))
