import WasmFrontEnd

/// The spec bundle: parsed spec scripts in a compact binary form, written by the host tool
/// (which has the text parser) and run where there is none — in the kernel (`run=spec`).
/// All integers little-endian:
///
///     bundle      "APUSSPEC", u32 version (1), u32 script count, scripts
///     script      str path, opt<str> file error, u32 step count, steps
///     step        u32 line, str kind, u8 tag, payload by tag:
///                   0 record      outcome, opt<str> expected message, opt<str> actual message
///                   1 unavailable opt<str> module name, str reason
///                   2 module      opt<str> name, bytes binary, u8 use (0 instantiate, 1 define,
///                                 2 validate only, 3 uninstantiable + str message,
///                                 4 unlinkable + str message)
///                   3 malformed   bytes binary, str message, u8 from text (0/1)
///                   4 invalid     bytes binary, str message
///                   5 command     u8 tag: 0 instantiate definition opt<str> instance, opt<str>
///                                 definition; 1 register str name, opt<str> module; 2 action;
///                                 3 assert_return action, u32 count, expectations;
///                                 4 assert_trap action, str message; 5 assert_exhaustion (same)
///     outcome     u8 0 passed | 1 failed + str reason | 2 skipped + str reason
///     action      u8 0 invoke opt<str> module, str function, u32 count, values
///                 | u8 1 get opt<str> module, str global
///     value       u8 tag: 0 i32 u32 | 1 i64 u64 | 2 f32 u32 bits | 3 f64 u64 bits
///                 | 4 v128 u64 low, u64 high | 5 ref.null u8 (0 func, 1 extern)
///                 | 6 ref.func u32 | 7 ref.extern u32
///     expectation u8 tag: 0 value | 1 canonical NaN u8 type (0 f32, 1 f64) | 2 arithmetic NaN
///                 u8 type | 3 float lanes u8 type, u32 count, lanes (u8 0 + u64 bits | u8 1 NaN)
///                 | 4 ref.null u8 (0 func, 1 extern, 2 any) | 5 ref.func opt<u32>
///                 | 6 ref.extern opt<u32> | 7 either u32 count, expectations
///     str, bytes  u32 length, bytes;  opt<T>  u8 0 | u8 1 + T
///
/// A bundle is input like any other: the reader checks every length against the bytes left
/// and never trusts a count.
public enum SpecBundle {
    public static let magic: [UInt8] = Array("APUSSPEC".utf8)
    public static let version: UInt32 = 1

    /// The bundle of `scripts`.
    public static func write(_ scripts: [SpecScript]) -> [UInt8] {
        var writer = SpecBundleWriter()
        writer.bytes += magic
        writer.u32(version)
        writer.u32(UInt32(truncatingIfNeeded: scripts.count))
        for script in scripts { writer.script(script) }
        return writer.bytes
    }
}

/// Why a bundle could not be read.
public struct SpecBundleError: Error, Equatable, Sendable {
    /// Byte offset where reading failed.
    public var offset: Int
    /// What was wrong (`bad magic`, `truncated`, `bad tag`, …).
    public var reason: StaticString

    public static func == (lhs: SpecBundleError, rhs: SpecBundleError) -> Bool {
        lhs.offset == rhs.offset && lhs.reason.utf8Start == rhs.reason.utf8Start
    }
}

// MARK: - Writing

