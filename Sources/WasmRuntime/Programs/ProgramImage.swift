import WasmFrontEnd

/// The named modules a system is built from (what a boot image or a directory holds).
public struct ProgramImage {
    public struct Entry {
        public var name: String
        public var bytes: [UInt8]
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Adds a module under `name` (a later entry of the same name is refused by `resolve`).
    public mutating func add(name: String, bytes: [UInt8]) {
        entries.append(Entry(name: name, bytes: bytes))
    }
}

/// What each program may import: its capabilities. A program absent from the manifest may
/// import nothing. Each allowed entry is either a module name (`kv`: every function of
/// dependency `kv`, whatever version; `env`: every host function of module `env`) or
/// `module.function` (`kv.get`). Libraries act for the module that imports them, so their
/// imports are checked against that module's entry.
public struct CapabilityManifest {
    private var allowed: [ExactName: [String]] = [:]
    /// `memory=SIZE` settings: the most linear memory a program may have, in bytes.
    private var memoryLimits: [ExactName: UInt64] = [:]
    /// `device=CLASS` grants: the devices (by class, e.g. `virtio-blk`) a program may open.
    private var deviceGrants: [ExactName: [String]] = [:]
    /// `restart` settings: programs and services the kernel starts again after a trap.
    private var restartable: [ExactName] = []
    /// True for `unrestricted`: every import is allowed.
    public private(set) var allowsEverything = false

    public init() {}

    /// A manifest that allows every import (for inspection tools and tests of other things).
    public static var unrestricted: CapabilityManifest {
        var manifest = CapabilityManifest()
        manifest.allowsEverything = true
        return manifest
    }

    /// Allows `program` to import `entries` (added to what it already may import).
    public mutating func allow(_ program: String, _ entries: [String]) {
        allowed[ExactName(program), default: []].append(contentsOf: entries)
    }

    /// Whether `program` may import `function` from the module or dependency named `module`
    /// (the dependency name without its version). Entries of program `*` apply to every program.
    public func permits(_ program: String, module: String, function: String) -> Bool {
        if allowsEverything { return true }
        let entries = (allowed[ExactName(program)] ?? []) + (allowed[ExactName("*")] ?? [])
        let exact = ExactName(module + "." + function)
        let whole = ExactName(module)
        return entries.contains { ExactName($0) == whole || ExactName($0) == exact }
    }

    /// The `memory=SIZE` setting for `program` (or else for `*`), in bytes; nil: none (the
    /// system's default applies).
    public func memoryLimit(for program: String) -> UInt64? {
        memoryLimits[ExactName(program)] ?? memoryLimits[ExactName("*")]
    }

    /// Sets the memory limit of `program` (`*`: every program without its own).
    public mutating func setMemoryLimit(_ program: String, bytes: UInt64) {
        memoryLimits[ExactName(program)] = bytes
    }

    /// Whether `program` may open a device of class `device` (its own `device=CLASS` entries
    /// only: `*` grants no device, and `unrestricted` none either — devices are never implied).
    public func permitsDevice(_ program: String, device: String) -> Bool {
        (deviceGrants[ExactName(program)] ?? []).contains { ExactName($0) == ExactName(device) }
    }

    /// Lets `program` open devices of class `device` (the kernel still hands each to one
    /// program at a time).
    public mutating func grantDevice(_ program: String, device: String) {
        deviceGrants[ExactName(program), default: []].append(device)
    }

    /// Whether `program` (a driver or other program, or a service) is restarted after a trap
    /// (its own `restart` setting; never implied by `*` or `unrestricted`).
    public func restartsAfterTrap(_ program: String) -> Bool {
        restartable.contains(ExactName(program))
    }

    /// Marks `program` as restarted after a trap.
    public mutating func setRestartsAfterTrap(_ program: String) {
        if !restartsAfterTrap(program) { restartable.append(ExactName(program)) }
    }

