import WasmCompiler
import WasmFrontEnd

/// What a module is in a program image.
public enum ProgramKind: Equatable, Sendable {
    /// An application: instantiated once, imports from others, exports to no one.
    case program
    /// Code without its own identity: instantiated afresh for every module that imports it;
    /// calls into it are plain wasm calls.
    case library
    /// One long-lived instance that many programs call through cross-program trampolines.
    case service

    public var name: String {
        switch self {
        case .program: return "program"
        case .library: return "library"
        case .service: return "service"
        }
    }
}

/// `major.minor.patch` (minor and patch default to 0).
public struct ProgramVersion: Equatable, Sendable {
    public var major: UInt32
    public var minor: UInt32
    public var patch: UInt32

    public init(major: UInt32, minor: UInt32 = 0, patch: UInt32 = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `1`, `1.2` or `1.2.3`; nil otherwise.
    public init?(_ text: String) {
        var parts: [UInt32] = []
        for field in splitBytes(Array(text.utf8), separator: UInt8(ascii: ".")) {
            guard let number = parseDecimal(field) else { return nil }
            parts.append(number)
        }
        guard !parts.isEmpty, parts.count <= 3 else { return nil }
        self.init(major: parts[0], minor: parts.count > 1 ? parts[1] : 0, patch: parts.count > 2 ? parts[2] : 0)
    }

    public var description: String { String(major) + "." + String(minor) + "." + String(patch) }

    /// Semantic-versioning compatibility: same major, and at least the required minor/patch.
    public func satisfies(_ requirement: ProgramVersion) -> Bool {
        guard major == requirement.major else { return false }
        if minor != requirement.minor { return minor > requirement.minor }
        return patch >= requirement.patch
    }
}

/// A dependency as a module names it: the import module `name@version` (e.g. `kv@1`,
/// `kv@1.2`). Import modules without `@` are host imports.
public struct DependencyName: Equatable, Sendable {
    public var name: String
    public var requirement: ProgramVersion
    /// The import module string as written.
    public var text: String

    /// Nil if `importModule` has no `@`, or what follows it is not a version.
    public init?(importModule: String) {
        let bytes = Array(importModule.utf8)
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0,
              let name = String(validating: bytes[..<at], as: UTF8.self),
              let versionText = String(validating: bytes[(at + 1)...], as: UTF8.self),
              let version = ProgramVersion(versionText)
        else { return nil }
        self.name = name
        requirement = version
        text = importModule
    }

    /// Whether the import module string looks like a dependency (contains `@`), even if the
    /// version is malformed.
    static func looksLikeDependency(_ importModule: String) -> Bool { importModule.utf8.contains(UInt8(ascii: "@")) }
}

/// One buffer parameter of a service export: parameters `pointer` and `pointer + 1`
/// (length) are an address range in the caller's memory.
public struct BufferParameter: Equatable, Sendable {
    public var pointer: Int
    public var direction: CrossCallBufferDirection

    public init(pointer: Int, direction: CrossCallBufferDirection) {
        self.pointer = pointer
        self.direction = direction
    }

    public var description: String {
        let word: String
        switch direction {
        case .input: word = "in"
        case .output: word = "out"
        case .inputOutput: word = "inout"
        }
        return String(pointer) + ":" + word
    }
}

/// A module's `apus.interface` custom section: UTF-8 text, one declaration per line, words
/// separated by spaces, `#` starts a comment.
///
/// ```
/// kind service              # program (the default), library or service
/// version 1.2.0             # default 0.0.0
/// buffer-area 4096 65536    # offset and capacity of the buffer area in memory 0 (services)
/// export put 0:in 2:in      # export put: params (0,1) and (2,3) are input buffers
/// export get 0:in 2:out     # out: copied back to the caller; inout: both ways
/// ```
public struct ProgramInterface: Equatable, Sendable {
    public static let sectionName = "apus.interface"

    public var kind: ProgramKind = .program
    public var version = ProgramVersion(major: 0)
    /// Offset and capacity of the area in memory 0 that receives buffers.
    public var bufferArea: (offset: UInt32, capacity: UInt32)?
    /// Buffer parameters per export name, in declaration order.
    public var buffers: [(export: String, parameters: [BufferParameter])] = []

    public init() {}

    public static func == (lhs: ProgramInterface, rhs: ProgramInterface) -> Bool {
        lhs.kind == rhs.kind && lhs.version == rhs.version
            && lhs.bufferArea?.offset == rhs.bufferArea?.offset && lhs.bufferArea?.capacity == rhs.bufferArea?.capacity
            && lhs.buffers.count == rhs.buffers.count
            && !zip(lhs.buffers, rhs.buffers).contains { $0.0.export != $0.1.export || $0.0.parameters != $0.1.parameters }
    }

    /// The custom section (id 0, name `apus.interface`) carrying `text`, in the binary format:
    /// append it to a module to declare what the module is (tools and tests; toolchains that
    /// cannot emit custom sections use kernel/tools/wasm-custom-section).
    public static func customSection(_ text: String) -> [UInt8] {
        func leb(_ value: Int) -> [UInt8] {
            var value = value
            var bytes: [UInt8] = []
            repeat {
                var byte = UInt8(value & 0x7F)
                value >>= 7
                if value != 0 { byte |= 0x80 }
                bytes.append(byte)
            } while value != 0
            return bytes
        }
        let name = Array(sectionName.utf8)
        let body = leb(name.count) + name + Array(text.utf8)
        return [0] + leb(body.count) + body
    }