struct SpecBundleWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
    mutating func u64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
    mutating func count(_ value: Int) { u32(UInt32(truncatingIfNeeded: value)) }
    mutating func data(_ value: [UInt8]) { count(value.count); bytes += value }
    mutating func string(_ value: String) { data(Array(value.utf8)) }
    mutating func optionalString(_ value: String?) {
        guard let value else { return u8(0) }
        u8(1)
        string(value)
    }
    mutating func optionalU32(_ value: UInt32?) {
        guard let value else { return u8(0) }
        u8(1)
        u32(value)
    }

    mutating func script(_ script: SpecScript) {
        string(script.path)
        optionalString(script.fileError)
        count(script.steps.count)
        for step in script.steps { self.step(step) }
    }

    mutating func step(_ step: SpecStep) {
        count(step.line)
        string(step.kind)
        switch step.body {
        case .record(let outcome, let expected, let actual):
            u8(0)
            self.outcome(outcome)
            optionalString(expected)
            optionalString(actual)
        case .moduleUnavailable(let name, let reason):
            u8(1)
            optionalString(name)
            string(reason)
        case .module(let name, let binary, let use):
            u8(2)
            optionalString(name)
            data(binary)
            switch use {
            case .instantiate: u8(0)
            case .define: u8(1)
            case .validateOnly: u8(2)
            case .uninstantiable(let message): u8(3); string(message)
            case .unlinkable(let message): u8(4); string(message)
            }
        case .malformed(let binary, let message, let fromText):
            u8(3)
            data(binary)
            string(message)
            u8(fromText ? 1 : 0)
        case .invalid(let binary, let message):
            u8(4)
            data(binary)
            string(message)
        case .command(let command):
            self.command(command, line: step.line, kind: step.kind)
        }
    }

    mutating func command(_ command: SpecCommand, line: Int, kind: String) {
        switch command {
        case .instantiateDefinition(let instance, let definition):
            u8(5); u8(0)
            optionalString(instance)
            optionalString(definition)
        case .register(let name, let module):
            u8(5); u8(1)
            string(name)
            optionalString(module)
        case .action(let action):
            u8(5); u8(2)
            self.action(action)
        case .assertReturn(let action, let expectations):
            u8(5); u8(3)
            self.action(action)
            count(expectations.count)
            for expectation in expectations { self.expectation(expectation) }
        case .assertTrap(let action, let message):
            u8(5); u8(4)
            self.action(action)
            string(message)
        case .assertExhaustion(let action, let message):
            u8(5); u8(5)
            self.action(action)
            string(message)
        case .instantiate, .define, .assertUninstantiable, .assertUnlinkable:
            // Modules travel as `.module` steps (they are decoded and validated where the
            // bundle runs); a command that carries one is recorded as a failure.
            u8(0)
            outcome(.failed(text("a module command cannot be bundled")))
            optionalString(nil)
            optionalString(nil)
        }
    }

    mutating func outcome(_ outcome: SpecOutcome) {
        switch outcome {
        case .passed: u8(0)
        case .failed(let why): u8(1); string(why)
        case .skipped(let why): u8(2); string(why)
        }
    }

    mutating func action(_ action: SpecAction) {
        switch action {
        case .invoke(let module, let function, let arguments):
            u8(0)
            optionalString(module)
            string(function)
            count(arguments.count)
            for argument in arguments { value(argument) }
        case .get(let module, let global):
            u8(1)
            optionalString(module)
            string(global)
        }
    }

    mutating func value(_ value: SpecValue) {
        switch value {
        case .i32(let bits): u8(0); u32(bits)
        case .i64(let bits): u8(1); u64(bits)
        case .f32(let bits): u8(2); u32(bits)
        case .f64(let bits): u8(3); u64(bits)
        case .v128(let vector): u8(4); u64(vector.low); u64(vector.high)
        case .nullReference(let type): u8(5); u8(type == .funcref ? 0 : 1)
        case .functionReference(let index): u8(6); u32(index)
        case .externReference(let number): u8(7); u32(number)
        }
    }

    mutating func floatType(_ type: ValueType) { u8(type == .f64 ? 1 : 0) }

    mutating func expectation(_ expectation: SpecExpectation) {
        switch expectation {
        case .value(let value): u8(0); self.value(value)
        case .canonicalNaN(let type): u8(1); floatType(type)
        case .arithmeticNaN(let type): u8(2); floatType(type)
        case .floatLanes(let type, let lanes):
            u8(3)
            floatType(type)
            count(lanes.count)
            for lane in lanes {
                switch lane {
                case .bits(let bits): u8(0); u64(bits)
                case .nan: u8(1)
                }
            }
        case .nullReference(let type):
            u8(4)
            u8(type.map { $0 == .funcref ? 0 : 1 } ?? 2)
        case .functionReference(let index): u8(5); optionalU32(index)
        case .externReference(let number): u8(6); optionalU32(number)
        case .either(let alternatives):
            u8(7)
            count(alternatives.count)
            for alternative in alternatives { self.expectation(alternative) }
        }
    }
}

// MARK: - Reading

