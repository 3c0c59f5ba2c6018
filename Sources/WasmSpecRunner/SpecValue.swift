import WasmFrontEnd

/// A WebAssembly value written in a spec script (an `invoke` argument or an exact expected
/// result), independent of the text parser that read it. Floats keep their bit patterns.
public enum SpecValue: Equatable, Sendable {
    case i32(UInt32)
    case i64(UInt64)
    case f32(bits: UInt32)
    case f64(bits: UInt64)
    case v128(V128)
    /// `ref.null func` / `ref.null extern`.
    case nullReference(ReferenceType)
    /// `ref.func N`.
    case functionReference(UInt32)
    /// `ref.extern N`: a host reference the script identifies by number.
    case externReference(UInt32)

    /// The value's type.
    public var type: ValueType {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .nullReference(let type): return type.valueType
        case .functionReference: return .funcref
        case .externReference: return .externref
        }
    }

    /// Script-like spelling, for messages: `i32:42`, `f32:0x7fc00000`, `ref.null func`.
    public var description: String {
        switch self {
        case .i32(let value): return "i32:" + String(value)
        case .i64(let value): return "i64:" + String(value)
        case .f32(let bits): return "f32:0x" + String(bits, radix: 16)
        case .f64(let bits): return "f64:0x" + String(bits, radix: 16)
        case .v128(let value):
            return "v128:0x" + SpecStrings.hex(value.high, digits: 16) + SpecStrings.hex(value.low, digits: 16)
        case .nullReference(let type): return "ref.null " + (type == .funcref ? "func" : "extern")
        case .functionReference(let index): return "ref.func " + String(index)
        case .externReference(let value): return "ref.extern " + String(value)
        }
    }
}

/// One float lane of an expected `v128` result.
public enum SpecLaneExpectation: Equatable, Sendable {
    /// Exact bits (the lane width's low bits are used).
    case bits(UInt64)
    /// Any NaN. The text parser does not tell `nan:canonical` from `nan:arithmetic` inside a
    /// `v128.const`, so an executor should accept any arithmetic NaN (quiet bit set).
    case nan
}

/// What a spec script expects an action to produce, one per result.
public indirect enum SpecExpectation: Equatable, Sendable {
    /// Exactly this value (bit-exact for floats).
    case value(SpecValue)
    /// `f32.const nan:canonical` / `f64.const nan:canonical` (type is `.f32` or `.f64`).
    case canonicalNaN(ValueType)
    /// `f32.const nan:arithmetic` / `f64.const nan:arithmetic`.
    case arithmeticNaN(ValueType)
    /// `v128.const f32x4 …` / `f64x2 …` with NaN patterns: lane type `.f32` (4 lanes) or `.f64` (2).
    case floatLanes(ValueType, [SpecLaneExpectation])
    /// `ref.null` of the given type, or of any type when nil.
    case nullReference(ReferenceType?)
    /// A non-null function reference; with an index, the script's function index (in the
    /// module that produced it), which an executor may or may not be able to check.
    case functionReference(UInt32?)
    /// A non-null extern reference; with a value, that exact one.
    case externReference(UInt32?)
    /// Any one of the alternatives.
    case either([SpecExpectation])

    public var description: String {
        switch self {
        case .value(let value): return value.description
        case .canonicalNaN(let type): return type.name + ":nan:canonical"
        case .arithmeticNaN(let type): return type.name + ":nan:arithmetic"
        case .floatLanes(let type, let lanes):
            let shape = type == .f32 ? "f32x4" : "f64x2"
            return "v128:" + shape + "(" + lanes.map { lane in
                switch lane {
                case .bits(let bits): return "0x" + String(bits, radix: 16)
                case .nan: return "nan"
                }
            }.joined(separator: " ") + ")"
        case .nullReference(let type):
            guard let type else { return "ref.null" }
            return "ref.null " + (type == .funcref ? "func" : "extern")
        case .functionReference(let index): return index.map { "ref.func " + String($0) } ?? "ref.func"
        case .externReference(let value): return value.map { "ref.extern " + String($0) } ?? "ref.extern"
        case .either(let alternatives): return "either(" + alternatives.map { $0.description }.joined(separator: " | ") + ")"
        }
    }
}

/// Something a script asks to run: `(invoke …)` or `(get …)`.
public indirect enum SpecAction: Equatable, Sendable {
    /// Calls export `function` of `module` (the current module when nil).
    case invoke(module: String?, function: String, arguments: [SpecValue])
    /// Reads exported global `global` of `module` (the current module when nil).
    case get(module: String?, global: String)

    public var description: String {
        switch self {
        case .invoke(let module, let function, let arguments):
            return "invoke " + (module.map { $0 + " " } ?? "") + "\"" + function + "\""
                + (arguments.isEmpty ? "" : " " + arguments.map { $0.description }.joined(separator: " "))
        case .get(let module, let global):
            return "get " + (module.map { $0 + " " } ?? "") + "\"" + global + "\""
        }
    }
}
