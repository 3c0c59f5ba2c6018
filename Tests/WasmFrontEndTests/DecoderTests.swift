import Testing
import WAT
@testable import WasmFrontEnd

// MARK: - Binary builders

private let moduleHeader: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

private func uleb(_ value: Int) -> [UInt8] {
    var value = UInt64(value)
    var bytes: [UInt8] = []
    repeat {
        var byte = UInt8(value & 0x7F)
        value >>= 7
        if value != 0 { byte |= 0x80 }
        bytes.append(byte)
    } while value != 0
    return bytes
}

private func section(_ id: UInt8, _ content: [UInt8]) -> [UInt8] {
    [id] + uleb(content.count) + content
}

private func vector(_ items: [[UInt8]]) -> [UInt8] {
    uleb(items.count) + items.flatMap { $0 }
}

private func name(_ text: String) -> [UInt8] {
    uleb(text.utf8.count) + Array(text.utf8)
}

private func wasm(_ sections: [UInt8]...) -> [UInt8] {
    moduleHeader + sections.flatMap { $0 }
}

/// A type section with `() -> ()`, a function section with `count` functions of it, and a
/// code section with the given bodies (each: locals + instructions, without the size).
private func functions(_ bodies: [[UInt8]]) -> [UInt8] {
    section(1, vector([[0x60, 0x00, 0x00]]))
        + section(3, vector(bodies.map { _ in [0x00] }))
        + section(10, vector(bodies.map { uleb($0.count) + $0 }))
}

private func decodingError(_ bytes: [UInt8]) -> WasmError? {
    do throws(WasmError) {
        _ = try decodeModule(bytes)
        return nil
    } catch {
        return error
    }
}

private func decodingMessage(_ bytes: [UInt8]) -> String? {
    decodingError(bytes)?.message
}

/// All instructions of a raw instruction sequence.
private func instructions(_ bytes: [UInt8], dataCountPresent: Bool = true) throws(WasmError) -> [Instruction] {
    var reader = InstructionReader(bytes: bytes, range: 0..<bytes.count, dataCountPresent: dataCountPresent)
    var result: [Instruction] = []
    while !reader.isAtEnd { result.append(try reader.next()) }
    return result
}

private func instructionError(_ bytes: [UInt8], dataCountPresent: Bool = true) -> WasmError? {
    do throws(WasmError) {
        _ = try instructions(bytes, dataCountPresent: dataCountPresent)
        return nil
    } catch {
        return error
    }
}

private func bodyInstructions(_ module: Module, _ index: Int) throws(WasmError) -> [Instruction] {
    var reader = InstructionReader(module: module, body: module.functionBodies[index])
    var result: [Instruction] = []
    while !reader.isAtEnd { result.append(try reader.next()) }
    return result
}

// MARK: - Module structure

@Suite struct ModuleDecoderTests {
    @Test func emptyModule() throws {
        let module = try decodeModule(moduleHeader)
        #expect(module.types.isEmpty && module.functionBodies.isEmpty && module.names == nil)
    }

    @Test func headerErrors() {
        #expect(decodingMessage([])?.hasPrefix("unexpected end") == true)
        #expect(decodingMessage([0x00, 0x61, 0x73])?.hasPrefix("unexpected end") == true)
        #expect(decodingMessage([0x00, 0x61, 0x73, 0x6D, 0x01])?.hasPrefix("unexpected end") == true)
        #expect(decodingMessage([0x00, 0x41, 0x53, 0x4D, 0x01, 0x00, 0x00, 0x00]) == "magic header not detected")
        #expect(decodingMessage([0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00]) == "unknown binary version")
        #expect(decodingError([0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00])?.offset == 4)
    }

