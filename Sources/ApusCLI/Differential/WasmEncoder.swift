/// A deterministic 64-bit PRNG (SplitMix64): the same seed gives the same modules on every run
/// and platform, so a divergence reproduces from its seed alone.
public struct SplitMix64 {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True with probability `numerator / denominator`.
    public mutating func chance(_ numerator: Int, _ denominator: Int) -> Bool { below(denominator) < numerator }

    /// True with probability `probability` (0 never, 1 always).
    public mutating func chance(_ probability: Double) -> Bool { Double(next() >> 11) * 0x1p-53 < probability }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// The value types the generator uses: the numeric types everywhere, v128 in SIMD functions.
public enum DiffType: UInt8, Equatable, Sendable {
    case i32 = 0x7F, i64 = 0x7E, f32 = 0x7D, f64 = 0x7C, v128 = 0x7B

    /// The numeric types, which are also all that entry points exchange with the host.
    public static let scalars: [DiffType] = [.i32, .i64, .f32, .f64]

    public var name: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        }
    }
}

/// A value exchanged with either engine, as a bit pattern.
public struct DiffValue: Equatable {
    public var type: DiffType
    public var bits: UInt64

    public init(_ type: DiffType, _ bits: UInt64) {
        self.type = type
        self.bits = bits
    }

    var isNaN: Bool {
        switch type {
        case .f32: return Float(bitPattern: UInt32(truncatingIfNeeded: bits)).isNaN
        case .f64: return Double(bitPattern: bits).isNaN
        default: return false
        }
    }

    /// Bit-exact equality, except that any two NaNs match (their payloads are nondeterministic).
    public func matches(_ other: DiffValue) -> Bool {
        guard type == other.type else { return false }
        if isNaN && other.isNaN { return true }
        return bits == other.bits
    }

    public var description: String {
        switch type {
        case .i32: return "i32:" + String(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .i64: return "i64:" + String(Int64(bitPattern: bits))
        case .f32: return "f32:0x" + String(bits, radix: 16) + "(" + String(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) + ")"
        case .f64: return "f64:0x" + String(bits, radix: 16) + "(" + String(Double(bitPattern: bits)) + ")"
        case .v128: return "v128 (never exchanged with the host)"
        }
    }
}

/// A minimal WebAssembly binary writer.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// A 0xFD-prefixed (SIMD) instruction's opcode.
    mutating func simd(_ subopcode: UInt32) {
        byte(0xFD)
        unsigned(UInt64(subopcode))
    }
    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    mutating func unsigned(_ value: UInt64) {
        var value = value
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
    }

    mutating func unsigned(_ value: Int) { unsigned(UInt64(value)) }

    mutating func signed(_ value: Int64) {
        var value = value
        while true {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0)
            bytes.append(done ? byte : byte | 0x80)
            if done { return }
        }
    }

    mutating func littleEndian(_ value: UInt64, count: Int) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    mutating func name(_ text: String) {
        let utf8 = Array(text.utf8)
        unsigned(utf8.count)
        append(utf8)
    }

    mutating func section(_ id: UInt8, _ content: [UInt8]) {
        byte(id)
        unsigned(content.count)
        append(content)
    }
}
