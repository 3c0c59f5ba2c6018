import HostedPlatform
import Testing
import WAT
import WasmCompiler
import WasmFrontEnd
@testable import WasmRuntime

/// Modules that depend on each other: the resolver's refusals, and cross-program calls through
/// the generated trampolines (results, buffers, traps in the callee, nesting).
@Suite struct ProgramSystemTests {
    /// `text` compiled, with an `apus.interface` section carrying `interface` appended.
    static func module(_ text: String, interface: String? = nil) throws -> [UInt8] {
        var bytes = try wat2wasm(text, options: EncodeOptions(nameSection: true))
        if let interface { bytes += ProgramInterface.customSection(interface) }
        return bytes
    }

    static let logService = """
        (module
          (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
          (func (export "boom") (result i32) unreachable))
        """

    static let kvService = """
        (module
          (import "log@1" "double" (func $double (param i32) (result i32 i32)))
          (import "log@1" "boom" (func $boom (result i32 i32)))
          (memory 1)
          (global $calls (export "calls") (mut i32) (i32.const 0))
          (func $count global.get $calls i32.const 1 i32.add global.set $calls)
          (func (export "add") (param i32 i32) (result i32) call $count local.get 0 local.get 1 i32.add)
          (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
            call $count
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              local.get $s local.get $p i32.load8_u i32.add local.set $s
              local.get $p i32.const 1 i32.add local.set $p
              local.get $n i32.const 1 i32.sub local.set $n
              br $next))
            local.get $s)
          (func (export "fill") (param $p i32) (param $n i32) (param $v i32) (result i32)
            call $count
            local.get $p local.get $v local.get $n memory.fill
            local.get $n)
          (func (export "bump") (param $p i32) (param $n i32) (result i32)
            call $count
            (block $done (loop $next
              local.get $n i32.eqz br_if $done
              local.get $p local.get $p i32.load8_u i32.const 1 i32.add i32.store8
              local.get $p i32.const 1 i32.add local.set $p
              local.get $n i32.const 1 i32.sub local.set $n
              br $next))
            local.get $p)
          (func (export "crash") (result i32) call $count unreachable)
          (func $deep (export "deep") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $deep)
          (func (export "viaLog") (param i32) (result i32 i32) call $count local.get 0 call $double)
          (func (export "viaBoom") (result i32 i32) call $count call $boom))
        """

    static let app = """
        (module
          (import "kv@1" "add" (func $add (param i32 i32) (result i32 i32)))
          (import "kv@1" "sum" (func $sum (param i32 i32) (result i32 i32)))
          (import "kv@1" "fill" (func $fill (param i32 i32 i32) (result i32 i32)))
          (import "kv@1" "bump" (func $bump (param i32 i32) (result i32 i32)))
          (import "kv@1" "crash" (func $crash (result i32 i32)))
          (import "kv@1" "deep" (func $deep (param i32) (result i32 i32)))
          (import "kv@1" "viaLog" (func $viaLog (param i32) (result i32 i32 i32)))
          (import "kv@1" "viaBoom" (func $viaBoom (result i32 i32 i32)))
          (memory (export "memory") 1)
          (global $mine (mut i32) (i32.const 42))
          (func (export "add") (param i32 i32) (result i32 i32) local.get 0 local.get 1 call $add)
          (func (export "sum") (param i32 i32) (result i32 i32) local.get 0 local.get 1 call $sum)
          (func (export "fill") (param i32 i32 i32) (result i32 i32) local.get 0 local.get 1 local.get 2 call $fill)
          (func (export "bump") (param i32 i32) (result i32 i32) local.get 0 local.get 1 call $bump)
          (func (export "crash") (result i32 i32 i32)
            global.get $mine i32.const 1 i32.add global.set $mine
            call $crash global.get $mine)
          (func (export "deep") (result i32 i32) i32.const 0 call $deep)
          (func (export "viaLog") (param i32) (result i32 i32 i32) local.get 0 call $viaLog)
          (func (export "viaBoom") (result i32 i32 i32) call $viaBoom))
        """

