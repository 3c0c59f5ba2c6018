;; loop — a service whose `spin` never returns (`services` test): a program killed while it
;; is inside it must still end (status 137), and the service is failed afterwards.
(module
  (func (export "spin") (result i32) (loop $forever (br $forever)) (i32.const 0)))
