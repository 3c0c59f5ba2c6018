/// The top-level forms of a `.wast` script: where each starts and its keyword. The text
/// parser reports locations whose line numbers cost a scan from the start of the script each;
/// one pass here gives every directive's line in linear time, and the keyword of a directive
/// the parser could not read (to tell a rejected `assert_malformed` module from a broken
/// `module`).
struct WastSourceMap {
    struct Form: Equatable {
        /// 1-based line of the opening parenthesis.
        var line: Int
        /// The first word after the parenthesis (`module`, `assert_return`, `func`, …).
        var keyword: String
    }

    private(set) var forms: [Form] = []

    /// Module fields written at the top level (without `(module …)`) form one inline module,
    /// which the parser returns as a single directive.
    static let moduleFieldKeywords: Set<String> = [
        "data", "elem", "tag", "export", "func", "type", "rec", "global", "import", "memory", "start", "table",
    ]

    init(_ source: String) {
        let bytes = Array(source.utf8)
        var index = 0
        var line = 1
        var depth = 0
        var previousWasField = false

        @inline(__always) func at(_ offset: Int) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                index += 1
            case UInt8(ascii: ";") where at(1) == UInt8(ascii: ";"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "(") where at(1) == UInt8(ascii: ";"):
                // Block comments nest.
                var nesting = 0
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "("), at(1) == UInt8(ascii: ";") {
                        nesting += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: ";"), at(1) == UInt8(ascii: ")") {
                        nesting -= 1
                        index += 2
                        if nesting == 0 { break }
                    } else {
                        if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                        index += 1
                    }
                }
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    else if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                    index += 1
                }
                index += 1
            case UInt8(ascii: "("):
                if depth == 0 {
                    var end = index + 1
                    while end < bytes.count, Self.isKeywordByte(bytes[end]) { end += 1 }
                    let keyword = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                    let isField = Self.moduleFieldKeywords.contains(keyword)
                    if !(isField && previousWasField) {
                        forms.append(Form(line: line, keyword: keyword))
                    }
                    previousWasField = isField
                }
                depth += 1
                index += 1
            case UInt8(ascii: ")"):
                depth = max(0, depth - 1)
                index += 1
            default:
                index += 1
            }
        }
    }

    private static func isKeywordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
