import WasmFrontEnd
import WasmRuntime

/// What `apus inspect` says about a module as part of a program image: its kind and version
/// (from the `apus.interface` section), its buffer declarations, and its dependencies (import
/// modules named `name@version`) with the functions it takes from each.
public struct ProgramSummary: Equatable {
    public struct Dependency: Equatable {
        public var name: String
        public var requirement: String
        public var functions: [String]
    }

    public var kind: String
    public var version: String
    /// The interface section's error, if it is malformed.
    public var interfaceError: String?
    public var bufferArea: String?
    /// `export: 0:in 2:out`.
    public var buffers: [String]
    public var dependencies: [Dependency]
    /// Host imports (`module.name`), the other capabilities the module needs.
    public var hostImports: [String]

    public init(_ module: Module) {
        switch ProgramInterface.of(module) {
        case .success(let interface):
            kind = interface.kind.name
            version = interface.version.description
            interfaceError = nil
            bufferArea = interface.bufferArea.map { "offset " + String($0.offset) + ", " + String($0.capacity) + " bytes" }
            buffers = interface.buffers.map { entry in
                entry.export + ": " + entry.parameters.map(\.description).joined(separator: " ")
            }
        case .failure(let error):
            kind = "unknown"
            version = "unknown"
            interfaceError = error.description
            bufferArea = nil
            buffers = []
        }
        var dependencies: [Dependency] = []
        var hostImports: [String] = []
        for entry in module.imports {
            guard let dependency = DependencyName(importModule: entry.module) else {
                hostImports.append(entry.module + "." + entry.name)
                continue
            }
            if let index = dependencies.firstIndex(where: { $0.name == dependency.name
                && $0.requirement == dependency.requirement.description }) {
                dependencies[index].functions.append(entry.name)
            } else {
                dependencies.append(Dependency(name: dependency.name, requirement: dependency.requirement.description,
                                               functions: [entry.name]))
            }
        }
        self.dependencies = dependencies
        self.hostImports = hostImports
    }

    /// Lines for the text report.
    var lines: [String] {
        var lines = ["program: " + kind + " " + version]
        if let interfaceError { lines.append("  invalid apus.interface: " + interfaceError) }
        if let bufferArea { lines.append("  buffer area: " + bufferArea) }
        lines += buffers.map { "  buffers of " + $0 }
        if dependencies.isEmpty {
            lines.append("  dependencies: none")
        } else {
            lines.append("  dependencies (" + String(dependencies.count) + "):")
            lines += dependencies.map {
                "    " + $0.name + " >= " + $0.requirement + " (same major): " + $0.functions.joined(separator: ", ")
            }
        }
        if !hostImports.isEmpty { lines.append("  host imports: " + hostImports.joined(separator: ", ")) }
        return lines
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "kind": kind, "version": version, "buffers": buffers, "hostImports": hostImports,
            "dependencies": dependencies.map {
                ["name": $0.name, "requirement": $0.requirement, "functions": $0.functions] as [String: Any]
            },
        ]
        if let bufferArea { object["bufferArea"] = bufferArea }
        if let interfaceError { object["interfaceError"] = interfaceError }
        return object
    }
}
