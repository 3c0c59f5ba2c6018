;; kv-stranger — imports kv although etc/capabilities does not allow it (`services` test):
;; the kernel must refuse to start it (status 3) before any of its code runs.
(module
  (import "apus" "exit" (func $exit (param i32)))
  (import "kv@1" "add" (func $add (param i32 i32) (result i32 i32)))
  (func (export "_start") (call $exit (i32.const 99))))
