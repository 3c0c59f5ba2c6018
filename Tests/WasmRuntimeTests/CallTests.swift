import CHostedPlatform
import HostedPlatform
import Testing
import WasmCompiler
import WasmFrontEnd
@testable import WasmRuntime

/// Calls through the entry trampoline, traps caught by the signal handler, backtraces and
/// host calls, using `HandWrittenCode`.
@Suite struct CallTests {
    let engine: Engine
    let store: Store
    let linker = Linker()
    let instance: Instance

    init() throws {
        engine = Engine(platform: HostedPlatform.shared)
        #expect(engine.installStubs(HandWrittenCode.image))
        store = Store(engine: engine)
        let module = try WasmModule(engine: engine, module: HandWrittenCode.module, image: HandWrittenCode.image)
        linker.defineFunction(store: store, module: "host", name: "f",
                              type: FunctionType(parameters: [.i32], results: [.i32])) { caller, arguments throws(Trap) in
            guard case .i32(let value) = arguments.first else { return [.i32(0)] }
            switch value {
            case 7:
                throw Trap(message: "seven is not allowed")
            case 8:
                // Nested: host → wasm → trap, rethrown.
                _ = try CallTests.firstInstance(caller.store)?.function("crash")?.call([])
                return [.i32(0)]
            case 9:
                // Nested: host → wasm → result.
                let inner = try CallTests.firstInstance(caller.store)?.function("answer")?.call([]) ?? []
                guard case .i32(let answer)? = inner.first else { return [.i32(0)] }
                return [.i32(answer + 1000)]
            default:
                return [.i32(value &* 2)]
            }
        }
        instance = try linker.instantiate(store, module)
    }

    /// The host closure must not capture an instance handle (it would keep its own store alive).
    static func firstInstance(_ store: Store) -> Instance? {
        store.instances.first.map { Instance(store: store, entity: $0) }
    }

