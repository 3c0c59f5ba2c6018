/// Function names for addresses, from the table the build embeds in `.ksyms` (see kernel/build:
/// the kernel is linked once, its symbols demangled and sorted, then linked again with them).
enum KernelSymbols {
  /// The function containing `address` and the offset into it, or nil outside known code.
  static func lookup(_ address: UInt64) -> (name: UnsafePointer<UInt8>, offset: UInt64)? {
    let count = Int(kernel_symbol_count)
    guard count > 0, let table = kernel_symbol_table(), let names = kernel_symbol_name_table() else {
      return nil
    }
    guard address >= table[0].address, address < linker_text_end() else { return nil }
    // Last entry whose address is <= `address`.
    var low = 0
    var high = count - 1
    while low < high {
      let middle = (low + high + 1) / 2
      if table[middle].address <= address { low = middle } else { high = middle - 1 }
    }
    let entry = table[low]
    let name = UnsafeRawPointer(names).advanced(by: Int(entry.name_offset))
      .assumingMemoryBound(to: UInt8.self)
    return (name, address - entry.address)
  }

  /// "0xffffffff80101234 Kernel.kernelMain(…) + 0x1c"
  static func describe(_ address: UInt64) -> TextBuffer {
    var text = TextBuffer()
    text.appendInterpolation(hex: address, digits: 16)
    if let (name, offset) = lookup(address) {
      text.append(" ")
      text.appendInterpolation(cString: name, limit: 160)
      text.append(" + ")
      text.appendInterpolation(hex: offset)
    }
    return text
  }
}