    /// The buffer parameters of `export` (empty if none are declared).
    public func bufferParameters(of export: String) -> [BufferParameter] {
        buffers.first { ExactName($0.export) == ExactName(export) }?.parameters ?? []
    }

    /// The interface declared by `module`, or the default (a program) without the section.
    /// The error text says which line is wrong and why.
    public static func of(_ module: Module) -> Result<ProgramInterface, InterfaceError> {
        let sections = module.customSections.filter { $0.name == sectionName }
        guard let section = sections.first else { return .success(ProgramInterface()) }
        guard sections.count == 1 else { return .failure(InterfaceError(line: 0, message: "more than one section")) }
        guard section.range.lowerBound >= 0, section.range.upperBound <= module.bytes.count else {
            return .failure(InterfaceError(line: 0, message: "section out of range"))
        }
        return parse(Array(module.bytes[section.range]))
    }

    /// Parses the section payload.
    public static func parse(_ bytes: [UInt8]) -> Result<ProgramInterface, InterfaceError> {
        var interface = ProgramInterface()
        var seen: [String] = []
        for (index, rawLine) in splitBytes(bytes, separator: UInt8(ascii: "\n")).enumerated() {
            let lineNumber = index + 1
            func fail(_ message: String) -> Result<ProgramInterface, InterfaceError> {
                .failure(InterfaceError(line: lineNumber, message: message))
            }
            var line = rawLine
            if let hash = line.firstIndex(of: UInt8(ascii: "#")) { line = Array(line[..<hash]) }
            let words = splitBytes(line, separator: UInt8(ascii: " "))
                .map { $0.filter { $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") } }
                .filter { !$0.isEmpty }
            guard let first = words.first else { continue }
            guard let keyword = String(validating: first, as: UTF8.self) else { return fail("not UTF-8") }
            let arguments = words.dropFirst().map { String(validating: $0, as: UTF8.self) }
            guard !arguments.contains(where: { $0 == nil }) else { return fail("not UTF-8") }
            let values = arguments.compactMap { $0 }
            if keyword != "export" {
                guard !seen.contains(keyword) else { return fail("duplicate " + keyword) }
                seen.append(keyword)
            }
            switch keyword {
            case "kind":
                guard values.count == 1 else { return fail("kind takes one word") }
                switch values[0] {
                case "program": interface.kind = .program
                case "library": interface.kind = .library
                case "service": interface.kind = .service
                default: return fail("unknown kind " + values[0])
                }
            case "version":
                guard values.count == 1, let version = ProgramVersion(values[0]) else { return fail("bad version") }
                interface.version = version
            case "buffer-area":
                guard values.count == 2, let offset = parseDecimal(Array(values[0].utf8)),
                      let capacity = parseDecimal(Array(values[1].utf8))
                else { return fail("buffer-area takes an offset and a capacity") }
                guard UInt64(offset) + UInt64(capacity) <= UInt64(UInt32.max) else {
                    return fail("buffer area beyond 4 GiB")
                }
                interface.bufferArea = (offset, capacity)
            case "export":
                guard let name = values.first else { return fail("export needs a name") }
                guard !interface.buffers.contains(where: { ExactName($0.export) == ExactName(name) }) else {
                    return fail("duplicate export " + name)
                }
                var parameters: [BufferParameter] = []
                for word in values.dropFirst() {
                    let parts = splitBytes(Array(word.utf8), separator: UInt8(ascii: ":"))
                    guard parts.count == 2, let pointer = parseDecimal(parts[0]), pointer < 10_000 else {
                        return fail("buffer must be <parameter>:<in|out|inout>")
                    }
                    let direction: CrossCallBufferDirection
                    switch String(validating: parts[1], as: UTF8.self) {
                    case "in": direction = .input
                    case "out": direction = .output
                    case "inout": direction = .inputOutput
                    default: return fail("buffer direction must be in, out or inout")
                    }
                    let overlaps = parameters.contains {
                        Int(pointer) <= $0.pointer + 1 && $0.pointer <= Int(pointer) + 1
                    }
                    guard !overlaps else { return fail("buffers overlap") }
                    parameters.append(BufferParameter(pointer: Int(pointer), direction: direction))
                }
                interface.buffers.append((name, parameters))
            default:
                return fail("unknown declaration " + keyword)
            }
        }
        return .success(interface)
    }
}

/// Why an `apus.interface` section was refused (line 0: the section as a whole).
public struct InterfaceError: Error, Equatable, Sendable {
    public var line: Int
    public var message: String

    public var description: String {
        line == 0 ? message : "line " + String(line) + ": " + message
    }
}

/// Splits bytes at every `separator` (empty fields kept).
func splitBytes(_ bytes: [UInt8], separator: UInt8) -> [[UInt8]] {
    var fields: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in bytes {
        if byte == separator {
            fields.append(current)
            current = []
        } else {
            current.append(byte)
        }
    }
    fields.append(current)
    return fields
}

/// A decimal UInt32 without sign or spaces; nil if empty, not digits or too large.
func parseDecimal(_ digits: [UInt8]) -> UInt32? {
    guard !digits.isEmpty, digits.count <= 10 else { return nil }
    var value: UInt64 = 0
    for digit in digits {
        guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + UInt64(digit - UInt8(ascii: "0"))
    }
    return value <= UInt64(UInt32.max) ? UInt32(value) : nil
}