/// Reads a bundle one script at a time (the kernel keeps only the current script's steps).
public struct SpecBundleReader {
    private var bytes: UnsafeRawBufferPointer
    private var offset = 0
    /// How many scripts the bundle declares.
    public private(set) var scriptCount = 0
    private var scriptsRead = 0

    /// Nesting limit of `either` expectations.
    static let maximumDepth = 8

    /// Reads the header; `bytes` must stay valid while the reader is used.
    public init(_ bytes: UnsafeRawBufferPointer) throws(SpecBundleError) {
        self.bytes = bytes
        for byte in SpecBundle.magic {
            guard try u8() == byte else { throw SpecBundleError(offset: 0, reason: "bad magic") }
        }
        guard try u32() == SpecBundle.version else { throw SpecBundleError(offset: 8, reason: "unsupported version") }
        scriptCount = Int(try u32())
    }

    /// The next script, or nil after the last.
    public mutating func nextScript() throws(SpecBundleError) -> SpecScript? {
        guard scriptsRead < scriptCount else { return nil }
        scriptsRead += 1
        var script = SpecScript(path: try string())
        script.fileError = try optionalString()
        let count = try self.count(minimumElementSize: 6)
        script.steps.reserveCapacity(count)
        for _ in 0..<count { script.steps.append(try step()) }
        return script
    }