    @Test func activationLayoutMatchesTheCHandler() {
        #expect(MemoryLayout<apus_activation>.offset(of: \.entry_stack_pointer) == ActivationRecordLayout.entryStackPointer)
        #expect(MemoryLayout<apus_activation>.offset(of: \.previous) == ActivationRecordLayout.previous)
        #expect(MemoryLayout<apus_activation>.offset(of: \.trap_kind) == ActivationRecordLayout.trapKind)
        #expect(MemoryLayout<apus_activation>.offset(of: \.backtrace_count) == ActivationRecordLayout.backtraceCount)
        #expect(MemoryLayout<apus_activation>.offset(of: \.faulting_pc) == ActivationRecordLayout.faultingPC)
        #expect(MemoryLayout<apus_activation>.offset(of: \.faulting_frame_pointer)
            == ActivationRecordLayout.faultingFramePointer)
        #expect(MemoryLayout<apus_activation>.offset(of: \.backtrace) == ActivationRecordLayout.backtrace)
        #expect(MemoryLayout<apus_activation>.size == ActivationRecordLayout.size)
        #expect(Int(APUS_BACKTRACE_CAPACITY) == ActivationRecordLayout.backtraceCapacity)
    }

    @Test func callReturnsResults() throws {
        #expect(try instance.function("answer")?.call([]) == [.i32(42)])
        // Repeated calls leave no activation behind.
        #expect(try instance.function("answer")?.call([]) == [.i32(42)])
        #expect(engine.platform.currentActivation == nil)
    }

    @Test func argumentsAreChecked() throws {
        let function = try #require(instance.function("callHost"))
        #expect(throws: Trap.self) { try function.call([]) }
        #expect(throws: Trap.self) { try function.call([.i64(1)]) }
    }

    @Test func unreachableTrapsWithBacktrace() throws {
        let function = try #require(instance.function("crash"))
        do {
            _ = try function.call([])
            Issue.record("expected a trap")
        } catch {
            #expect(error.kind == .unreachable)
            #expect(error.message == "unreachable")
            let names = error.backtrace.map { $0.functionName }
            #expect(names == ["inner", "crash"])
            #expect(error.backtrace.first?.codeOffset == HandWrittenCode.innerTrap - HandWrittenCode.inner)
            #expect(error.backtrace.first?.description == "handwritten!inner+0x5")
        }
        // The process survives and the instance is still usable.
        #expect(try instance.function("answer")?.call([]) == [.i32(42)])
    }

    @Test func guardRegionFaultIsAnOutOfBoundsTrap() throws {
        let function = try #require(instance.function("oob"))
        do {
            _ = try function.call([])
            Issue.record("expected a trap")
        } catch {
            #expect(error.kind == .memoryOutOfBounds)
            #expect(error.message == "out of bounds memory access")
            // No name-section entry for `oob`: its export name stands in.
            #expect(error.backtrace.first?.description == "handwritten!oob+0x13")
            #expect(BacktraceFrame(functionIndex: 7, functionName: nil, codeOffset: 0x1c).description == "func[7]+0x1c")
        }
    }

    @Test func wasmCallsHostFunction() throws {
        let function = try #require(instance.function("callHost"))
        #expect(try function.call([.i32(21)]) == [.i32(42)])
    }

    @Test func hostErrorBecomesTrap() throws {
        let function = try #require(instance.function("callHost"))
        do {
            _ = try function.call([.i32(7)])
            Issue.record("expected a trap")
        } catch {
            #expect(error.kind == nil)
            #expect(error.message == "seven is not allowed")
            #expect(error.backtrace.map { $0.functionName } == ["callHost"])
        }
        #expect(try function.call([.i32(1)]) == [.i32(2)])
    }

    @Test func nestedCalls() throws {
        let function = try #require(instance.function("callHost"))
        // wasm → host → wasm returns normally.
        #expect(try function.call([.i32(9)]) == [.i32(1042)])
        // wasm → host → wasm traps; the host rethrows; the outer call sees the inner trap.
        do {
            _ = try function.call([.i32(8)])
            Issue.record("expected a trap")
        } catch {
            #expect(error.kind == .unreachable)
            #expect(error.backtrace.map { $0.functionName } == ["inner", "crash", "callHost"])
        }
        #expect(engine.platform.currentActivation == nil)
    }

    @Test func trapSitesAreRegistered() throws {
        let module = try #require(store.instances.first?.module)
        let code = try #require(module.code)
        let base = UInt(bitPattern: code.base)
        #expect(apus_trap_kind_at(base + UInt(HandWrittenCode.innerTrap)) == TrapKind.unreachable.rawValue)
        #expect(apus_trap_kind_at(base + UInt(HandWrittenCode.oobLoad)) == TrapKind.memoryOutOfBounds.rawValue)
        #expect(apus_trap_kind_at(base + UInt(HandWrittenCode.answer)) == 0)
    }

    @Test func funcrefsRoundTripThroughTables() throws {
        let table = try #require(store.createTable(type: TableType(elementType: .funcref, limits: Limits(min: 2))))
        let answer = try #require(instance.function("answer"))
        #expect(table.set(1, .funcref(answer)))
        #expect(table.get(1) == .funcref(answer))
        #expect(table.get(0) == .funcref(nil))
        // The table holds the address of the function's VMFuncRef.
        #expect(table.entity.elements[1] == UInt64(UInt(bitPattern: answer.entity.funcRef)))
    }
}

/// Swift's mangled names in backtraces read as Swift names.
@Suite struct SwiftSymbolNameTests {
    @Test func plainSwiftFunctionsAreDemangled() {
        #expect(SwiftSymbolNames.readable("$e5crash4MainV4mainyyFZ") == "crash.Main.main()")
        #expect(SwiftSymbolNames.readable("$e2sh5ShellV15readCommandLineSSSgyF") == "sh.Shell.readCommandLine()")
        #expect(SwiftSymbolNames.readable("$s4main3fooyyF") == "main.foo()")
        #expect(SwiftSymbolNames.readable("$e4main7counterSivp") == "main.counter")
    }

    @Test func everythingElseKeepsItsName() {
        for name in ["store_loop", "$e5crash", "$e99x", "$e04Main", "$e5cr-sh4mainyyF", "", "$e", "$e5crash4Ma"] {
            #expect(SwiftSymbolNames.readable(name) == name, "\(name)")
        }
        let frame = BacktraceFrame(functionIndex: 3, functionName: "$e5crash4MainV4mainyyFZ", codeOffset: 0x1c)
        #expect(frame.description == "crash.Main.main()+0x1c")
        #expect(BacktraceFrame(functionIndex: 7, functionName: nil, codeOffset: 0x1c).description == "func[7]+0x1c")
    }
}