    static let kvInterface = """
        kind service
        version 1.2.0
        buffer-area 1024 4096
        export sum 0:in
        export fill 0:out
        export bump 0:inout
        """

    static func standardImage() throws -> ProgramImage {
        var image = ProgramImage()
        image.add(name: "log", bytes: try module(logService, interface: "kind service\nversion 1.0.0\n"))
        image.add(name: "kv", bytes: try module(kvService, interface: kvInterface))
        image.add(name: "app", bytes: try module(app))
        return image
    }

    static var standardManifest: CapabilityManifest {
        var manifest = CapabilityManifest()
        manifest.allow("app", ["kv"])
        manifest.allow("kv", ["log.double", "log.boom"])
        return manifest
    }

    let store: Store

    init() { store = Store(engine: Engine(platform: HostedPlatform.shared)) }

    init(boundsChecks: BoundsCheckStrategy) {
        var configuration = Engine.Configuration()
        configuration.boundsChecks = boundsChecks
        store = Store(engine: Engine(platform: HostedPlatform.shared, configuration: configuration))
    }

    func system() throws -> ProgramSystem {
        try ProgramSystem(store: store, image: Self.standardImage(), manifest: Self.standardManifest)
    }

    func call(_ system: ProgramSystem, _ name: String, _ arguments: [Value] = []) throws -> [UInt32] {
        let results = try #require(system.instance("app")?.function(name)).call(arguments)
        return results.map { value in
            if case .i32(let bits) = value { return bits }
            return UInt32.max
        }
    }

    func calls(_ system: ProgramSystem) -> Value? { system.instance("kv")?.global("calls")?.value }

    // MARK: Resolution

    @Test func resolvesOrderAndDependencies() throws {
        let graph = try ProgramGraph.resolve(Self.standardImage(), manifest: Self.standardManifest)
        #expect(graph.instantiationOrder == ["log", "kv", "app"])
        let app = try #require(graph.node("app"))
        #expect(app.dependencies.map(\.name) == ["kv"])
        #expect(app.dependencies.first?.kind == .service)
        #expect(app.dependencies.first?.functions.count == 8)
        #expect(graph.node("kv")?.interface.version == ProgramVersion(major: 1, minor: 2))
    }

    func resolveError(_ image: ProgramImage, manifest: CapabilityManifest = .unrestricted) -> ProgramError? {
        do {
            _ = try ProgramGraph.resolve(image, manifest: manifest)
            return nil
        } catch {
            return error
        }
    }

