;; Loops forever: only the timer gets the CPU back.
(module
  (func (export "_start")
    (loop $forever (br $forever))))
