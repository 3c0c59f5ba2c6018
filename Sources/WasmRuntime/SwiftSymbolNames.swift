/// Readable names for functions compiled from Swift, for backtraces: the name section of a
/// Swift program holds mangled names such as `$e5crash4MainV4mainyyFZ` (Embedded Swift), which
/// read `crash.Main.main()`. Only the common plain form is handled — the mangling prefix,
/// length-prefixed identifiers (each maybe followed by a nominal kind: struct, class, enum,
/// protocol), then the entity's type and kind; a function gets `()`. Anything else (generic
/// substitutions, operators, word references) keeps its mangled name, as does every name that
/// is not a Swift symbol.
public enum SwiftSymbolNames {
    public static func readable(_ name: String) -> String {
        let bytes = Array(name.utf8)
        var index = 0
        for prefix in ["_$s", "$s", "$e", "$S"] where bytes.starts(with: Array(prefix.utf8)) {
            index = prefix.utf8.count
            break
        }
        guard index > 0 else { return name }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        var parts: [String] = []
        while index < bytes.count, isDigit(bytes[index]) {
            // A leading 0 is a word substitution: not the plain form.
            guard bytes[index] != 0x30 else { return name }
            var length = 0
            while index < bytes.count, isDigit(bytes[index]) {
                length = length * 10 + Int(bytes[index] - 0x30)
                guard length <= 1024 else { return name }
                index += 1
            }
            guard length > 0, index + length <= bytes.count else { return name }
            let identifier = bytes[index..<(index + length)]
            let plain = identifier.allSatisfy { $0 == 0x5F || isDigit($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
            guard plain else { return name }
            parts.append(String(decoding: identifier, as: UTF8.self))
            index += length
            // A nominal type's kind: V struct, C class, O enum, P protocol.
            if index < bytes.count, [0x56, 0x43, 0x4F, 0x50].contains(bytes[index]) { index += 1 }
        }
        guard parts.count >= 2 else { return name }
        let rest = bytes[index...]
        return parts.joined(separator: ".") + (rest.contains(0x46) ? "()" : "")  // "F": a function
    }
}

extension BacktraceFrame {
    /// The function's name as people read it (Swift names demangled), if it has one.
    public var readableName: String? { functionName.map(SwiftSymbolNames.readable) }
}
