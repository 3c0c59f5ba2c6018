import Testing
import WasmCompiler
import WasmFrontEnd
@testable import WasmRuntime

/// End-to-end: WAT → baseline compiler → runtime.
@Suite struct CompiledCodeTests {
    @Test func arithmeticExport() throws {
        let instance = try Fixture().instantiate("""
            (module (func (export "add") (param i32 i32) (result i32)
              local.get 0 local.get 1 i32.add))
            """)
        let add = try #require(instance.function("add"))
        #expect(try add.call([.i32(40), .i32(2)]) == [.i32(42)])
        #expect(try add.call([.i32(signed: -1), .i32(1)]) == [.i32(0)])
    }

    @Test func trapsHaveSpecMessagesAndNamedBacktraces() throws {
        let instance = try Fixture().instantiate("""
            (module
              (func $divide (export "divide") (param i32 i32) (result i32)
                local.get 0 local.get 1 i32.div_s)
              (func $outer (export "outer") (result i32)
                i32.const 1 i32.const 0 call $divide))
            """)
        let outer = try #require(instance.function("outer"))
        do {
            _ = try outer.call([])
            Issue.record("expected a trap")
        } catch {
            #expect(error.kind == .integerDivideByZero)
            #expect(error.message == "integer divide by zero")
            #expect(error.backtrace.map { $0.functionName } == ["divide", "outer"])
        }
        let divide = try #require(instance.function("divide"))
        #expect(throws: Trap.self) { try divide.call([.i32(0x8000_0000), .i32(signed: -1)]) }
        #expect(try divide.call([.i32(7), .i32(2)]) == [.i32(3)])
    }

    @Test(arguments: [BoundsCheckStrategy.guardRegion, .explicit])
    func memoryAccessAndGrowth(strategy: BoundsCheckStrategy) throws {
        let instance = try Fixture(boundsChecks: strategy).instantiate("""
            (module (memory (export "memory") 1 4)
              (func (export "load") (param i32) (result i32) local.get 0 i32.load)
              (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
              (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
              (func (export "size") (result i32) memory.size))
            """)
        let load = try #require(instance.function("load"))
        let store = try #require(instance.function("store"))
        let grow = try #require(instance.function("grow"))
        _ = try store.call([.i32(100), .i32(0x1234_5678)])
        #expect(try load.call([.i32(100)]) == [.i32(0x1234_5678)])
        #expect(instance.memory("memory")?.read(offset: 100, count: 1) == [0x78])
        do {
            _ = try load.call([.i32(65534)])
            Issue.record("expected a trap")
        } catch {
            #expect(error.message == "out of bounds memory access")
        }
        #expect(try grow.call([.i32(1)]) == [.i32(1)])
        #expect(try load.call([.i32(65534)]) == [.i32(0)])
        #expect(try instance.function("size")?.call([]) == [.i32(2)])
        #expect(try grow.call([.i32(3)]) == [.i32(signed: -1)])
        #expect(try load.call([.i32(100)]) == [.i32(0x1234_5678)])
    }

    @Test func hostImportsAndCallIndirect() throws {
        let fixture = Fixture()
        var seen: [UInt32] = []
        fixture.linker.defineFunction(store: fixture.store, module: "env", name: "twice",
                                      type: FunctionType(parameters: [.i32], results: [.i32])) { _, arguments throws(Trap) in
            guard case .i32(let value) = arguments[0] else { return [.i32(0)] }
            seen.append(value)
            return [.i32(value &* 2)]
        }
        let instance = try fixture.instantiate("""
            (module (import "env" "twice" (func $twice (param i32) (result i32)))
              (type $unary (func (param i32) (result i32)))
              (table 2 funcref) (elem (i32.const 0) $twice $inc)
              (func $inc (param i32) (result i32) local.get 0 i32.const 1 i32.add)
              (func (export "direct") (param i32) (result i32) local.get 0 call $twice)
              (func (export "indirect") (param i32 i32) (result i32)
                local.get 0 local.get 1 call_indirect (type $unary)))
            """)
        #expect(try instance.function("direct")?.call([.i32(21)]) == [.i32(42)])
        let indirect = try #require(instance.function("indirect"))
        #expect(try indirect.call([.i32(5), .i32(0)]) == [.i32(10)])
        #expect(try indirect.call([.i32(5), .i32(1)]) == [.i32(6)])
        #expect(seen == [21, 5])
        do {
            _ = try indirect.call([.i32(5), .i32(2)])
            Issue.record("expected a trap")
        } catch {
            #expect(error.message == "undefined element")
        }
    }

    @Test func startFunctionTrapMakesModuleUninstantiable() throws {
        let error = try #require(try Fixture().instantiationError("""
            (module (func $start unreachable) (start $start))
            """))
        #expect(error.kind == .trap)
        #expect(error.message == "unreachable")
    }

    @Test func runawayRecursionExhaustsTheStack() throws {
        let instance = try Fixture().instantiate("""
            (module (func $f (export "f") (param i32) (result i32)
              local.get 0 i32.const 1 i32.add call $f))
            """)
        do {
            _ = try instance.function("f")?.call([.i32(0)])
            Issue.record("expected a trap")
        } catch {
            #expect(error.kind == .callStackExhausted)
            #expect(error.message == "call stack exhausted")
            #expect(error.backtrace.count == 64)
        }
    }

    @Test func hostFunctionReentersWasm() throws {
        let fixture = Fixture()
        var callback: Func?
        fixture.linker.defineFunction(store: fixture.store, module: "env", name: "callback",
                                      type: FunctionType(parameters: [.i32], results: [.i32])) { _, arguments throws(Trap) in
            guard let callback else { throw Trap(message: "no callback") }
            return try callback.call(arguments)
        }
        let instance = try fixture.instantiate("""
            (module (import "env" "callback" (func $callback (param i32) (result i32)))
              (func (export "countdown") (param i32) (result i32)
                local.get 0 i32.eqz
                if (result i32) i32.const 100
                else local.get 0 i32.const 1 i32.sub call $callback i32.const 1 i32.add end))
            """)
        callback = instance.function("countdown")
        #expect(try callback?.call([.i32(10)]) == [.i32(110)])
        callback = nil
        do {
            _ = try instance.function("countdown")?.call([.i32(3)])
            Issue.record("expected a trap")
        } catch {
            #expect(error.message == "no callback")
            #expect(error.kind == nil)
        }
    }
}