    /// `64K`, `512M`, `2G` or plain bytes; nil if malformed or above 4 GiB (wasm32's maximum).
    static func size(_ text: [UInt8]) -> UInt64? {
        var digits = text[...]
        var unit: UInt64 = 1
        switch digits.last {
        case UInt8(ascii: "K"), UInt8(ascii: "k"): unit = 1 << 10
        case UInt8(ascii: "M"), UInt8(ascii: "m"): unit = 1 << 20
        case UInt8(ascii: "G"), UInt8(ascii: "g"): unit = 1 << 30
        default: break
        }
        if unit != 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        let bytes = value * unit
        return bytes <= 1 << 32 ? bytes : nil
    }

    /// Letters, digits and `-_.`: the bytes of a device class name.
    static func isDeviceNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }

    /// The modules entries name (`kv` for `kv` and `kv.get`), in order of first mention: the
    /// dependencies some program may import, and host modules.
    public var namedModules: [String] {
        var names: [String] = []
        for entries in allowed.values {
            for entry in entries {
                let module = String(entry.split(separator: ".", maxSplits: 1).first ?? "")
                if !module.isEmpty, !names.contains(module) { names.append(module) }
            }
        }
        return names
    }

    /// A manifest in its text form (the kernel reads the boot image's `etc/capabilities`):
    /// one line per program, `PROGRAM: ENTRY ENTRY …` (entries as for `allow`; `*` as the
    /// program applies to all), `#` starts a comment, blank lines are ignored.
    ///
    /// ```
    /// *: wasi_snapshot_preview1 apus     # every program may use WASI and the process calls
    /// kv-client: kv                      # and kv-client every function of service kv
    /// big: memory=1G                      # a setting: big may grow its memory to 1 GiB
    /// virtio-blk: device=virtio-blk       # a grant: virtio-blk may open the block device
    /// kv: restart                         # a setting: the kernel restarts kv after a trap
    /// ```
    public static func parse(_ text: [UInt8]) -> Result<CapabilityManifest, ManifestError> {
        var manifest = CapabilityManifest()
        for (index, rawLine) in splitBytes(text, separator: UInt8(ascii: "\n")).enumerated() {
            var line = rawLine.filter { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }
            if let hash = line.firstIndex(of: UInt8(ascii: "#")) { line = Array(line[..<hash]) }
            guard line.contains(where: { $0 != UInt8(ascii: " ") }) else { continue }
            func fail(_ message: String) -> Result<CapabilityManifest, ManifestError> {
                .failure(ManifestError(line: index + 1, message: message))
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return fail("expected PROGRAM: ENTRY…") }
            let programWords = splitBytes(Array(line[..<colon]), separator: UInt8(ascii: " ")).filter { !$0.isEmpty }
            guard programWords.count == 1, let program = String(validating: programWords[0], as: UTF8.self) else {
                return fail("expected one program name before ':'")
            }
            var entries: [String] = []
            let memorySetting = Array("memory=".utf8)
            let deviceGrant = Array("device=".utf8)
            for word in splitBytes(Array(line[(colon + 1)...]), separator: UInt8(ascii: " ")) where !word.isEmpty {
                if word.starts(with: memorySetting) {
                    guard let bytes = size(Array(word[memorySetting.count...])) else {
                        return fail("memory=SIZE expects a size such as 64M or 1G (at most 4G)")
                    }
                    manifest.setMemoryLimit(program, bytes: bytes)
                    continue
                }
                if word.starts(with: deviceGrant) {
                    let device = Array(word[deviceGrant.count...])
                    guard program != "*" else { return fail("device= cannot be granted to every program (*)") }
                    guard !device.isEmpty, device.count <= 32, device.allSatisfy(isDeviceNameByte),
                          let name = String(validating: device, as: UTF8.self)
                    else { return fail("device=CLASS expects a device class such as virtio-blk") }
                    manifest.grantDevice(program, device: name)
                    continue
                }
                if word == Array("restart".utf8) {
                    guard program != "*" else { return fail("restart is a setting of one program, not of every program (*)") }
                    manifest.setRestartsAfterTrap(program)
                    continue
                }
                guard let entry = String(validating: word, as: UTF8.self) else { return fail("not UTF-8") }
                entries.append(entry)
            }
            manifest.allow(program, entries)
        }
        return .success(manifest)
    }
}

