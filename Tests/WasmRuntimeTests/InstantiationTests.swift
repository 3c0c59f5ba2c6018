import Testing
import WasmCompiler
import WasmFrontEnd
@testable import WasmRuntime

@Suite struct InstantiationTests {
    @Test func dataSegmentsInitialiseMemory() throws {
        let fixture = Fixture()
        let instance = try fixture.instantiate("""
            (module (memory (export "m") 1 3)
              (data (i32.const 8) "abc")
              (data (i32.const 9) "Z"))
            """)
        let memory = try #require(instance.memory("m"))
        #expect(memory.pageCount == 1)
        #expect(memory.read(offset: 8, count: 3) == Array("aZc".utf8))
        #expect(memory.read(offset: 65535, count: 2) == nil)
    }

    @Test func unknownImport() throws {
        let error = try #require(try Fixture().instantiationError(#"(module (import "env" "f" (func)))"#))
        #expect(error.kind == .unlinkable)
        #expect(error.message == "unknown import")
        #expect(error.detail == "env.f")
    }

    @Test func incompatibleImportTypes() throws {
        let fixture = Fixture()
        fixture.linker.defineFunction(store: fixture.store, module: "env", name: "f",
                                      type: FunctionType(parameters: [.i32], results: [])) { _, _ throws(Trap) in [] }
        let memory = try #require(fixture.store.createMemory(type: MemoryType(limits: Limits(min: 1, max: 4))))
        fixture.linker.define(module: "env", name: "memory", .memory(memory))
        let global = try #require(fixture.store.createGlobal(type: GlobalType(valueType: .i32, isMutable: false),
                                                            value: .i32(666)))
        fixture.linker.define(module: "env", name: "global", .global(global))
        let incompatible = [
            #"(module (import "env" "f" (func (param i64))))"#,
            #"(module (import "env" "f" (memory 1)))"#,
            #"(module (import "env" "memory" (memory 2)))"#,
            #"(module (import "env" "memory" (memory 1 2)))"#,
            #"(module (import "env" "global" (global (mut i32))))"#,
            #"(module (import "env" "global" (global i64)))"#,
        ]
        for text in incompatible {
            let error = try #require(try fixture.instantiationError(text))
            #expect(error.kind == .unlinkable)
            #expect(error.message == "incompatible import type")
        }
        let compatible = [
            #"(module (import "env" "f" (func (param i32))))"#,
            #"(module (import "env" "memory" (memory 1)))"#,
            #"(module (import "env" "memory" (memory 0 4)))"#,
            #"(module (import "env" "memory" (memory 1 5)))"#,
            #"(module (import "env" "global" (global i32)))"#,
        ]
        for text in compatible { #expect(try fixture.instantiationError(text) == nil) }
    }

    @Test func outOfBoundsDataKeepsEarlierSegments() throws {
        let fixture = Fixture()
        let memory = try #require(fixture.store.createMemory(type: MemoryType(limits: Limits(min: 1))))
        fixture.linker.define(module: "env", name: "memory", .memory(memory))
        let error = try #require(try fixture.instantiationError("""
            (module (import "env" "memory" (memory 1))
              (data (i32.const 0) "ok")
              (data (i32.const 65535) "too long"))
            """))
        #expect(error.kind == .trap)
        #expect(error.message == "out of bounds memory access")
        #expect(error.trap?.kind == .memoryOutOfBounds)
        #expect(memory.read(offset: 0, count: 2) == Array("ok".utf8))
        #expect(memory.read(offset: 65535, count: 1) == [0])
    }

    @Test func elementSegmentsAndTableBounds() throws {
        let fixture = Fixture()
        let host = fixture.linker.defineFunction(store: fixture.store, module: "env", name: "f",
                                                 type: FunctionType(parameters: [], results: [.i32])) { _, _ throws(Trap) in
            [.i32(5)]
        }
        let table = try #require(fixture.store.createTable(type: TableType(elementType: .funcref, limits: Limits(min: 3))))
        fixture.linker.define(module: "env", name: "table", .table(table))
        let instance = try fixture.instantiate("""
            (module (import "env" "f" (func $f (result i32)))
              (import "env" "table" (table 3 funcref))
              (elem (i32.const 1) $f)
              (elem declare func $f)
              (table (export "own") 2 externref))
            """)
        #expect(table.get(1) == .funcref(host))
        #expect(table.get(0) == .funcref(nil))
        let own = try #require(instance.table("own"))
        #expect(own.get(0) == .externref(nil))
        #expect(own.set(1, .externref(0)))
        #expect(own.get(1) == .externref(0))
        #expect(!own.set(1, .funcref(nil)))
        #expect(own.grow(by: 2, value: .externref(7)) == 2)
        #expect(own.get(3) == .externref(7))

        let error = try #require(try fixture.instantiationError("""
            (module (import "env" "f" (func $f (result i32)))
              (import "env" "table" (table 3 funcref))
              (elem (i32.const 0) $f)
              (elem (i32.const 2) $f $f))
            """))
        #expect(error.kind == .trap)
        #expect(error.message == "out of bounds table access")
        // The first segment was applied before the second failed.
        #expect(table.get(0) == .funcref(host))
        #expect(table.get(2) == .funcref(nil))
        // The host function is callable through the table value.
        if case .funcref(let function?) = table.get(0) {
            #expect(try function.call([]) == [.i32(5)])
        }
    }

    @Test func importedGlobalsAliasTheExportersCell() throws {
        let fixture = Fixture()
        let exporter = try fixture.instantiate("""
            (module (global (export "g") (mut i32) (i32.const 1))
              (global (export "c") i64 (i64.const -2)))
            """)
        fixture.linker.define(module: "a", instance: exporter)
        let importer = try fixture.instantiate("""
            (module (import "a" "g" (global $g (mut i32)))
              (import "a" "c" (global $c i64))
              (global (export "copy") i64 (global.get $c))
              (export "same" (global $g)))
            """)
        let original = try #require(exporter.global("g"))
        let alias = try #require(importer.global("same"))
        #expect(alias.value == .i32(1))
        #expect(original.set(.i32(99)))
        #expect(alias.value == .i32(99))
        #expect(importer.global("copy")?.value == .i64(signed: -2))
        #expect(!original.set(.i64(1)))
    }

    @Test func floatGlobalsKeepBits() throws {
        let fixture = Fixture()
        let instance = try fixture.instantiate("""
            (module (global (export "f") f32 (f32.const nan:0x200001))
              (global (export "d") f64 (f64.const -0x1p-1074)))
            """)
        #expect(instance.global("f")?.value == .f32(0x7fa0_0001))
        #expect(instance.global("d")?.value == .f64(0x8000_0000_0000_0001))
    }

    @Test func handlesKeepTheStoreAlive() throws {
        // The fixture (and its store variable) is gone after this line; the handle keeps it.
        let instance = try Fixture().instantiate("""
            (module (global (export "g") i32 (i32.const 5)) (table (export "t") 1 funcref))
            """)
        #expect(instance.global("g")?.value == .i32(5))
        #expect(instance.table("t")?.get(0) == .funcref(nil))
    }

    @Test func exportsAreListedInOrder() throws {
        let fixture = Fixture()
        let instance = try fixture.instantiate("""
            (module (memory (export "m") 0) (global (export "g") i32 (i32.const 0))
              (table (export "t") 0 funcref))
            """)
        #expect(instance.exports.map { $0.name } == ["m", "g", "t"])
        #expect(instance.export("m")?.kind == .memory)
        #expect(instance.export("missing") == nil)
        #expect(instance.function("m") == nil)
    }
}

@Suite struct MemoryTests {
    @Test(arguments: [BoundsCheckStrategy.guardRegion, .explicit])
    func growth(strategy: BoundsCheckStrategy) throws {
        let fixture = Fixture(boundsChecks: strategy)
        let memory = try #require(fixture.store.createMemory(type: MemoryType(limits: Limits(min: 1, max: 3))))
        #expect(memory.write(offset: 65534, bytes: [1, 2]))
        #expect(!memory.write(offset: 65535, bytes: [1, 2]))
        #expect(memory.grow(by: 1) == 1)
        #expect(memory.byteCount == 2 * 65536)
        // Contents survive growth (explicit mode moves the memory).
        #expect(memory.read(offset: 65534, count: 2) == [1, 2])
        #expect(memory.read(offset: 2 * 65536 - 1, count: 1) == [0])
        #expect(memory.grow(by: 2) == nil)
        #expect(memory.grow(by: 0) == 2)
        #expect(memory.grow(by: 1) == 2)
        #expect(memory.pageCount == 3)
        #expect(memory.grow(by: UInt64.max) == nil)
    }

    @Test func engineLimitCapsMemories() throws {
        let fixture = Fixture { $0.memoryPageLimit = 4 }
        #expect(fixture.store.createMemory(type: MemoryType(limits: Limits(min: 5))) == nil)
        let memory = try #require(fixture.store.createMemory(type: MemoryType(limits: Limits(min: 1))))
        #expect(memory.grow(by: 3) == 1)
        #expect(memory.grow(by: 1) == nil)
    }

    @Test func tableLimits() throws {
        let fixture = Fixture()
        let table = try #require(fixture.store.createTable(
            type: TableType(elementType: .externref, limits: Limits(min: 1, max: 2)), initialValue: .externref(3)))
        #expect(table.get(0) == .externref(3))
        #expect(table.grow(by: 1, value: .externref(nil)) == 1)
        #expect(table.grow(by: 1, value: .externref(nil)) == nil)
        #expect(table.get(2) == nil)
        #expect(!table.set(2, .externref(nil)))
    }
}
