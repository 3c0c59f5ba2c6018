import WasmCompiler
import WasmFrontEnd

// The `VMBuiltin` functions: called by compiled code with the C calling convention, the
// caller's VMContext first. Indices (memory, table, segment) are UInt32; addresses, lengths
// and values are UInt64 (i32 operands zero-extended). Trap-reporting builtins return a
// `TrapKind` raw value or 0.

private func memoryGrowBuiltin(_ vmctx: UnsafeMutableRawPointer, _ memory: UInt32, _ delta: UInt64) -> Int64 {
    guard let memory = InstanceEntity.from(vmctx: vmctx).memory(at: memory), let old = memory.grow(by: delta) else { return -1 }
    return Int64(old)
}

private func memoryFillBuiltin(_ vmctx: UnsafeMutableRawPointer, _ memory: UInt32, _ destination: UInt64,
                               _ value: UInt32, _ length: UInt64) -> UInt32 {
    guard let memory = InstanceEntity.from(vmctx: vmctx).memory(at: memory),
          memory.contains(offset: destination, count: length)
    else { return TrapKind.memoryOutOfBounds.rawValue }
    if length > 0 {
        (memory.baseAddress + Int(destination)).initializeMemory(
            as: UInt8.self, repeating: UInt8(truncatingIfNeeded: value), count: Int(length))
    }
    return 0
}

private func memoryCopyBuiltin(_ vmctx: UnsafeMutableRawPointer, _ destinationMemory: UInt32, _ sourceMemory: UInt32,
                               _ destination: UInt64, _ source: UInt64, _ length: UInt64) -> UInt32 {
    let instance = InstanceEntity.from(vmctx: vmctx)
    guard let target = instance.memory(at: destinationMemory), let origin = instance.memory(at: sourceMemory),
          target.contains(offset: destination, count: length), origin.contains(offset: source, count: length)
    else { return TrapKind.memoryOutOfBounds.rawValue }
    if length > 0 {
        // copyMemory has memmove semantics: overlapping ranges are fine.
        (target.baseAddress + Int(destination)).copyMemory(
            from: origin.baseAddress + Int(source), byteCount: Int(length))
    }
    return 0
}

private func memoryInitBuiltin(_ vmctx: UnsafeMutableRawPointer, _ memory: UInt32, _ segment: UInt32,
                               _ destination: UInt64, _ source: UInt64, _ length: UInt64) -> UInt32 {
    InstanceEntity.from(vmctx: vmctx).memoryInit(memory: memory, segment: segment, destination: destination,
                                           source: source, length: length)?.rawValue ?? 0
}

private func dataDropBuiltin(_ vmctx: UnsafeMutableRawPointer, _ segment: UInt32) {
    let instance = InstanceEntity.from(vmctx: vmctx)
    if Int(segment) < instance.dataSegments.count { instance.dataSegments[Int(segment)] = 0..<0 }
}

private func tableGrowBuiltin(_ vmctx: UnsafeMutableRawPointer, _ table: UInt32, _ initialValue: UInt64,
                              _ delta: UInt64) -> Int64 {
    guard let table = InstanceEntity.from(vmctx: vmctx).table(at: table),
          let old = table.grow(by: delta, initialValue: initialValue)
    else { return -1 }
    return Int64(old)
}

private func tableFillBuiltin(_ vmctx: UnsafeMutableRawPointer, _ table: UInt32, _ destination: UInt64,
                              _ value: UInt64, _ length: UInt64) -> UInt32 {
    guard let table = InstanceEntity.from(vmctx: vmctx).table(at: table), inBounds(destination, length, table.count) else {
        return TrapKind.tableOutOfBounds.rawValue
    }
    if length > 0 { (table.elements + Int(destination)).update(repeating: value, count: Int(length)) }
    return 0
}

private func tableCopyBuiltin(_ vmctx: UnsafeMutableRawPointer, _ destinationTable: UInt32, _ sourceTable: UInt32,
                              _ destination: UInt64, _ source: UInt64, _ length: UInt64) -> UInt32 {
    let instance = InstanceEntity.from(vmctx: vmctx)
    guard let target = instance.table(at: destinationTable), let origin = instance.table(at: sourceTable),
          inBounds(destination, length, target.count), inBounds(source, length, origin.count)
    else { return TrapKind.tableOutOfBounds.rawValue }
    if length > 0 {
        UnsafeMutableRawPointer(target.elements + Int(destination)).copyMemory(
            from: UnsafeRawPointer(origin.elements + Int(source)), byteCount: Int(length) * 8)
    }
    return 0
}

private func tableInitBuiltin(_ vmctx: UnsafeMutableRawPointer, _ table: UInt32, _ segment: UInt32,
                              _ destination: UInt64, _ source: UInt64, _ length: UInt64) -> UInt32 {
    InstanceEntity.from(vmctx: vmctx).tableInit(table: table, segment: segment, destination: destination,
                                          source: source, length: length)?.rawValue ?? 0
}

private func elemDropBuiltin(_ vmctx: UnsafeMutableRawPointer, _ segment: UInt32) {
    let instance = InstanceEntity.from(vmctx: vmctx)
    if Int(segment) < instance.elementSegments.count { instance.elementSegments[Int(segment)] = [] }
}

/// Fills `table` (indexed by `VMBuiltin` raw value) with the builtin addresses.
func fillBuiltinTable(_ table: UnsafeMutablePointer<UnsafeRawPointer?>, platform: any Platform) {
    typealias Context = UnsafeMutableRawPointer
    for builtin in VMBuiltin.allCases {
        let address: UnsafeRawPointer
        switch builtin {
        case .memoryGrow:
            let function: @convention(c) (Context, UInt32, UInt64) -> Int64 = memoryGrowBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .memoryFill:
            let function: @convention(c) (Context, UInt32, UInt64, UInt32, UInt64) -> UInt32 = memoryFillBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .memoryCopy:
            let function: @convention(c) (Context, UInt32, UInt32, UInt64, UInt64, UInt64) -> UInt32 = memoryCopyBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .memoryInit:
            let function: @convention(c) (Context, UInt32, UInt32, UInt64, UInt64, UInt64) -> UInt32 = memoryInitBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .dataDrop:
            let function: @convention(c) (Context, UInt32) -> Void = dataDropBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .tableGrow:
            let function: @convention(c) (Context, UInt32, UInt64, UInt64) -> Int64 = tableGrowBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .tableFill:
            let function: @convention(c) (Context, UInt32, UInt64, UInt64, UInt64) -> UInt32 = tableFillBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .tableCopy:
            let function: @convention(c) (Context, UInt32, UInt32, UInt64, UInt64, UInt64) -> UInt32 = tableCopyBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .tableInit:
            let function: @convention(c) (Context, UInt32, UInt32, UInt64, UInt64, UInt64) -> UInt32 = tableInitBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .elemDrop:
            let function: @convention(c) (Context, UInt32) -> Void = elemDropBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        case .tierUp:
            let function: @convention(c) (Context, UInt32, UInt32) -> UInt64 = tierUpBuiltin
            address = unsafeBitCast(function, to: UnsafeRawPointer.self)
        }
        table[builtin.rawValue] = platform.hostCallGate(for: address)
    }
}