    /// Every script of a bundle held in `bytes`.
    public static func scripts(in bytes: [UInt8]) throws(SpecBundleError) -> [SpecScript] {
        let result: Result<[SpecScript], SpecBundleError> = bytes.withUnsafeBytes { raw in
            do throws(SpecBundleError) {
                var reader = try SpecBundleReader(raw)
                var scripts: [SpecScript] = []
                while let script = try reader.nextScript() { scripts.append(script) }
                return .success(scripts)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Primitives

    private func fail(_ reason: StaticString) -> SpecBundleError {
        SpecBundleError(offset: offset, reason: reason)
    }

    private mutating func u8() throws(SpecBundleError) -> UInt8 {
        guard offset < bytes.count else { throw fail("truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func u32() throws(SpecBundleError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw fail("truncated") }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
        offset += 4
        return value
    }

    private mutating func u64() throws(SpecBundleError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw fail("truncated") }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        offset += 8
        return value
    }

    /// A count of elements that take at least `minimumElementSize` bytes each: never more
    /// than the bytes left can hold.
    private mutating func count(minimumElementSize: Int) throws(SpecBundleError) -> Int {
        let value = Int(try u32())
        guard value <= (bytes.count - offset) / max(1, minimumElementSize) else { throw fail("count exceeds the bundle") }
        return value
    }

    private mutating func data() throws(SpecBundleError) -> [UInt8] {
        let length = try count(minimumElementSize: 1)
        defer { offset += length }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
    }

    private mutating func string() throws(SpecBundleError) -> String {
        let length = try count(minimumElementSize: 1)
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
    }

    private mutating func flag() throws(SpecBundleError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw fail("bad flag")
        }
    }

    private mutating func optionalString() throws(SpecBundleError) -> String? {
        try flag() ? try string() : nil
    }

    private mutating func optionalU32() throws(SpecBundleError) -> UInt32? {
        try flag() ? try u32() : nil
    }

    // MARK: Structure

    private mutating func step() throws(SpecBundleError) -> SpecStep {
        let line = Int(try u32())
        let kind = try string()
        let body: SpecStep.Body
        switch try u8() {
        case 0:
            let outcome = try self.outcome()
            body = .record(outcome, expected: try optionalString(), actual: try optionalString())
        case 1:
            let name = try optionalString()
            body = .moduleUnavailable(name: name, reason: try string())
        case 2:
            let name = try optionalString()
            let binary = try data()
            let use: SpecStep.ModuleUse
            switch try u8() {
            case 0: use = .instantiate
            case 1: use = .define
            case 2: use = .validateOnly
            case 3: use = .uninstantiable(message: try string())
            case 4: use = .unlinkable(message: try string())
            default: throw fail("bad module use")
            }
            body = .module(name: name, binary: binary, use: use)
        case 3:
            let binary = try data()
            let message = try string()
            body = .malformed(binary: binary, message: message, fromText: try flag())
        case 4:
            let binary = try data()
            body = .invalid(binary: binary, message: try string())
        case 5:
            body = .command(try command())
        default:
            throw fail("bad step tag")
        }
        return SpecStep(line: line, kind: kind, body: body)
    }

    private mutating func command() throws(SpecBundleError) -> SpecCommand {
        switch try u8() {
        case 0:
            let instance = try optionalString()
            return .instantiateDefinition(instance: instance, definition: try optionalString())
        case 1:
            let name = try string()
            return .register(name: name, module: try optionalString())
        case 2:
            return .action(try action())
        case 3:
            let action = try self.action()
            let count = try self.count(minimumElementSize: 2)
            var expectations: [SpecExpectation] = []
            expectations.reserveCapacity(count)
            for _ in 0..<count { expectations.append(try expectation(depth: 0)) }
            return .assertReturn(action, expectations)
        case 4:
            let action = try self.action()
            return .assertTrap(action, message: try string())
        case 5:
            let action = try self.action()
            return .assertExhaustion(action, message: try string())
        default:
            throw fail("bad command tag")
        }
    }

    private mutating func outcome() throws(SpecBundleError) -> SpecOutcome {
        switch try u8() {
        case 0: return .passed
        case 1: return .failed(try string())
        case 2: return .skipped(try string())
        default: throw fail("bad outcome")
        }
    }

    private mutating func action() throws(SpecBundleError) -> SpecAction {
        switch try u8() {
        case 0:
            let module = try optionalString()
            let function = try string()
            let count = try self.count(minimumElementSize: 2)
            var arguments: [SpecValue] = []
            arguments.reserveCapacity(count)
            for _ in 0..<count { arguments.append(try value()) }
            return .invoke(module: module, function: function, arguments: arguments)
        case 1:
            let module = try optionalString()
            return .get(module: module, global: try string())
        default:
            throw fail("bad action tag")
        }
    }

    private mutating func referenceType() throws(SpecBundleError) -> ReferenceType {
        switch try u8() {
        case 0: return .funcref
        case 1: return .externref
        default: throw fail("bad reference type")
        }
    }

    private mutating func floatType() throws(SpecBundleError) -> ValueType {
        switch try u8() {
        case 0: return .f32
        case 1: return .f64
        default: throw fail("bad float type")
        }
    }

    private mutating func value() throws(SpecBundleError) -> SpecValue {
        switch try u8() {
        case 0: return .i32(try u32())
        case 1: return .i64(try u64())
        case 2: return .f32(bits: try u32())
        case 3: return .f64(bits: try u64())
        case 4:
            let low = try u64()
            return .v128(V128(low: low, high: try u64()))
        case 5: return .nullReference(try referenceType())
        case 6: return .functionReference(try u32())
        case 7: return .externReference(try u32())
        default: throw fail("bad value tag")
        }
    }

    private mutating func expectation(depth: Int) throws(SpecBundleError) -> SpecExpectation {
        switch try u8() {
        case 0: return .value(try value())
        case 1: return .canonicalNaN(try floatType())
        case 2: return .arithmeticNaN(try floatType())
        case 3:
            let type = try floatType()
            let count = try self.count(minimumElementSize: 1)
            var lanes: [SpecLaneExpectation] = []
            lanes.reserveCapacity(count)
            for _ in 0..<count {
                switch try u8() {
                case 0: lanes.append(.bits(try u64()))
                case 1: lanes.append(.nan)
                default: throw fail("bad lane tag")
                }
            }
            return .floatLanes(type, lanes)
        case 4:
            switch try u8() {
            case 0: return .nullReference(.funcref)
            case 1: return .nullReference(.externref)
            case 2: return .nullReference(nil)
            default: throw fail("bad reference type")
            }
        case 5: return .functionReference(try optionalU32())
        case 6: return .externReference(try optionalU32())
        case 7:
            guard depth < Self.maximumDepth else { throw fail("expectations nested too deeply") }
            let count = try self.count(minimumElementSize: 2)
            var alternatives: [SpecExpectation] = []
            alternatives.reserveCapacity(count)
            for _ in 0..<count { alternatives.append(try expectation(depth: depth + 1)) }
            return .either(alternatives)
        default:
            throw fail("bad expectation tag")
        }
    }
}
