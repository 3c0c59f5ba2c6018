import Foundation

extension ModuleSummary {
    /// The human-readable report: one section per kind of item, empty sections left out.
    public func text(name: String, status: String) -> String {
        var lines: [String] = []
        lines.append(name + ": " + String(size) + " bytes, " + status)
        if let moduleName { lines.append("module name: " + moduleName) }
        lines += program.lines

        func section(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append(title + " (" + String(items.count) + "):")
            lines += items.map { "  " + $0 }
        }
        section("types", types.enumerated().map { String($0.offset) + ": " + $0.element })
        section("imports (capabilities requested)", imports.map(\.capability))
        section("exports", exports.map { "\"" + $0.name + "\" " + $0.kind + " " + String($0.index) })
        section("memories", memories.map(Self.entityLine))
        section("tables", tables.map(Self.entityLine))
        section("globals", globals.map(Self.entityLine))
        section("functions", functions.map { function in
            var line = String(function.index)
            if let name = function.name { line += " $" + name }
            line += ": type " + String(function.typeIndex) + " " + function.type
            if let origin = function.importedFrom { line += ", imported from " + origin }
            if let size = function.codeSize { line += ", " + String(size) + " bytes of code" }
            return line
        })
        section("custom sections", customSections.map { "\"" + $0.name + "\": " + String($0.size) + " bytes" })
        if let start { lines.append("start: func " + String(start)) }
        return lines.joined(separator: "\n")
    }

    private static func entityLine(_ entity: Entity) -> String {
        String(entity.index) + ": " + entity.description + (entity.isImported ? " (imported)" : "")
    }

    /// The report as a JSON-compatible object tree (for `JSONSerialization`).
    public func jsonObject(name: String, valid: Bool, error: String?) -> [String: Any] {
        var object: [String: Any] = [
            "file": name,
            "size": size,
            "valid": valid,
            "types": types,
            "imports": imports.map { ["module": $0.module, "name": $0.name, "kind": $0.kind, "type": $0.type] },
            "exports": exports.map { ["name": $0.name, "kind": $0.kind, "index": Int($0.index)] as [String: Any] },
            "memories": memories.map(Self.entityObject),
            "tables": tables.map(Self.entityObject),
            "globals": globals.map(Self.entityObject),
            "functions": functions.map { function -> [String: Any] in
                var entry: [String: Any] = [
                    "index": Int(function.index), "typeIndex": Int(function.typeIndex), "type": function.type,
                ]
                if let name = function.name { entry["name"] = name }
                if let origin = function.importedFrom { entry["importedFrom"] = origin }
                if let size = function.codeSize { entry["codeSize"] = size }
                return entry
            },
            "customSections": customSections.map { ["name": $0.name, "size": $0.size] as [String: Any] },
        ]
        if let start { object["start"] = Int(start) }
        object["program"] = program.jsonObject
        if let moduleName { object["moduleName"] = moduleName }
        if let error { object["error"] = error }
        return object
    }

    private static func entityObject(_ entity: Entity) -> [String: Any] {
        ["index": Int(entity.index), "type": entity.description, "imported": entity.isImported]
    }
}

/// Serialises a JSON object tree with stable (sorted) keys.
enum JSONText {
    static func string(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