/// Why a capability manifest was refused: the line (1-based) and what is wrong with it.
public struct ManifestError: Error, Equatable, Sendable {
    public var line: Int
    public var message: String

    public var description: String { "line " + String(line) + ": " + message }
}

/// Why a program image was refused. Every case names the modules involved.
public enum ProgramError: Error, Equatable {
    /// Two image entries have the same name.
    case duplicateModule(String)
    /// A module does not decode or validate.
    case invalidModule(module: String, message: String)
    /// A module's `apus.interface` section is malformed or does not fit the module.
    case invalidInterface(module: String, message: String)
    /// `importer` depends on a module the image does not have.
    case missingModule(importer: String, dependency: String)
    /// `importer` depends on a module that is a program (only libraries and services export).
    case notImportable(importer: String, dependency: String)
    /// The image's version of `dependency` does not satisfy what `importer` asks for.
    case versionMismatch(importer: String, dependency: String, required: String, available: String)
    /// Importers ask for incompatible (different major) versions of the same module.
    case versionConflict(dependency: String, requirements: [String])
    /// Modules depend on each other in a cycle (names in order, the first repeated at the end).
    case cycle([String])
    /// `importer` imports `dependency.name`, which `dependency` does not export as a function.
    case missingExport(importer: String, dependency: String, name: String)
    /// The imported function's type does not match the export (for a service: the export's
    /// type with an i32 status result first).
    case signatureMismatch(importer: String, dependency: String, name: String, expected: String, actual: String)
    /// The manifest does not let `program` import `module.name`.
    case capabilityDenied(program: String, module: String, name: String)
    /// An import that cannot be satisfied: a host function the host does not define, or a
    /// non-function import from a program module.
    case unresolvedImport(importer: String, module: String, name: String)
    /// A name that is not a program/service of the system.
    case unknownProgram(String)
    /// Instantiation failed (memory exhausted, a start function trapped…).
    case instantiationFailed(module: String, message: String)

    public var description: String {
        switch self {
        case .duplicateModule(let name): return "module " + name + " appears twice in the image"
        case .invalidModule(let module, let message): return "module " + module + " is invalid: " + message
        case .invalidInterface(let module, let message):
            return "module " + module + " has an invalid apus.interface section: " + message
        case .missingModule(let importer, let dependency):
            return importer + " depends on " + dependency + ", which is not in the image"
        case .notImportable(let importer, let dependency):
            return importer + " imports from " + dependency + ", which is a program (not a library or service)"
        case .versionMismatch(let importer, let dependency, let required, let available):
            return importer + " requires " + dependency + "@" + required + " but the image has version " + available
        case .versionConflict(let dependency, let requirements):
            return "conflicting versions of " + dependency + " required: " + requirements.joined(separator: ", ")
        case .cycle(let names): return "dependency cycle: " + names.joined(separator: " -> ")
        case .missingExport(let importer, let dependency, let name):
            return importer + " imports " + dependency + "." + name + ", which " + dependency + " does not export as a function"
        case .signatureMismatch(let importer, let dependency, let name, let expected, let actual):
            return importer + " imports " + dependency + "." + name + " as " + actual + " but it must be " + expected
        case .capabilityDenied(let program, let module, let name):
            return program + " may not import " + module + "." + name + " (not in its manifest)"
        case .unresolvedImport(let importer, let module, let name):
            return importer + " imports " + module + "." + name + ", which nothing provides"
        case .unknownProgram(let name): return "no program or service named " + name
        case .instantiationFailed(let module, let message): return "cannot instantiate " + module + ": " + message
        }
    }
}

extension FunctionType {
    /// `(i32, i32) -> (i32)`.
    var signatureText: String {
        "(" + parameters.map { $0.name }.joined(separator: ", ") + ") -> (" + results.map { $0.name }.joined(separator: ", ") + ")"
    }
}