    @Test func realisticModuleRoundTrip() throws {
        let bytes = try wat2wasm(
            """
            (module
              (type $binop (func (param i32 i32) (result i32)))
              (import "env" "log" (func $log (param i32)))
              (import "env" "table" (table 2 10 funcref))
              (import "env" "limit" (global $limit i64))
              (memory (export "memory") 1 16)
              (global $counter (mut i32) (i32.const 42))
              (global $pi f64 (f64.const 3.25))
              (table $own 4 externref)
              (func $add (type $binop) local.get 0 local.get 1 i32.add)
              (func $main (export "main") (result i32)
                (local $wide i64) (local i64 f32)
                i32.const 1
                i32.const 2
                call $add
                i32.load offset=16 align=2
                block (result i32)
                  i32.const 7
                  i32.const 0
                  br_table 0 0 0
                end
                i32.add
                memory.size
                drop)
              (func $start global.get $counter call $log)
              (start $start)
              (elem (i32.const 0) $add $main)
              (data (i32.const 16) "hello")
              (data "passive"))
            """)
        let module = try decodeModule(bytes)

        #expect(module.imports.count == 3)
        #expect(module.imports.map(\.module) == ["env", "env", "env"])
        #expect(module.imports.map(\.name) == ["log", "table", "limit"])
        if case .function(let typeIndex)? = module.imports.first?.descriptor {
            #expect(module.types[Int(typeIndex)] == FunctionType(parameters: [.i32], results: []))
        } else {
            Issue.record("first import is not a function")
        }
        #expect(module.imports[1].descriptor == .table(TableType(elementType: .funcref, limits: Limits(min: 2, max: 10))))
        #expect(module.imports[2].descriptor == .global(GlobalType(valueType: .i64, isMutable: false)))
        #expect(module.importedFunctionCount == 1)
        #expect(module.types.contains(FunctionType(parameters: [.i32, .i32], results: [.i32])))
        #expect(module.types.contains(FunctionType(parameters: [.i32], results: [])))
        #expect(module.functionTypeIndices.count == 3)
        #expect(module.tables == [TableType(elementType: .externref, limits: Limits(min: 4))])
        #expect(module.memories == [MemoryType(limits: Limits(min: 1, max: 16))])
        #expect(module.globals.count == 2)
        #expect(module.globals[0].type == GlobalType(valueType: .i32, isMutable: true))
        #expect(module.globals[0].initializer.instructions == [.i32Const(42), .end])
        #expect(module.globals[1].initializer.instructions == [.f64Const(bits: 3.25.bitPattern), .end])
        #expect(module.exports.contains(Export(name: "memory", kind: .memory, index: 0)))
        #expect(module.exports.contains(Export(name: "main", kind: .function, index: 2)))
        #expect(module.start == 3)
        #expect(module.elements.count == 1)
        #expect(module.elements.first?.items == .functionIndices([1, 2]))
        if case .active(let table, let offset)? = module.elements.first?.mode {
            #expect(table == 0)
            #expect(offset.instructions == [.i32Const(0), .end])
        } else {
            Issue.record("element segment is not active")
        }
        #expect(module.data.count == 2)
        #expect(module.data.first.map { Array(module.bytes[$0.range]) } == Array("hello".utf8))
        #expect(module.data.last?.mode == .passive)
        #expect(module.data.last.map { Array(module.bytes[$0.range]) } == Array("passive".utf8))
        #expect(module.dataCount == nil || module.dataCount == 2)

        #expect(try bodyInstructions(module, 0) == [.localGet(0), .localGet(1), .numeric(.i32Add), .end])
        let main = module.functionBodies[1]
        #expect(main.localCount == 3)
        #expect(main.locals.reduce(0) { $0 + Int($1.count) } == 3)
        #expect(try bodyInstructions(module, 1) == [
            .i32Const(1), .i32Const(2), .call(function: 1),
            .load(.i32Load, MemoryArgument(align: 1, offset: 16)),  // align=2 bytes: log2 1
            .block(.value(.i32)), .i32Const(7), .i32Const(0),
            .brTable(BranchTable(targets: [0, 0], defaultTarget: 0)), .end,
            .numeric(.i32Add), .memorySize(memory: 0), .drop, .end,
        ])
        #expect(try bodyInstructions(module, 2) == [.globalGet(1), .call(function: 0), .end])
    }

    @Test func sectionOrder() {
        let type = section(1, vector([]))
        #expect(decodingMessage(wasm(type, type)) == "unexpected content after last section")
        #expect(decodingMessage(wasm(section(3, vector([])), section(1, vector([])))) == "unexpected content after last section")
        // The data count section goes between the element and code sections.
        #expect(decodingMessage(wasm(section(9, vector([])), section(12, [0]), section(10, vector([])))) == nil)
        #expect(decodingMessage(wasm(section(10, vector([])), section(12, [0]))) == "unexpected content after last section")
        // Custom sections anywhere, any number of times.
        let custom = section(0, name("x") + [1, 2, 3])
        #expect(decodingMessage(wasm(custom, type, custom, custom, section(3, vector([])), custom)) == nil)
        #expect(decodingMessage(wasm([13, 0])) == "malformed section id")
        #expect(decodingMessage(wasm([0xFF, 0])) == "malformed section id")
        #expect(decodingError(wasm(type, [13, 0]))?.offset == 11)
    }

    @Test func sectionSizes() {
        // Declared size larger than the content read.
        #expect(decodingMessage(wasm([1, 2, 0, 0])) == "section size mismatch")
        // Declared size past the end of the module.
        #expect(decodingMessage(wasm([1, 9, 1, 0x60, 0, 0])) == "length out of bounds")
        // Content that runs past the end of the module.
        #expect(decodingMessage(wasm([5, 1, 1]))?.hasPrefix("unexpected end") == true)
        #expect(decodingMessage(wasm([0, 0]))?.hasPrefix("unexpected end") == true)
        // A custom section whose name does not fit in it.
        #expect(decodingMessage(wasm([0, 1, 5, 0x61, 0x62, 0x63, 0x64, 0x65]))?.hasPrefix("unexpected end") == true)
        #expect(decodingMessage(wasm(section(0, [2, 0xC0, 0x80]))) == "malformed UTF-8 encoding")
    }

    @Test func customSections() throws {
        let module = try decodeModule(wasm(section(0, name("meta") + [9, 8, 7]), section(0, name("") )))
        #expect(module.customSections.count == 2)
        #expect(module.customSections[0].name == "meta")
        #expect(Array(module.bytes[module.customSections[0].range]) == [9, 8, 7])
        #expect(module.customSections[1].name == "")
        #expect(module.customSections[1].range.isEmpty)
    }

    @Test func types() throws {
        let module = try decodeModule(wasm(section(1, vector([
            [0x60, 0x02, 0x7F, 0x7E, 0x01, 0x7D],
            [0x60, 0x03, 0x7C, 0x7B, 0x70, 0x02, 0x6F, 0x7F],
        ]))))
        #expect(module.types == [
            FunctionType(parameters: [.i32, .i64], results: [.f32]),
            FunctionType(parameters: [.f64, .v128, .funcref], results: [.externref, .i32]),
        ])
        #expect(decodingMessage(wasm(section(1, vector([[0x61, 0x00, 0x00]])))) == "malformed function type")
        #expect(decodingMessage(wasm(section(1, vector([[0xE0, 0x00, 0x00]])))) == "integer representation too long")
        #expect(decodingMessage(wasm(section(1, vector([[0x60, 0x01, 0x7A, 0x00]])))) == "malformed value type")
    }

    @Test func importsAndExports() {
        let badKind = wasm(section(2, vector([name("m") + name("n") + [0x04]])))
        #expect(decodingMessage(badKind) == "malformed import kind")
        let badMutability = wasm(section(2, vector([name("m") + name("n") + [0x03, 0x7F, 0x02]])))
        #expect(decodingMessage(badMutability) == "malformed mutability")
        let badExport = wasm(section(7, vector([name("e") + [0x04, 0x00]])))
        #expect(decodingMessage(badExport) == "malformed export kind")
        let badImportName = wasm(section(2, vector([[1, 0xFF] + name("n") + [0x00, 0x00]])))
        #expect(decodingMessage(badImportName) == "malformed UTF-8 encoding")
    }

    @Test func limits() throws {
        let memories = try decodeModule(wasm(section(5, vector([[0x00, 0x01], [0x01, 0x02, 0x03], [0x03, 0x01, 0x02]]))))
        #expect(memories.memories == [
            MemoryType(limits: Limits(min: 1)),
            MemoryType(limits: Limits(min: 2, max: 3)),
            MemoryType(limits: Limits(min: 1, max: 2), isShared: true),
        ])
        #expect(decodingMessage(wasm(section(5, vector([[0x02, 0x01]])))) == "integer too large")
        #expect(decodingMessage(wasm(section(5, vector([[0x81, 0x00, 0x01]])))) == "integer representation too long")
        #expect(decodingMessage(wasm(section(4, vector([[0x70, 0x03, 0x01, 0x02]])))) == "integer too large")
        #expect(decodingMessage(wasm(section(4, vector([[0x7F, 0x00, 0x01]])))) == "malformed reference type")
        let padded = try decodeModule(wasm(section(4, vector([[0x6F, 0x01, 0x80, 0x80, 0x80, 0x80, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]]))))
        #expect(padded.tables == [TableType(elementType: .externref, limits: Limits(min: 0, max: 0xFFFF_FFFF))])
    }

    @Test func allElementSegmentForms() throws {
        let segments: [[UInt8]] = [
            [0x00, 0x41, 0x00, 0x0B, 0x01, 0x00],  // active, table 0, function indices
            [0x01, 0x00, 0x01, 0x00],  // passive, elemkind, function indices
            [0x02, 0x01, 0x41, 0x01, 0x0B, 0x00, 0x01, 0x00],  // active, table 1, elemkind
            [0x03, 0x00, 0x02, 0x00, 0x00],  // declarative, elemkind
            [0x04, 0x41, 0x02, 0x0B, 0x01, 0xD2, 0x00, 0x0B],  // active, table 0, expressions
            [0x05, 0x70, 0x02, 0xD2, 0x00, 0x0B, 0xD0, 0x70, 0x0B],  // passive, reftype
            [0x06, 0x01, 0x41, 0x03, 0x0B, 0x70, 0x01, 0xD2, 0x00, 0x0B],  // active, table 1, reftype
            [0x07, 0x6F, 0x01, 0xD0, 0x6F, 0x0B],  // declarative, externref
        ]
        let module = try decodeModule(wasm(section(9, vector(segments))))
        let elements = module.elements
        try #require(elements.count == 8)

        func offset(_ value: Int32) -> [Instruction] { [.i32Const(value), .end] }
        func activeTable(_ segment: ElementSegment) -> UInt32? {
            if case .active(let table, _) = segment.mode { return table } else { return nil }
        }
        func activeOffset(_ segment: ElementSegment) -> [Instruction]? {
            if case .active(_, let offset) = segment.mode { return offset.instructions } else { return nil }
        }

        #expect(activeTable(elements[0]) == 0 && activeOffset(elements[0]) == offset(0))
        #expect(elements[0].type == .funcref && elements[0].items == .functionIndices([0]))
        #expect(elements[1].mode == .passive && elements[1].items == .functionIndices([0]))
        #expect(activeTable(elements[2]) == 1 && activeOffset(elements[2]) == offset(1))
        #expect(elements[3].mode == .declarative && elements[3].items == .functionIndices([0, 0]))
        #expect(activeTable(elements[4]) == 0 && activeOffset(elements[4]) == offset(2))
        #expect(elements[4].type == .funcref)
        #expect(elements[4].items.count == 1)
        #expect(elements[5].mode == .passive && elements[5].type == .funcref)
        if case .expressions(let expressions) = elements[5].items {
            #expect(expressions.map(\.instructions) == [[.refFunc(function: 0), .end], [.refNull(.funcref), .end]])
        } else {
            Issue.record("form 5 should hold expressions")
        }
        #expect(activeTable(elements[6]) == 1 && activeOffset(elements[6]) == offset(3))
        #expect(elements[7].mode == .declarative && elements[7].type == .externref)
        #expect(elements.map(\.offset) == elements.map(\.offset).sorted())

        #expect(decodingMessage(wasm(section(9, vector([[0x08, 0x00]])))) == "malformed elements segment kind")
        #expect(decodingMessage(wasm(section(9, vector([[0x01, 0x01, 0x00]])))) == "malformed element kind")
        #expect(decodingMessage(wasm(section(9, vector([[0x05, 0x7F, 0x00]])))) == "malformed reference type")
        // A constant expression that runs into an illegal opcode.
        #expect(decodingMessage(wasm(section(9, vector([[0x05, 0x70, 0x01, 0xF3, 0x00, 0x0B]]))))?.hasPrefix("illegal opcode") == true)
    }

    @Test func dataSegments() throws {
        let module = try decodeModule(wasm(
            section(12, [0x03]),
            section(11, vector([
                [0x00, 0x41, 0x08, 0x0B, 0x02, 0xAA, 0xBB],
                [0x01, 0x01, 0xCC],
                [0x02, 0x00, 0x41, 0x00, 0x0B, 0x00],
            ]))))
        #expect(module.dataCount == 3)
        #expect(module.data.map { Array(module.bytes[$0.range]) } == [[0xAA, 0xBB], [0xCC], []])
        if case .active(let memory, let offset) = module.data[0].mode {
            #expect(memory == 0 && offset.instructions == [.i32Const(8), .end])
        } else {
            Issue.record("segment 0 should be active")
        }
        #expect(module.data[1].mode == .passive)
        #expect(decodingMessage(wasm(section(11, vector([[0x03]])))) == "malformed data segment kind")
        #expect(decodingMessage(wasm(section(12, [0x02]), section(11, vector([[0x01, 0x00]]))))
            == "data count and data section have inconsistent lengths")
        #expect(decodingMessage(wasm(section(12, [0x01]))) == "data count and data section have inconsistent lengths")
        #expect(decodingMessage(wasm(section(12, [0x00]))) == nil)
    }

    @Test func functionAndCodeCounts() {
        #expect(decodingMessage(wasm(section(1, vector([[0x60, 0, 0]])), section(3, vector([[0]]))))
            == "function and code section have inconsistent lengths")
        #expect(decodingMessage(wasm(section(10, vector([[0x02, 0x00, 0x0B]]))))
            == "function and code section have inconsistent lengths")
    }

    @Test func localsAndBodies() throws {
        let module = try decodeModule(wasm(functions([
            [0x00, 0x0B],
            [0x03, 0x02, 0x7F, 0x00, 0x7E, 0x01, 0x7B, 0x0B],
        ])))
        #expect(module.functionBodies[0].locals.isEmpty)
        #expect(module.functionBodies[0].localCount == 0)
        #expect(module.functionBodies[1].locals == [
            LocalRun(count: 2, type: .i32), LocalRun(count: 0, type: .i64), LocalRun(count: 1, type: .v128),
        ])
        #expect(module.functionBodies[1].localCount == 3)
        #expect(Array(module.bytes[module.functionBodies[1].code]) == [0x0B])

        #expect(decodingMessage(wasm(functions([[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x0B]])))?.hasPrefix("too many locals") == true)
        #expect(decodingMessage(wasm(functions([[0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x7F, 0x0B]]))) == "integer too large")
        #expect(decodingMessage(wasm(functions([[0x01, 0x01, 0x7A, 0x0B]]))) == "malformed value type")
        // A body size past the end of the module.
        #expect(decodingMessage(wasm(section(1, vector([[0x60, 0, 0]])), section(3, vector([[0]])), [10, 3, 1, 9, 0]))
            == "length out of bounds")
    }

    @Test func nameSection() throws {
        let bytes = try wat2wasm(
            """
            (module $demo
              (func $first (param $x i32) (local $y i64))
              (func $second))
            """,
            options: EncodeOptions(nameSection: true))
        let module = try decodeModule(bytes)
        let names = try #require(module.names)
        #expect(names.functionNames == [0: "first", 1: "second"])
        if names.moduleName != nil { #expect(names.moduleName == "demo") }
        if let locals = names.localNames[0] { #expect(locals == [0: "x", 1: "y"]) }
    }

    @Test func handWrittenNameSection() throws {
        let payload = name("name")
            + section(0, name("mod"))
            + section(1, vector([uleb(0) + name("f"), uleb(3) + name("g")]))
            + section(2, vector([uleb(3) + vector([uleb(0) + name("a"), uleb(1) + name("b")])]))
            + section(7, vector([uleb(0) + name("global")]))  // skipped
        let module = try decodeModule(wasm(section(0, payload)))
        let names = try #require(module.names)
        #expect(names.moduleName == "mod")
        #expect(names.functionNames == [0: "f", 3: "g"])
        #expect(names.localNames == [3: [0: "a", 1: "b"]])
    }

    @Test func malformedNameSectionIsIgnored() throws {
        let cases: [[UInt8]] = [
            name("name") + section(1, vector([uleb(0) + [1, 0xFF]])),  // bad UTF-8
            name("name") + section(1, vector([])) + section(0, name("m")),  // out of order
            name("name") + section(0, name("m") + [0]),  // subsection size mismatch
            name("name") + [1, 50, 0],  // subsection past the end
        ]
        for payload in cases {
            let module = try decodeModule(wasm(section(0, payload)))
            #expect(module.names == nil)
            #expect(module.customSections.first?.name == "name")
        }
    }
}

// MARK: - Limits against hostile input

@Suite struct DecodingLimitTests {
    @Test func hugeCountsFailBeforeAllocating() {
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        for id: UInt8 in [1, 2, 3, 4, 5, 6, 7, 9, 10, 11] {
            #expect(decodingMessage(wasm(section(id, huge))) == "length out of bounds")
        }
        #expect(decodingMessage(wasm(section(1, [0x01, 0x60] + huge))) == "length out of bounds")
        #expect(decodingMessage(wasm(section(9, [0x01, 0x01, 0x00] + huge))) == "length out of bounds")
        #expect(decodingMessage(wasm(functions([[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]]))) == "length out of bounds")
        #expect(decodingMessage(wasm(section(0, huge))) == "length out of bounds")
    }

    @Test func countsAboveTheLimits() {
        // Enough bytes that the count passes the bytes-left check; the limit must stop it.
        let padding = [UInt8](repeating: 0, count: 1_000_010)
        #expect(decodingMessage(wasm(section(1, uleb(1_000_001) + padding))) == "too many types (limit 1000000)")
        #expect(decodingMessage(wasm(section(2, uleb(100_001) + padding))) == "too many imports (limit 100000)")
        #expect(decodingMessage(wasm(section(3, uleb(1_000_001) + padding))) == "too many functions (limit 1000000)")
        #expect(decodingMessage(wasm(section(6, uleb(1_000_001) + padding))) == "too many globals (limit 1000000)")
        #expect(decodingMessage(wasm(section(7, uleb(100_001) + padding))) == "too many exports (limit 100000)")
        #expect(decodingMessage(wasm(section(9, uleb(100_001) + padding))) == "too many element segments (limit 100000)")
        #expect(decodingMessage(wasm(section(11, uleb(100_001) + padding))) == "too many data segments (limit 100000)")
        #expect(decodingMessage(wasm(section(1, vector([[0x60] + uleb(1_001) + [UInt8](repeating: 0x7F, count: 1_001) + [0]]))))
            == "too many parameters (limit 1000)")
        #expect(decodingMessage(wasm(section(1, vector([[0x60, 0x00] + uleb(1_001) + [UInt8](repeating: 0x7F, count: 1_001)]))))
            == "too many results (limit 1000)")
    }

    @Test func localLimit() {
        #expect(decodingMessage(wasm(functions([[0x01] + uleb(50_000) + [0x7F, 0x0B]]))) == nil)
        #expect(decodingMessage(wasm(functions([[0x01] + uleb(50_001) + [0x7F, 0x0B]]))) == "too many locals (limit 50000)")
        #expect(decodingMessage(wasm(functions([[0x02] + uleb(25_000) + [0x7F] + uleb(25_001) + [0x7E, 0x0B]])))
            == "too many locals (limit 50000)")
    }

    @Test func functionBodySizeLimit() {
        let size = DecodingLimits.maxFunctionBodySize + 1
        let body = [UInt8](repeating: 0x01, count: size)
        let bytes = wasm(section(1, vector([[0x60, 0, 0]])), section(3, vector([[0]])),
                         section(10, vector([uleb(size) + body])))
        #expect(decodingMessage(bytes) == "function body too large (limit 7654321 bytes)")
    }

    @Test func branchTableLimit() {
        let targets = DecodingLimits.maxBranchTableTargets + 1
        let bytes: [UInt8] = [0x0E] + uleb(targets) + [UInt8](repeating: 0, count: targets + 1)
        #expect(instructionError(bytes)?.message == "too many br_table targets (limit 65520)")
        let fine: [UInt8] = [0x0E] + uleb(targets - 1) + [UInt8](repeating: 0, count: targets)
        #expect(instructionError(fine) == nil)
        #expect(instructionError([0x0E, 0xFF, 0xFF, 0x03, 0x00])?.message == "length out of bounds")
    }

    /// Every truncation of a real module is rejected cleanly (or decodes, where the cut falls
    /// between sections); reading the bodies of what decodes never crashes either.
    @Test func everyTruncationFailsCleanly() throws {
        let bytes = try wat2wasm(
            """
            (module
              (import "env" "f" (func (param i32) (result i32)))
              (memory 1)
              (table 1 funcref)
              (global (mut i32) (i32.const 0))
              (func (export "g") (param i32) (result i32)
                (local i64)
                local.get 0
                if (result i32) i32.const 1 else i32.const 2 end
                call 0)
              (elem (i32.const 0) 0)
              (data (i32.const 0) "abc"))
            """)
        var decodedPrefixes = 0
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            do throws(WasmError) {
                let module = try decodeModule(prefix)
                decodedPrefixes += 1
                for index in module.functionBodies.indices { _ = try? bodyInstructions(module, index) }
            } catch {
                #expect(error.phase == .decoding)
                #expect(error.offset <= length)
            }
        }
        #expect(decodedPrefixes < 8)
        #expect(decodingMessage(bytes) == nil)
    }

    /// Random single-byte mutations of a real module never crash the decoder or the reader.
    @Test func mutationsNeverCrash() throws {
        let bytes = try wat2wasm(
            """
            (module
              (type (func (param i32 i64) (result f32)))
              (memory 1 2)
              (func (type 0) local.get 0 drop f32.const 1.5)
              (func (result i32) block (result i32) i32.const 3 br_table 0 0 end)
              (elem declare func 0)
              (data "xyz"))
            """)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var rejected = 0
        for _ in 0..<3_000 {
            var mutated = bytes
            for _ in 0..<(1 + random(3)) {
                mutated[8 + random(mutated.count - 8)] = UInt8(random(256))
            }
            do throws(WasmError) {
                let module = try decodeModule(mutated)
                for index in module.functionBodies.indices { _ = try? bodyInstructions(module, index) }
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }
}

// MARK: - Instructions

@Suite struct InstructionReaderTests {
    @Test func controlInstructions() throws {
        #expect(try instructions([0x02, 0x40, 0x03, 0x7F, 0x04, 0x05, 0x02, 0x80, 0x01, 0x05, 0x0B]) == [
            .block(.empty), .loop(.value(.i32)), .if(.typeIndex(5)), .block(.typeIndex(128)), .else, .end,
        ])
        #expect(try instructions([0x00, 0x01, 0x0C, 0x03, 0x0D, 0x00, 0x0F, 0x10, 0x07]) == [
            .unreachable, .nop, .br(depth: 3), .brIf(depth: 0), .return, .call(function: 7),
        ])
        #expect(try instructions([0x0E, 0x02, 0x00, 0x01, 0x02]) == [.brTable(BranchTable(targets: [0, 1], defaultTarget: 2))])
        #expect(try instructions([0x0E, 0x00, 0x04]) == [.brTable(BranchTable(targets: [], defaultTarget: 4))])
        // call_indirect's table index is a (here padded) LEB128, not a reserved byte.
        #expect(try instructions([0x11, 0x02, 0x80, 0x80, 0x80, 0x80, 0x00, 0x11, 0x00, 0x01]) == [
            .callIndirect(typeIndex: 2, table: 0), .callIndirect(typeIndex: 0, table: 1),
        ])
        #expect(instructionError([0x02, 0x7A])?.message == "malformed value type")
        // A negative s33 type index is the validator's "unknown type".
        let negative = instructionError([0x02, 0xFF, 0x7F])
        #expect(negative?.phase == .validation && negative?.message == "unknown type")
    }

    @Test func parametricAndVariables() throws {
        #expect(try instructions([0x1A, 0x1B, 0x1C, 0x01, 0x7E, 0x1C, 0x01, 0x70]) == [
            .drop, .select, .typedSelect(.i64), .typedSelect(.funcref),
        ])
        for bytes: [UInt8] in [[0x1C, 0x00], [0x1C, 0x02, 0x7F, 0x7F]] {
            let error = instructionError(bytes)
            #expect(error?.phase == .validation && error?.message == "invalid result arity")
        }
        #expect(try instructions([0x20, 0x01, 0x21, 0x02, 0x22, 0x03, 0x23, 0x04, 0x24, 0x05, 0x25, 0x06, 0x26, 0x07]) == [
            .localGet(1), .localSet(2), .localTee(3), .globalGet(4), .globalSet(5), .tableGet(table: 6), .tableSet(table: 7),
        ])
        #expect(try instructions([0xD0, 0x6F, 0xD1, 0xD2, 0x09]) == [.refNull(.externref), .refIsNull, .refFunc(function: 9)])
        #expect(instructionError([0xD0, 0x7F])?.message == "malformed reference type")
    }

    @Test func memoryInstructions() throws {
        #expect(try instructions([0x28, 0x02, 0x10, 0x3E, 0x02, 0x80, 0x80, 0x04]) == [
            .load(.i32Load, MemoryArgument(align: 2, offset: 16)),
            .store(.i64Store32, MemoryArgument(align: 2, offset: 65536)),
        ])
        for opcode: UInt8 in 0x28...0x35 {
            #expect(try instructions([opcode, 0x00, 0x00]) == [.load(LoadOperation(rawValue: opcode)!, MemoryArgument(align: 0, offset: 0))])
        }
        for opcode: UInt8 in 0x36...0x3E {
            #expect(try instructions([opcode, 0x00, 0x00]) == [.store(StoreOperation(rawValue: opcode)!, MemoryArgument(align: 0, offset: 0))])
        }
        #expect(instructionError([0x28, 0x20, 0x00])?.message == "malformed memop flags")
        #expect(instructionError([0x28, 0x40, 0x00])?.message == "malformed memop flags")
        #expect(instructionError([0x28, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F])?.message == "integer too large")
        #expect(try instructions([0x3F, 0x00, 0x40, 0x00]) == [.memorySize(memory: 0), .memoryGrow(memory: 0)])
        for bytes: [UInt8] in [[0x3F, 0x01], [0x40, 0x80, 0x00], [0xFC, 0x0B, 0x01], [0xFC, 0x0A, 0x00, 0x01], [0xFC, 0x08, 0x00, 0x80, 0x00]] {
            #expect(instructionError(bytes)?.message == "zero byte expected")
        }
    }

    @Test func constants() throws {
        #expect(try instructions([0x41, 0x7F, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F]) == [
            .i32Const(-1), .i64Const(Int64.min),
        ])
        // NaN payloads survive bit for bit.
        #expect(try instructions([0x43, 0x01, 0x00, 0xC0, 0x7F, 0x44, 1, 0, 0, 0, 0, 0, 0xF8, 0x7F]) == [
            .f32Const(bits: 0x7FC0_0001), .f64Const(bits: 0x7FF8_0000_0000_0001),
        ])
        #expect(instructionError([0x41, 0x80, 0x80, 0x80, 0x80, 0x70])?.message == "integer too large")
    }

    @Test func everyNumericOpcode() throws {
        for opcode: UInt8 in 0x45...0xC4 {
            #expect(try instructions([opcode]) == [.numeric(NumericOperation(rawValue: UInt16(opcode))!)])
        }
        for subopcode: UInt8 in 0...7 {
            #expect(try instructions([0xFC, subopcode]) == [.numeric(NumericOperation(rawValue: 0xFC00 | UInt16(subopcode))!)])
        }
    }

    @Test func bulkMemoryAndTables() throws {
        #expect(try instructions([
            0xFC, 0x08, 0x03, 0x00,  // memory.init 3
            0xFC, 0x09, 0x04,  // data.drop 4
            0xFC, 0x0A, 0x00, 0x00,  // memory.copy
            0xFC, 0x0B, 0x00,  // memory.fill
            0xFC, 0x0C, 0x05, 0x01,  // table.init elem 5 table 1
            0xFC, 0x0D, 0x06,  // elem.drop 6
            0xFC, 0x0E, 0x02, 0x03,  // table.copy dst 2 src 3
            0xFC, 0x0F, 0x07,  // table.grow 7
            0xFC, 0x10, 0x08,  // table.size 8
            0xFC, 0x11, 0x09,  // table.fill 9
            0xFC, 0x90, 0x00, 0x00,  // padded subopcode 0x10: table.size 0
        ]) == [
            .memoryInit(data: 3, memory: 0), .dataDrop(data: 4), .memoryCopy(destination: 0, source: 0),
            .memoryFill(memory: 0), .tableInit(element: 5, table: 1), .elemDrop(element: 6),
            .tableCopy(destination: 2, source: 3), .tableGrow(table: 7), .tableSize(table: 8), .tableFill(table: 9),
            .tableSize(table: 0),
        ])
    }

    @Test func dataCountRequirement() throws {
        for bytes: [UInt8] in [[0xFC, 0x08, 0x00, 0x00], [0xFC, 0x09, 0x00]] {
            let error = instructionError(bytes, dataCountPresent: false)
            #expect(error?.phase == .decoding && error?.message == "data count section required")
        }
        #expect(instructionError([0xFC, 0x0A, 0x00, 0x00], dataCountPresent: false) == nil)
        // Through a module: the flag follows the data count section.
        let withoutCount = try decodeModule(wasm(functions([[0x00, 0xFC, 0x09, 0x00, 0x0B]])))
        #expect(throws: WasmError.self) { _ = try bodyInstructions(withoutCount, 0) }
        let withCount = try decodeModule(wasm(
            section(1, vector([[0x60, 0, 0]])), section(3, vector([[0]])), section(12, [1]),
            section(10, vector([[0x05, 0x00, 0xFC, 0x09, 0x00, 0x0B]])), section(11, vector([[0x01, 0x00]]))))
        #expect(try bodyInstructions(withCount, 0) == [.dataDrop(data: 0), .end])
    }

    @Test func illegalOpcodes() {
        for bytes: [UInt8] in [[0x06], [0x0A], [0x12], [0x27], [0xC5], [0xCF], [0xD3], [0xFB], [0xFE], [0xFF], [0xFC, 0x12], [0xFC, 0x80, 0x01]] {
            let error = instructionError(bytes)
            #expect(error?.message.hasPrefix("illegal opcode") == true)
            #expect(error?.offset == 0)
        }
        #expect(instructionError([0xF3])?.message == "illegal opcode 0xf3")
        #expect(instructionError([0x06])?.message == "illegal opcode 0x06")
    }

    @Test func readingPastTheEnd() {
        #expect(instructionError([0x41])?.message == "unexpected end of section or function")
        var reader = InstructionReader(bytes: [0x01, 0x0B, 0x00], range: 0..<2)
        #expect((try? reader.next()) == .nop)
        #expect((try? reader.next()) == .end)
        #expect(reader.isAtEnd && reader.offset == 2 && reader.end == 2)
        #expect((try? reader.next()) == nil)
    }
}