    @Test func refusesMissingModule() throws {
        var image = ProgramImage()
        image.add(name: "app", bytes: try Self.module(#"(module (import "kv@1" "add" (func (param i32 i32) (result i32 i32))))"#))
        #expect(resolveError(image) == .missingModule(importer: "app", dependency: "kv"))
    }

    @Test func refusesVersionMismatchAndConflict() throws {
        var image = ProgramImage()
        image.add(name: "kv", bytes: try Self.module(#"(module (func (export "f") (result i32) i32.const 1))"#,
                                                     interface: "kind library\nversion 1.2.0"))
        image.add(name: "a", bytes: try Self.module(#"(module (import "kv@1.3" "f" (func (result i32))))"#))
        #expect(resolveError(image) == .versionMismatch(importer: "a", dependency: "kv", required: "1.3.0",
                                                       available: "1.2.0"))
        image.add(name: "b", bytes: try Self.module(#"(module (import "kv@2" "f" (func (result i32))))"#))
        guard case .versionConflict(let dependency, let requirements)? = resolveError(image) else {
            Issue.record("expected a version conflict")
            return
        }
        #expect(dependency == "kv")
        #expect(requirements == ["a wants kv@1.3", "b wants kv@2"])
    }

    @Test func refusesCycles() throws {
        var image = ProgramImage()
        image.add(name: "x", bytes: try Self.module(#"""
            (module (import "y@1" "f" (func (result i32))) (func (export "g") (result i32) i32.const 1))
            """#, interface: "kind library\nversion 1.0"))
        image.add(name: "y", bytes: try Self.module(#"""
            (module (import "x@1" "g" (func (result i32))) (func (export "f") (result i32) i32.const 1))
            """#, interface: "kind library\nversion 1.0"))
        #expect(resolveError(image) == .cycle(["x", "y", "x"]))
    }

    @Test func refusesSignatureMismatch() throws {
        var image = try Self.standardImage()
        // A service import without the status result.
        image.add(name: "bad", bytes: try Self.module(#"(module (import "kv@1" "add" (func (param i32 i32) (result i32))))"#))
        #expect(resolveError(image) == .signatureMismatch(
            importer: "bad", dependency: "kv", name: "add", expected: "(i32, i32) -> (i32, i32)",
            actual: "(i32, i32) -> (i32)"))
    }

    @Test func refusesMissingExportAndProgramDependency() throws {
        var image = try Self.standardImage()
        image.add(name: "bad", bytes: try Self.module(#"(module (import "kv@1" "nope" (func (result i32 i32))))"#))
        #expect(resolveError(image) == .missingExport(importer: "bad", dependency: "kv", name: "nope"))
        var second = try Self.standardImage()
        second.add(name: "bad", bytes: try Self.module(#"(module (import "app@0" "add" (func (result i32 i32))))"#))
        #expect(resolveError(second) == .notImportable(importer: "bad", dependency: "app"))
    }

    @Test func refusesImportsOutsideTheManifest() throws {
        var manifest = CapabilityManifest()
        manifest.allow("app", ["kv.add"])
        manifest.allow("kv", ["log"])
        #expect(resolveError(try Self.standardImage(), manifest: manifest)
            == .capabilityDenied(program: "app", module: "kv", name: "sum"))
        var none = CapabilityManifest()
        none.allow("app", ["kv"])
        #expect(resolveError(try Self.standardImage(), manifest: none)
            == .capabilityDenied(program: "kv", module: "log", name: "double"))
    }

    @Test func refusesBadInterfaces() throws {
        #expect(ProgramInterface.parse(Array("kind daemon".utf8)).failureValue?.description == "line 1: unknown kind daemon")
        #expect(ProgramInterface.parse(Array("export f 0:sideways".utf8)).failureValue != nil)
        #expect(ProgramInterface.parse(Array("version 1.x".utf8)).failureValue != nil)
        var image = ProgramImage()
        image.add(name: "s", bytes: try Self.module(#"(module (memory 1) (func (export "f") (param i64 i32)))"#,
                                                    interface: "kind service\nbuffer-area 0 16\nexport f 0:in"))
        guard case .invalidInterface(let module, _)? = resolveError(image) else {
            Issue.record("expected an invalid interface")
            return
        }
        #expect(module == "s")
    }

    @Test func refusesMissingHostFunction() throws {
        var image = ProgramImage()
        image.add(name: "app", bytes: try Self.module(#"(module (import "env" "print" (func (param i32))))"#))
        #expect(resolveError(image) == .unresolvedImport(importer: "app", module: "env", name: "print"))
    }

    // MARK: Cross-program calls

    @Test func callsReturnResults() throws {
        let system = try system()
        #expect(try call(system, "add", [.i32(40), .i32(2)]) == [0, 42])
        #expect(try call(system, "add", [.i32(0xFFFF_FFFF), .i32(2)]) == [0, 1])
        #expect(calls(system) == .i32(2))
    }

    @Test(arguments: [BoundsCheckStrategy.guardRegion, .explicit])
    func copiesBuffersBothWays(boundsChecks: BoundsCheckStrategy) throws {
        let system = try ProgramSystemTests(boundsChecks: boundsChecks).system()
        let memory = try #require(system.instance("app")?.memory("memory"))
        #expect(memory.write(offset: 100, bytes: [1, 2, 3, 4, 250]))
        #expect(try call(system, "sum", [.i32(100), .i32(5)]) == [0, 260])
        // out: the service's writes come back; the bytes around are untouched.
        #expect(try call(system, "fill", [.i32(200), .i32(64), .i32(7)]) == [0, 64])
        #expect(memory.read(offset: 199, count: 66) == [0] + Array(repeating: 7, count: 64) + [0])
        // inout: in, modified, back.
        #expect(try call(system, "bump", [.i32(100), .i32(5)]).first == 0)
        #expect(memory.read(offset: 100, count: 5) == [2, 3, 4, 5, 251])
        // A whole 4 KiB buffer.
        #expect(try call(system, "fill", [.i32(8192), .i32(4096), .i32(9)]) == [0, 4096])
        #expect(memory.read(offset: 8192, count: 4096) == Array(repeating: 9, count: 4096))
    }

    @Test func badBuffersNeverReachTheService() throws {
        let system = try system()
        // Past the end of the caller's memory (65536 bytes).
        #expect(try call(system, "sum", [.i32(65530), .i32(100)]) == [CrossCallStatus.bufferOutOfBounds, 0])
        #expect(try call(system, "sum", [.i32(0xFFFF_FFF0), .i32(0x20)]) == [CrossCallStatus.bufferOutOfBounds, 0])
        // Larger than the 4 KiB buffer area.
        #expect(try call(system, "fill", [.i32(0), .i32(4097), .i32(1)]) == [CrossCallStatus.bufferTooLarge, 0])
        #expect(calls(system) == .i32(0))
        #expect(system.serviceFailure("kv")?.failed == false)
    }

    @Test func trapInServiceIsAnErrorForTheCaller() throws {
        let system = try system()
        let results = try call(system, "crash")
        // The caller continued after the call: its global was incremented once, before it.
        #expect(results == [CrossCallStatus.trapped | TrapKind.unreachable.rawValue, 0, 43])
        let failure = try #require(system.serviceFailure("kv"))
        #expect(failure.failed && failure.trap == .unreachable)
        // Failed: later calls return at once without running the service.
        #expect(try call(system, "add", [.i32(1), .i32(2)]) == [CrossCallStatus.serviceFailed, 0])
        #expect(calls(system) == .i32(1))
        // A restart gives a fresh instance.
        try system.restart("kv")
        #expect(system.serviceFailure("kv")?.failed == false)
        #expect(try call(system, "add", [.i32(1), .i32(2)]) == [0, 3])
        #expect(calls(system) == .i32(1))
        // The caller's state survived all of it, and normal traps in the caller still work.
        #expect(try call(system, "crash").last == 44)
    }

    @Test func stackOverflowInServiceIsCaught() throws {
        let system = try system()
        #expect(try call(system, "deep") == [CrossCallStatus.trapped | TrapKind.callStackExhausted.rawValue, 0])
        #expect(system.serviceFailure("kv")?.trap == .callStackExhausted)
        #expect(try call(system, "add", [.i32(1), .i32(1)]) == [CrossCallStatus.serviceFailed, 0])
    }

    @Test func nestedCallsAndNestedTraps() throws {
        let system = try system()
        #expect(try call(system, "viaLog", [.i32(21)]) == [0, 0, 42])
        // log traps inside kv's call: kv gets the error, app gets kv's normal result.
        #expect(try call(system, "viaBoom") == [0, CrossCallStatus.trapped | TrapKind.unreachable.rawValue, 0])
        #expect(system.serviceFailure("log")?.failed == true)
        #expect(system.serviceFailure("kv")?.failed == false)
        #expect(try call(system, "viaLog", [.i32(1)]) == [0, CrossCallStatus.serviceFailed, 0])
        #expect(try call(system, "add", [.i32(2), .i32(2)]) == [0, 4])
    }

    @Test func trapsAfterACaughtTrapStillReachTheHost() throws {
        let system = try system()
        _ = try call(system, "crash")
        var image = ProgramImage()
        image.add(name: "t", bytes: try Self.module(#"(module (func (export "t") unreachable))"#))
        let other = try ProgramSystem(store: store, image: image, manifest: .unrestricted)
        #expect(throws: Trap.self) { try other.instance("t")?.function("t")?.call([]) }
    }

    @Test func aServiceIsNeverReentered() throws {
        final class Box { var system: ProgramSystem? }
        let box = Box()
        let linker = Linker()
        linker.defineFunction(store: store, module: "env", name: "again", type: FunctionType(parameters: [], results: [.i32])) {
            _, _ throws(Trap) in
            // Back into the program, which calls the service that is running this host call.
            let results = try box.system?.instance("p")?.function("go")?.call([]) ?? []
            return [results.first ?? .i32(99)]
        }
        var image = ProgramImage()
        image.add(name: "s", bytes: try Self.module(#"""
            (module (import "env" "again" (func $again (result i32)))
              (func (export "reenter") (result i32) call $again))
            """#, interface: "kind service"))
        image.add(name: "p", bytes: try Self.module(#"""
            (module (import "s@0" "reenter" (func $r (result i32 i32)))
              (func (export "go") (result i32 i32) call $r))
            """#))
        let system = try ProgramSystem(store: store, image: image, manifest: .unrestricted, host: linker)
        box.system = system
        let results = try #require(system.instance("p")?.function("go")).call([])
        #expect(results == [.i32(0), .i32(CrossCallStatus.serviceBusy)])
        #expect(system.serviceFailure("s")?.failed == false)
        box.system = nil
    }

    @Test func librariesAreInstantiatedPerImporter() throws {
        var image = ProgramImage()
        image.add(name: "counter", bytes: try Self.module(#"""
            (module (global $n (mut i32) (i32.const 0))
              (func (export "next") (result i32) global.get $n i32.const 1 i32.add global.set $n global.get $n))
            """#, interface: "kind library\nversion 2.1"))
        let user = #"(module (import "counter@2" "next" (func $next (result i32))) (func (export "go") (result i32) call $next))"#
        image.add(name: "a", bytes: try Self.module(user))
        image.add(name: "b", bytes: try Self.module(user))
        let system = try ProgramSystem(store: store, image: image, manifest: .unrestricted)
        let a = try #require(system.instance("a")?.function("go"))
        let b = try #require(system.instance("b")?.function("go"))
        #expect(try a.call([]) == [.i32(1)])
        #expect(try a.call([]) == [.i32(2)])
        #expect(try b.call([]) == [.i32(1)])
    }

    @Test func hostImportsAreCapabilitiesToo() throws {
        let linker = Linker()
        linker.defineFunction(store: store, module: "env", name: "seven", type: FunctionType(parameters: [], results: [.i32])) {
            _, _ throws(Trap) in [.i32(7)]
        }
        var image = ProgramImage()
        image.add(name: "p", bytes: try Self.module(#"(module (import "env" "seven" (func $s (result i32))) (func (export "go") (result i32) call $s))"#))
        var denied = CapabilityManifest()
        denied.allow("p", ["other"])
        #expect(throws: ProgramError.capabilityDenied(program: "p", module: "env", name: "seven")) {
            try ProgramSystem(store: store, image: image, manifest: denied, host: linker)
        }
        var allowed = CapabilityManifest()
        allowed.allow("p", ["env.seven"])
        let system = try ProgramSystem(store: store, image: image, manifest: allowed, host: linker)
        #expect(try system.instance("p")?.function("go")?.call([]) == [.i32(7)])
    }

    // MARK: Programs linked later, services in stores of their own (the kernel's way)

    /// Services only, each in its own store; programs come later through `link`.
    func serviceSystem() throws -> ProgramSystem {
        var image = ProgramImage()
        image.add(name: "log", bytes: try Self.module(Self.logService, interface: "kind service\nversion 1.0.0\n"))
        image.add(name: "kv", bytes: try Self.module(Self.kvService, interface: Self.kvInterface))
        return try ProgramSystem(store: store, image: image, manifest: Self.standardManifest, programs: false,
                                 separateServiceStores: true)
    }

    func call(_ linked: ProgramSystem.LinkedProgram, _ name: String, _ arguments: [Value] = []) throws -> [UInt32] {
        try #require(linked.instance.function(name)).call(arguments).map { value in
            if case .i32(let bits) = value { return bits }
            return UInt32.max
        }
    }

    @Test func programsLinkedInTheirOwnEngineShareOneServiceInstance() throws {
        let system = try serviceSystem()
        #expect(system.instance("app") == nil)
        let bytes = try Self.module(Self.app)
        // Two programs, each with its own engine and store (as the kernel runs them).
        let first = try system.link(program: "app", bytes: bytes, store: Store(engine: Engine(platform: HostedPlatform.shared)),
                                    host: Linker())
        let second = try system.link(program: "app", bytes: bytes, store: Store(engine: Engine(platform: HostedPlatform.shared)),
                                     host: Linker())
        #expect(try call(first, "add", [.i32(2), .i32(3)]) == [0, 5])
        #expect(try call(second, "add", [.i32(4), .i32(5)]) == [0, 9])
        #expect(calls(system) == .i32(2))  // one kv instance served both
        // Buffers, nested calls into another service's store, and a stack overflow in the service.
        let memory = try #require(first.instance.memory("memory"))
        #expect(memory.write(offset: 100, bytes: [1, 2, 3]))
        #expect(try call(first, "sum", [.i32(100), .i32(3)]) == [0, 6])
        #expect(try call(second, "sum", [.i32(65530), .i32(100)]) == [CrossCallStatus.bufferOutOfBounds, 0])
        #expect(try call(first, "viaLog", [.i32(21)]) == [0, 0, 42])
        #expect(try call(second, "deep") == [CrossCallStatus.trapped | TrapKind.callStackExhausted.rawValue, 0])
        #expect(try call(first, "add", [.i32(1), .i32(1)]) == [CrossCallStatus.serviceFailed, 0])
        #expect(system.serviceFailure("kv")?.trap == .callStackExhausted)
    }

    @Test func restartRepointsLinkedProgramsAndForgetsReleasedOnes() throws {
        let system = try serviceSystem()
        let bytes = try Self.module(Self.app)
        let first = try system.link(program: "app", bytes: bytes, store: Store(engine: Engine(platform: HostedPlatform.shared)),
                                    host: Linker())
        var second: ProgramSystem.LinkedProgram? = try system.link(
            program: "app", bytes: bytes, store: Store(engine: Engine(platform: HostedPlatform.shared)), host: Linker())
        #expect(try call(first, "add", [.i32(1), .i32(2)]) == [0, 3])
        #expect(try call(first, "crash").first == CrossCallStatus.trapped | TrapKind.unreachable.rawValue)
        #expect(try call(try #require(second), "add", [.i32(1), .i32(1)]) == [CrossCallStatus.serviceFailed, 0])
        // A released program's contexts are gone: the restart must not touch them.
        second = nil
        try system.restart("kv")
        #expect(system.serviceFailure("kv")?.failed == false)
        // The program linked before the trap reaches the fresh instance (its count starts over).
        #expect(try call(first, "add", [.i32(2), .i32(2)]) == [0, 4])
        #expect(calls(system) == .i32(1))
        // And one linked after the restart reaches the same instance.
        let third = try system.link(program: "app", bytes: bytes, store: Store(engine: Engine(platform: HostedPlatform.shared)),
                                    host: Linker())
        #expect(try call(third, "add", [.i32(3), .i32(3)]) == [0, 6])
        #expect(calls(system) == .i32(2))
        #expect(system.serviceNames == ["log", "kv"])
        #expect(system.serviceState("kv") != nil && system.serviceState("app") == nil)
    }

    @Test func linkChecksTheProgramLikeResolve() throws {
        let system = try serviceSystem()
        let store = Store(engine: Engine(platform: HostedPlatform.shared))
        #expect(throws: ProgramError.capabilityDenied(program: "stranger", module: "kv", name: "add")) {
            try system.link(program: "stranger", bytes: try Self.module(Self.app), store: store, host: Linker())
        }
        let wrongVersion = #"(module (import "kv@2" "add" (func (param i32 i32) (result i32 i32))))"#
        #expect(throws: ProgramError.self) {
            try system.link(program: "app", bytes: try Self.module(wrongVersion), store: store, host: Linker())
        }
        #expect(throws: ProgramError.self) {
            try system.link(program: "kv2", bytes: try Self.module(Self.kvService, interface: Self.kvInterface), store: store,
                            host: Linker())
        }
    }

    /// A client the way C and Swift can write one: results through a pointer, status returned.
    static let pointerClient = """
        (module
          (import "kv@1" "add" (func $add (param i32 i32 i32) (result i32)))
          (import "kv@1" "sum" (func $sum (param i32 i32 i32) (result i32)))
          (import "kv@1" "crash" (func $crash (param i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "add") (param i32 i32 i32) (result i32) local.get 0 local.get 1 local.get 2 call $add)
          (func (export "sum") (param i32 i32 i32) (result i32) local.get 0 local.get 1 local.get 2 call $sum)
          (func (export "crash") (param i32) (result i32) local.get 0 call $crash))
        """

    @Test func resultsThroughAPointer() throws {
        var image = ProgramImage()
        image.add(name: "log", bytes: try Self.module(Self.logService, interface: "kind service\nversion 1.0.0\n"))
        image.add(name: "kv", bytes: try Self.module(Self.kvService, interface: Self.kvInterface))
        image.add(name: "app", bytes: try Self.module(Self.pointerClient))
        let system = try ProgramSystem(store: store, image: image, manifest: Self.standardManifest)
        let app = try #require(system.instance("app"))
        let memory = try #require(app.memory("memory"))
        func call(_ name: String, _ arguments: [UInt32]) throws -> UInt32 {
            let results = try #require(app.function(name)).call(arguments.map { .i32($0) })
            guard case .i32(let status)? = results.first else { return UInt32.max }
            return status
        }
        func slot(_ offset: UInt64) -> UInt64 {
            let bytes = memory.read(offset: offset, count: 8) ?? []
            return bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        #expect(try call("add", [20, 22, 512]) == 0)
        #expect(slot(512) == 42)
        #expect(memory.write(offset: 100, bytes: [1, 2, 3, 4]))
        #expect(try call("sum", [100, 4, 520]) == 0)
        #expect(slot(520) == 10)
        // A results pointer outside the memory: refused before the service runs, nothing stored.
        #expect(try call("add", [1, 1, 65530]) == CrossCallStatus.bufferOutOfBounds)
        #expect(try call("add", [1, 1, 0xFFFF_FFFC]) == CrossCallStatus.bufferOutOfBounds)
        #expect(calls(system) == .i32(2))
        // A trap: the status says so and nothing is stored.
        #expect(memory.write(offset: 600, bytes: [7, 7, 7, 7, 7, 7, 7, 7]))
        #expect(try call("crash", [600]) == CrossCallStatus.trapped | TrapKind.unreachable.rawValue)
        #expect(slot(600) == 0x0707_0707_0707_0707)
    }

    @Test func manifestText() throws {
        let text = "# capabilities\n*: wasi_snapshot_preview1 apus\nclient: kv.add  log # comment\n\n"
        let manifest = try CapabilityManifest.parse(Array(text.utf8)).get()
        #expect(manifest.permits("anyone", module: "apus", function: "spawn"))
        #expect(manifest.permits("client", module: "kv", function: "add"))
        #expect(!manifest.permits("client", module: "kv", function: "sum"))
        #expect(manifest.permits("client", module: "log", function: "double"))
        #expect(!manifest.permits("other", module: "kv", function: "add"))
        #expect(Set(manifest.namedModules) == ["wasi_snapshot_preview1", "apus", "kv", "log"])
        #expect(CapabilityManifest.parse(Array("client kv\n".utf8)).failureValue == ManifestError(line: 1, message: "expected PROGRAM: ENTRY…"))
        #expect(CapabilityManifest.parse(Array("ok: a\na b: c\n".utf8)).failureValue?.line == 2)
    }

    @Test func manifestMemorySettings() throws {
        let text = "*: apus memory=64M\nbig: wasi_snapshot_preview1 memory=1G\nsmall: memory=65536\n"
        let manifest = try CapabilityManifest.parse(Array(text.utf8)).get()
        #expect(manifest.memoryLimit(for: "big") == 1 << 30)
        #expect(manifest.memoryLimit(for: "small") == 65536)
        #expect(manifest.memoryLimit(for: "other") == 64 << 20)
        #expect(manifest.permits("big", module: "wasi_snapshot_preview1", function: "fd_write"))
        #expect(!manifest.namedModules.contains { $0.hasPrefix("memory") })
        #expect(CapabilityManifest().memoryLimit(for: "x") == nil)
        for bad in ["x: memory=5T\n", "x: memory=\n", "x: memory=8G\n", "x: memory=1.5G\n"] {
            #expect(CapabilityManifest.parse(Array(bad.utf8)).failureValue?.line == 1)
        }
    }
}

extension ProgramSystemTests {
    @Test func manifestDeviceGrants() throws {
        let text = "*: apus\nvirtio-blk: apus device=virtio-blk memory=16M\nnet: device=virtio-net device=virtio-blk\n"
        let manifest = try CapabilityManifest.parse(Array(text.utf8)).get()
        #expect(manifest.permitsDevice("virtio-blk", device: "virtio-blk"))
        #expect(!manifest.permitsDevice("virtio-blk", device: "virtio-net"))
        #expect(manifest.permitsDevice("net", device: "virtio-net") && manifest.permitsDevice("net", device: "virtio-blk"))
        #expect(!manifest.permitsDevice("other", device: "virtio-blk"))
        #expect(!CapabilityManifest.unrestricted.permitsDevice("x", device: "virtio-blk"))
        #expect(manifest.memoryLimit(for: "virtio-blk") == 16 << 20)
        #expect(manifest.permits("virtio-blk", module: "apus", function: "device_open"))
        #expect(!manifest.namedModules.contains { $0.hasPrefix("device") })
        for bad in ["*: device=virtio-blk\n", "x: device=\n", "x: device=a/b\n", "x: device=" + String(repeating: "d", count: 33) + "\n"] {
            #expect(CapabilityManifest.parse(Array(bad.utf8)).failureValue?.line == 1)
        }
    }

    @Test func manifestRestartSetting() throws {
        let text = "*: apus\nkv: restart\nvirtio-blk: device=virtio-blk restart restart\nclient: kv\n"
        let manifest = try CapabilityManifest.parse(Array(text.utf8)).get()
        #expect(manifest.restartsAfterTrap("kv") && manifest.restartsAfterTrap("virtio-blk"))
        #expect(!manifest.restartsAfterTrap("client") && !manifest.restartsAfterTrap("*"))
        #expect(!CapabilityManifest.unrestricted.restartsAfterTrap("kv"))
        // A setting, not an import: nothing named "restart" becomes a module to load.
        #expect(!manifest.namedModules.contains("restart"))
        #expect(!manifest.permits("kv", module: "restart", function: "x"))
        #expect(CapabilityManifest.parse(Array("*: restart\n".utf8)).failureValue?.line == 1)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

