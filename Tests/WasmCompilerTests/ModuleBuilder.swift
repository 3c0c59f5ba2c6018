import WasmFrontEnd

/// A minimal WebAssembly binary writer for compiler tests (the test target has no WAT parser).
struct ModuleBuilder {
    struct Function {
        var typeIndex: UInt32
        var locals: [(UInt32, ValueType)]
        var body: [UInt8]
    }

    var types: [FunctionType] = []
    var importedFunctions: [(module: String, name: String, typeIndex: UInt32)] = []
    var functions: [Function] = []
    var tables: [(ReferenceType, UInt64)] = []
    var memoryPages: UInt64?
    var globals: [(ValueType, Bool, [UInt8])] = []
    /// Passive element segments of function indices (for ref.func declarations).
    var declaredFunctions: [UInt32] = []

    mutating func type(_ parameters: [ValueType], _ results: [ValueType]) -> UInt32 {
        let type = FunctionType(parameters: parameters, results: results)
        if let index = types.firstIndex(of: type) { return UInt32(index) }
        types.append(type)
        return UInt32(types.count - 1)
    }

    /// Adds a function and returns its function index.
    @discardableResult
    mutating func function(_ parameters: [ValueType], _ results: [ValueType], locals: [(UInt32, ValueType)] = [],
                           _ body: [UInt8]...) -> UInt32 {
        let typeIndex = type(parameters, results)
        functions.append(Function(typeIndex: typeIndex, locals: locals, body: body.flatMap { $0 } + [0x0B]))
        return UInt32(importedFunctions.count + functions.count - 1)
    }

    func build() -> [UInt8] {
        var bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        func section(_ id: UInt8, _ content: [UInt8]) {
            bytes.append(id)
            bytes += W.u(UInt64(content.count))
            bytes += content
        }
        func vector(_ items: [[UInt8]]) -> [UInt8] { W.u(UInt64(items.count)) + items.flatMap { $0 } }
        func name(_ text: String) -> [UInt8] { W.u(UInt64(text.utf8.count)) + Array(text.utf8) }
        section(1, vector(types.map { type in
            [0x60] + vector(type.parameters.map { [$0.rawValue] }) + vector(type.results.map { [$0.rawValue] })
        }))
        if !importedFunctions.isEmpty {
            section(2, vector(importedFunctions.map { name($0.module) + name($0.name) + [0x00] + W.u(UInt64($0.typeIndex)) }))
        }
        section(3, vector(functions.map { W.u(UInt64($0.typeIndex)) }))
        if !tables.isEmpty {
            section(4, vector(tables.map { [$0.0.rawValue, 0x00] + W.u($0.1) }))
        }
        if let memoryPages {
            section(5, vector([[0x00] + W.u(memoryPages)]))
        }
        if !globals.isEmpty {
            section(6, vector(globals.map { [$0.0.rawValue, $0.1 ? 1 : 0] + $0.2 + [0x0B] }))
        }
        if !declaredFunctions.isEmpty {
            // Declarative segment (kind 3): elemkind 0x00, function indices.
            section(9, vector([[0x03, 0x00] + vector(declaredFunctions.map { W.u(UInt64($0)) })]))
        }
        section(10, vector(functions.map { function in
            let content = vector(function.locals.map { W.u(UInt64($0.0)) + [$0.1.rawValue] }) + function.body
            return W.u(UInt64(content.count)) + content
        }))
        return bytes
    }
}

/// Instruction encoders for test bodies.
enum W {
    static func u(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            out.append(byte)
        } while value != 0
        return out
    }

    static func s(_ value: Int64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while true {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            if (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0) {
                out.append(byte)
                return out
            }
            out.append(byte | 0x80)
        }
    }

    static func i32(_ value: Int32) -> [UInt8] { [0x41] + s(Int64(value)) }
    static func i64(_ value: Int64) -> [UInt8] { [0x42] + s(value) }
    static func f32(_ value: Float) -> [UInt8] { [0x43] + withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    static func f64(_ value: Double) -> [UInt8] { [0x44] + withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    static func get(_ index: UInt32) -> [UInt8] { [0x20] + u(UInt64(index)) }
    static func set(_ index: UInt32) -> [UInt8] { [0x21] + u(UInt64(index)) }
    static func tee(_ index: UInt32) -> [UInt8] { [0x22] + u(UInt64(index)) }
    static func globalGet(_ index: UInt32) -> [UInt8] { [0x23] + u(UInt64(index)) }
    static func globalSet(_ index: UInt32) -> [UInt8] { [0x24] + u(UInt64(index)) }
    static func call(_ index: UInt32) -> [UInt8] { [0x10] + u(UInt64(index)) }
    static func callIndirect(_ type: UInt32, table: UInt32 = 0) -> [UInt8] { [0x11] + u(UInt64(type)) + u(UInt64(table)) }
    static func br(_ depth: UInt32) -> [UInt8] { [0x0C] + u(UInt64(depth)) }
    static func brIf(_ depth: UInt32) -> [UInt8] { [0x0D] + u(UInt64(depth)) }
    static func brTable(_ targets: [UInt32], _ defaultTarget: UInt32) -> [UInt8] {
        [0x0E] + u(UInt64(targets.count)) + targets.flatMap { u(UInt64($0)) } + u(UInt64(defaultTarget))
    }
    static func block(_ type: ValueType? = nil) -> [UInt8] { [0x02, type?.rawValue ?? 0x40] }
    static func blockType(_ index: UInt32) -> [UInt8] { [0x02] + s(Int64(index)) }
    static func loop(_ type: ValueType? = nil) -> [UInt8] { [0x03, type?.rawValue ?? 0x40] }
    static func `if`(_ type: ValueType? = nil) -> [UInt8] { [0x04, type?.rawValue ?? 0x40] }
    static func ifType(_ index: UInt32) -> [UInt8] { [0x04] + s(Int64(index)) }
    static let `else`: [UInt8] = [0x05]
    static let end: [UInt8] = [0x0B]
    static let ret: [UInt8] = [0x0F]
    static let unreachable: [UInt8] = [0x00]
    static let drop: [UInt8] = [0x1A]
    static let select: [UInt8] = [0x1B]
    static func op(_ operation: NumericOperation) -> [UInt8] {
        operation.rawValue >= 0xFC00 ? [0xFC] + u(UInt64(operation.rawValue & 0xFF)) : [UInt8(operation.rawValue)]
    }
    static func load(_ operation: LoadOperation, offset: UInt64 = 0, align: UInt32 = 0) -> [UInt8] {
        [operation.rawValue] + u(UInt64(align)) + u(offset)
    }
    static func store(_ operation: StoreOperation, offset: UInt64 = 0, align: UInt32 = 0) -> [UInt8] {
        [operation.rawValue] + u(UInt64(align)) + u(offset)
    }
    static let memorySize: [UInt8] = [0x3F, 0x00]
    static func tableGet(_ table: UInt32 = 0) -> [UInt8] { [0x25] + u(UInt64(table)) }
    static func tableSet(_ table: UInt32 = 0) -> [UInt8] { [0x26] + u(UInt64(table)) }
    static func tableSize(_ table: UInt32 = 0) -> [UInt8] { [0xFC, 16] + u(UInt64(table)) }
    static func refFunc(_ index: UInt32) -> [UInt8] { [0xD2] + u(UInt64(index)) }
    static let refNullFunc: [UInt8] = [0xD0, 0x70]
    static let refIsNull: [UInt8] = [0xD1]
}
