/// A fixed-capacity line of text built by string interpolation without touching the heap, so
/// the kernel can log before its allocator exists and while it is broken (panics).
///
///     Log.info("found \(count) regions, \(bytes: total) usable, first at \(hex: base)")
///
/// Literals are `StaticString`; interpolations accept integers (decimal), `hex:`, `bytes:`
/// (KiB/MiB/GiB), `StaticString`, C strings and `Bool`. Text beyond the capacity is dropped
/// and marked with "…".
struct TextBuffer: StringInterpolationProtocol {
  typealias StringLiteralType = StaticString
  static let capacity = 384

  private(set) var bytes = InlineArray<384, UInt8>(repeating: 0)
  private(set) var count = 0
  private(set) var truncated = false

  init() {}
  init(literalCapacity: Int, interpolationCount: Int) {}

  mutating func append(byte: UInt8) {
    guard count < Self.capacity else {
      truncated = true
      return
    }
    bytes[count] = byte
    count += 1
  }

  mutating func append(_ text: StaticString) {
    text.withUTF8Buffer { buffer in
      for byte in buffer { append(byte: byte) }
    }
  }

  mutating func append(_ other: TextBuffer) {
    for index in 0..<other.count { append(byte: other.bytes[index]) }
  }

  mutating func appendLiteral(_ literal: StaticString) { append(literal) }

  mutating func appendInterpolation(_ text: StaticString) { append(text) }

  mutating func appendInterpolation(_ value: Bool) { append(value ? "true" : "false") }

  mutating func appendInterpolation(_ text: TextBuffer) { append(text) }

  /// A NUL-terminated C string (symbol names, the boot command line).
  mutating func appendInterpolation(cString: UnsafePointer<UInt8>, limit: Int = 200) {
    var index = 0
    while index < limit, cString[index] != 0 {
      append(byte: cString[index])
      index += 1
    }
  }

  /// Decimal, with a minimum width padded with spaces on the left.
  mutating func appendInterpolation<T: FixedWidthInteger>(_ value: T, width: Int = 0) {
    var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
    var digits = InlineArray<20, UInt8>(repeating: 0)
    var used = 0
    repeat {
      digits[used] = UInt8(truncatingIfNeeded: magnitude % 10) + 48
      magnitude /= 10
      used += 1
    } while magnitude != 0
    let negative = value < 0
    let length = used + (negative ? 1 : 0)
    if width > length {
      for _ in 0..<(width - length) { append(byte: 32) }
    }
    if negative { append(byte: 45) }
    while used > 0 {
      used -= 1
      append(byte: digits[used])
    }
  }

  /// Hexadecimal with a `0x` prefix; `digits` pads with zeros (16 for a full address).
  mutating func appendInterpolation<T: FixedWidthInteger>(hex value: T, digits: Int = 0) {
    let bits = UInt64(truncatingIfNeeded: value)
    append("0x")
    var started = false
    var position = 15
    while position >= 0 {
      let nibble = UInt8(truncatingIfNeeded: (bits >> UInt64(position * 4)) & 0xF)
      if nibble != 0 || started || position < digits || position == 0 {
        started = true
        append(byte: nibble < 10 ? 48 + nibble : 87 + nibble)
      }
      position -= 1
    }
  }

  /// A byte count in the largest binary unit that keeps it readable: "640 KiB", "127 MiB".
  mutating func appendInterpolation(bytes value: UInt64) {
    let units: StaticString = "B  KiBMiBGiBTiB"
    var scaled = value
    var unit = 0
    while scaled >= 10 * 1024 && unit < 4 {
      scaled /= 1024
      unit += 1
    }
    appendInterpolation(scaled)
    append(byte: 32)
    units.withUTF8Buffer { buffer in
      for offset in 0..<3 where buffer[unit * 3 + offset] != 32 {
        append(byte: buffer[unit * 3 + offset])
      }
    }
  }

  /// Four ASCII characters packed little-endian in a register (CPUID vendor and brand strings).
  mutating func appendInterpolation(ascii register: UInt32) {
    for shift in stride(from: 0, to: 32, by: 8) {
      let byte = UInt8(truncatingIfNeeded: register >> UInt32(shift))
      if byte != 0 { append(byte: byte) }
    }
  }
}

/// A log line: any string literal or interpolation, formatted into a `TextBuffer`.
struct LogMessage: ExpressibleByStringInterpolation {
  var text: TextBuffer

  init(stringLiteral value: StaticString) {
    text = TextBuffer()
    text.append(value)
  }

  init(stringInterpolation: TextBuffer) {
    text = stringInterpolation
  }

  init(_ text: TextBuffer) {
    self.text = text
  }
}

extension TextBuffer {
  /// A Swift string built at run time (names from a module). Not for long string literals of
  /// the shared libraries: see `trapKindName` in KernelRuntime.
  mutating func appendInterpolation(string: String) {
    for byte in string.utf8 { append(byte: byte) }
  }
}
