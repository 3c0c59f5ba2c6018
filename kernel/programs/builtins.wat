;; memory.grow and memory.fill run as kernel builtins reached through host-call gates; the
;; result is the new size in pages (3) plus a filled byte (7): 10.
(module
  (memory 1)
  (func (export "main") (result i32)
    (drop (memory.grow (i32.const 2)))
    (memory.fill (i32.const 100) (i32.const 7) (i32.const 70000))
    (i32.add (memory.size) (i32.load8_u (i32.const 70099)))))
