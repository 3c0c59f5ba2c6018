import WasmFrontEnd

/// A WebAssembly value. Numbers are kept as bit patterns so NaN payloads survive a round trip.
public enum Value: Equatable {
    case i32(UInt32)
    case i64(UInt64)
    /// IEEE 754 single-precision bits.
    case f32(UInt32)
    /// IEEE 754 double-precision bits.
    case f64(UInt64)
    case v128(V128)
    /// A function reference; nil is `ref.null func`.
    case funcref(Func?)
    /// An opaque host reference; nil is `ref.null extern`. `UInt64.max` cannot be
    /// represented (it is stored as `value + 1`, with 0 meaning null).
    case externref(UInt64?)

    public static func i32(signed value: Int32) -> Value { .i32(UInt32(bitPattern: value)) }
    public static func i64(signed value: Int64) -> Value { .i64(UInt64(bitPattern: value)) }
    public static func f32(float value: Float) -> Value { .f32(value.bitPattern) }
    public static func f64(double value: Double) -> Value { .f64(value.bitPattern) }

    public var type: ValueType {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .funcref: return .funcref
        case .externref: return .externref
        }
    }

    /// The zero value of a type (numbers 0, references null): the default of locals and tables.
    public static func zero(_ type: ValueType) -> Value {
        switch type {
        case .i32: return .i32(0)
        case .i64: return .i64(0)
        case .f32: return .f32(0)
        case .f64: return .f64(0)
        case .v128: return .v128(V128(low: 0, high: 0))
        case .funcref: return .funcref(nil)
        case .externref: return .externref(nil)
        }
    }

    /// Text such as `i32:42`, `f64:0x3ff0000000000000`, `funcref:null`.
    public var description: String {
        switch self {
        case .i32(let bits): return "i32:" + String(bits)
        case .i64(let bits): return "i64:" + String(bits)
        case .f32(let bits): return "f32:0x" + String(bits, radix: 16)
        case .f64(let bits): return "f64:0x" + String(bits, radix: 16)
        case .v128(let vector):
            return "v128:0x" + hex64(vector.high) + hex64(vector.low)
        case .funcref(let function): return function == nil ? "funcref:null" : "funcref"
        case .externref(let reference):
            if let reference { return "externref:" + String(reference) }
            return "externref:null"
        }
    }
}

func hex64(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// Encoding of externref values in value slots, tables and globals: null is 0.
enum ExternReference {
    static func encode(_ value: UInt64?) -> UInt64 {
        guard let value else { return 0 }
        return value &+ 1
    }

    static func decode(_ raw: UInt64) -> UInt64? { raw == 0 ? nil : raw &- 1 }
}
