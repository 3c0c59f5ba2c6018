import HostedPlatform
import Testing
import WasmCompiler
@testable import WasmRuntime

@Suite struct HostedPlatformTests {
    let platform = HostedPlatform.shared

    @Test func reserveCommitDecommit() throws {
        let size = 4 * platform.pageSize
        let base = try #require(platform.reserve(byteCount: size))
        defer { platform.release(base, byteCount: size) }
        #expect(platform.commit(base, byteCount: 2 * platform.pageSize, protection: .readWrite))
        base.storeBytes(of: 0xAB, toByteOffset: platform.pageSize + 5, as: UInt8.self)
        #expect(base.load(fromByteOffset: platform.pageSize + 5, as: UInt8.self) == 0xAB)
        #expect(platform.decommit(base, byteCount: 2 * platform.pageSize))
        #expect(platform.commit(base, byteCount: 2 * platform.pageSize, protection: .readWrite))
        #expect(base.load(fromByteOffset: platform.pageSize + 5, as: UInt8.self) == 0)
    }

    @Test func codeMemoryIsExecutable() throws {
        // mov eax, 7; ret
        var image = CodeImage()
        image.code = [0xB8, 0x07, 0x00, 0x00, 0x00, 0xC3]
        let code = try #require(CodeMemory(platform: platform, image: image))
        let function = unsafeBitCast(code.address(0), to: (@convention(c) () -> UInt32).self)
        #expect(function() == 7)
    }

    @Test func stackBoundsContainTheStackPointer() {
        let bounds = platform.currentStackBounds()
        let sp = platform.currentStackPointer()
        #expect(bounds.low < sp && sp < bounds.high)
    }

    @Test func cpuFeaturesAreDetected() throws {
        let leaf0 = try #require(platform.cpuid(leaf: 0, subleaf: 0))
        #expect(leaf0.eax >= 1)
        let forced = Engine(platform: platform, configuration: {
            var configuration = Engine.Configuration()
            configuration.forceBaselineISA = true
            return configuration
        }())
        #expect(forced.cpuFeatures == .baseline)
        #expect(forced.compilerConfiguration.cpuFeatures == .baseline)
        // Every x86_64 CPU this runs on has at least POPCNT in practice; detection must agree
        // with the raw CPUID bit either way.
        let leaf1 = try #require(platform.cpuid(leaf: 1, subleaf: 0))
        #expect(Engine(platform: platform).cpuFeatures.hasPOPCNT == (leaf1.ecx & (1 << 23) != 0))
    }

    @Test func typeIDsAreCanonical() {
        let engine = Engine(platform: platform)
        let a = engine.typeID(of: .init(parameters: [.i32], results: []))
        let b = engine.typeID(of: .init(parameters: [.i64], results: []))
        #expect(a != b && a != 0 && b != 0)
        #expect(engine.typeID(of: .init(parameters: [.i32], results: [])) == a)
        #expect(engine.functionType(ofID: b) == .init(parameters: [.i64], results: []))
        #expect(engine.functionType(ofID: 0) == nil)
    }
}
