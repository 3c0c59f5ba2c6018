// kvstore — a service (kvstore.interface): 64 integer cells that outlive the programs using
// them, because the kernel runs one instance for all of its callers. Try `kvs put 7 42`, then
// `kvs get 7` in another command.
nonisolated(unsafe) var cells = [Int32](repeating: 0, count: 64)
nonisolated(unsafe) var writes: Int32 = 0

/// Stores `value` in cell `key` (modulo 64); returns the value it replaced.
@_expose(wasm, "put") @_cdecl("put")
func put(_ key: Int32, _ value: Int32) -> Int32 {
    let index = Int(UInt32(bitPattern: key) % 64)
    let old = cells[index]
    cells[index] = value
    writes &+= 1
    return old
}

@_expose(wasm, "get") @_cdecl("get")
func get(_ key: Int32) -> Int32 {
    cells[Int(UInt32(bitPattern: key) % 64)]
}

/// How many puts the service has seen, from every caller.
@_expose(wasm, "count") @_cdecl("count")
func count() -> Int32 { writes }
