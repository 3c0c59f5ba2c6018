;; kv-spinner — calls loop.spin, which never returns, and keeps calling it (`services` test):
;; init-kv kills it; the kill interrupts the service's code, the trampoline returns an error
;; status here, and the kernel then interrupts this program's own code: it ends with 137.
(module
  (import "loop@1" "spin" (func $spin (result i32 i32)))
  (func (export "_start")
    (loop $again
      (call $spin)
      (drop)
      (drop)
      (br $again))))
