import WasmFrontEnd

extension Linker {
    /// Defines the `spectest` host module the WebAssembly spec scripts import:
    /// `print`, `print_i32`, `print_i64`, `print_f32`, `print_f64`, `print_i32_f32`,
    /// `print_f64_f64` (each calls `print` with its arguments), `global_i32` (666),
    /// `global_i64` (666), `global_f32` (666.6), `global_f64` (666.6), `table` (10..20 funcref)
    /// and `memory` (1..2 pages). Returns false if the table or memory cannot be allocated.
    @discardableResult
    public func defineSpectest(store: Store, moduleName: String = "spectest",
                               print: @escaping ([Value]) -> Void = { _ in }) -> Bool {
        let printers: [(String, [ValueType])] = [
            ("print", []), ("print_i32", [.i32]), ("print_i64", [.i64]), ("print_f32", [.f32]),
            ("print_f64", [.f64]), ("print_i32_f32", [.i32, .f32]), ("print_f64_f64", [.f64, .f64]),
        ]
        for (name, parameters) in printers {
            defineFunction(store: store, module: moduleName, name: name,
                           type: FunctionType(parameters: parameters, results: [])) { _, arguments throws(Trap) in
                print(arguments)
                return []
            }
        }
        let globals: [(String, ValueType, Value)] = [
            ("global_i32", .i32, .i32(666)), ("global_i64", .i64, .i64(666)),
            ("global_f32", .f32, .f32(0x4426_a666)), ("global_f64", .f64, .f64(0x4084_d4cc_cccc_cccd)),
        ]
        for (name, type, value) in globals {
            guard let global = store.createGlobal(type: GlobalType(valueType: type, isMutable: false), value: value) else {
                return false
            }
            define(module: moduleName, name: name, .global(global))
        }
        guard let table = store.createTable(type: TableType(elementType: .funcref, limits: Limits(min: 10, max: 20))),
              let memory = store.createMemory(type: MemoryType(limits: Limits(min: 1, max: 2)))
        else { return false }
        define(module: moduleName, name: "table", .table(table))
        define(module: moduleName, name: "memory", .memory(memory))
        return true
    }
}
