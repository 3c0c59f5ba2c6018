import WAT
import WasmFrontEnd

/// A script value or expectation outside WebAssembly 2.0 (GC, host references).
struct UnsupportedSpecValue: Error {
    var description: String
}

/// Converts the text parser's script values into the neutral `Spec*` forms, so executors do
/// not depend on WasmKit.
enum WastConversion {
    static func value(_ value: WASTConstValue) throws(UnsupportedSpecValue) -> SpecValue {
        switch value {
        case .i32(let value): return .i32(value)
        case .i64(let value): return .i64(value)
        case .f32(let bits): return .f32(bits: bits)
        case .f64(let bits): return .f64(bits: bits)
        case .v128(let value): return .v128(v128(value.bytes))
        case .refNull(let heapType):
            if heapType == .funcRef { return .nullReference(.funcref) }
            if heapType == .externRef { return .nullReference(.externref) }
            throw UnsupportedSpecValue(description: "ref.null of a heap type outside WebAssembly 2.0")
        case .refFunc(let index): return .functionReference(index)
        case .refExtern(let value): return .externReference(value)
        case .refHost: throw UnsupportedSpecValue(description: "ref.host is not part of WebAssembly 2.0")
        }
    }

    static func expectation(_ expected: WASTExpectValue) throws(UnsupportedSpecValue) -> SpecExpectation {
        switch expected {
        case .i32(let value): return .value(.i32(value))
        case .i64(let value): return .value(.i64(value))
        case .f32(let bits): return .value(.f32(bits: bits))
        case .f64(let bits): return .value(.f64(bits: bits))
        case .v128(let value): return .value(.v128(v128(value.bytes)))
        case .v128Pattern(let pattern):
            let laneWidth = pattern.shape == .f64x2 ? 8 : 4
            var lanes: [SpecLaneExpectation] = []
            for lane in 0..<(16 / laneWidth) {
                if pattern.nanLaneMask & (1 << UInt8(lane)) != 0 {
                    lanes.append(.nan)
                } else {
                    var bits: UInt64 = 0
                    for byte in 0..<laneWidth {
                        bits |= UInt64(pattern.bytes[lane * laneWidth + byte]) << (8 * UInt64(byte))
                    }
                    lanes.append(.bits(bits))
                }
            }
            return .floatLanes(laneWidth == 8 ? .f64 : .f32, lanes)
        case .refNull(let heapType):
            guard let heapType else { return .nullReference(nil) }
            if heapType == .funcRef { return .nullReference(.funcref) }
            if heapType == .externRef { return .nullReference(.externref) }
            throw UnsupportedSpecValue(description: "ref.null of a heap type outside WebAssembly 2.0")
        case .refFunc(let index): return .functionReference(index)
        case .refExtern(let value): return .externReference(value)
        case .f32CanonicalNaN: return .canonicalNaN(.f32)
        case .f32ArithmeticNaN: return .arithmeticNaN(.f32)
        case .f64CanonicalNaN: return .canonicalNaN(.f64)
        case .f64ArithmeticNaN: return .arithmeticNaN(.f64)
        case .either(let alternatives):
            var converted: [SpecExpectation] = []
            for alternative in alternatives { converted.append(try expectation(alternative)) }
            return .either(converted)
        case .refI31, .refStruct, .refArray, .refEq, .refHost:
            throw UnsupportedSpecValue(description: "GC and host reference results are not part of WebAssembly 2.0")
        }
    }

    static func action(_ execute: WASTExecute) throws(UnsupportedSpecValue) -> SpecAction {
        switch execute {
        case .invoke(let invoke): return try action(invoke)
        case .get(let module, let globalName): return .get(module: module, global: globalName)
        case .wat: throw UnsupportedSpecValue(description: "a module where an action was expected")
        }
    }

    static func action(_ invoke: WASTInvoke) throws(UnsupportedSpecValue) -> SpecAction {
        var arguments: [SpecValue] = []
        for argument in invoke.args { arguments.append(try value(argument)) }
        return .invoke(module: invoke.module, function: invoke.name, arguments: arguments)
    }

    private static func v128(_ bytes: [UInt8]) -> V128 {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (index, byte) in bytes.prefix(16).enumerated() {
            if index < 8 { low |= UInt64(byte) << (8 * UInt64(index)) }
            else { high |= UInt64(byte) << (8 * UInt64(index - 8)) }
        }
        return V128(low: low, high: high)
    }
}
