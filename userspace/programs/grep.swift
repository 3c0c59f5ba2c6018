// grep [-i] [-v] [-n] [-c] [-q] PATTERN [FILE…] — prints the lines that match PATTERN: literal
// characters, `.` (any), `*` (the previous item repeated), `^` and `$` (start, end of line),
// `\` before a character to take it literally. Status 0 if a line matched, 1 if none, 2 on error.
@main struct Main {
    static func main() {
        var options = Options()
        var operands: [String] = []
        for argument in commandLineArguments().dropFirst() {
            let bytes = Array(argument.utf8)
            if operands.isEmpty, bytes.count > 1, bytes[0] == UInt8(ascii: "-") {
                for flag in bytes.dropFirst() {
                    switch flag {
                    case UInt8(ascii: "i"): options.ignoreCase = true
                    case UInt8(ascii: "v"): options.invert = true
                    case UInt8(ascii: "n"): options.numbers = true
                    case UInt8(ascii: "c"): options.countOnly = true
                    case UInt8(ascii: "q"): options.quiet = true
                    default:
                        printError("grep: unknown option -" + String(decoding: [flag], as: UTF8.self))
                        exit(2)
                    }
                }
            } else {
                operands.append(argument)
            }
        }
        guard let patternText = operands.first else {
            printError("usage: grep [-i] [-v] [-n] [-c] [-q] PATTERN [FILE…]")
            exit(2)
        }
        let pattern = Pattern(patternText, ignoreCase: options.ignoreCase)
        let files = Array(operands.dropFirst())
        var matched = false
        var failed = false
        for file in files.isEmpty ? ["-"] : files {
            let contents: Result<[UInt8], Errno> = file == "-" ? readAll(fd: 0) : readFile(file)
            switch contents {
            case .failure(let error):
                printError("grep: " + file + ": " + error.message)
                failed = true
            case .success(let bytes):
                let prefix = files.count > 1 ? file + ":" : ""
                if search(bytes, pattern, options, prefix: prefix) { matched = true }
            }
            if matched && options.quiet { exit(0) }
        }
        exit(failed ? 2 : matched ? 0 : 1)
    }

    /// Prints the selected lines of `bytes` (or their count); whether any was selected.
    static func search(_ bytes: [UInt8], _ pattern: Pattern, _ options: Options, prefix: String) -> Bool {
        var count = 0
        var output: [UInt8] = []
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        if bytes.last == 10 { lines.removeLast() }
        for (index, line) in lines.enumerated() where pattern.matches(Array(line)) != options.invert {
            count += 1
            if options.countOnly || options.quiet { continue }
            output.append(contentsOf: prefix.utf8)
            if options.numbers { output.append(contentsOf: (String(index + 1) + ":").utf8) }
            output.append(contentsOf: line)
            output.append(10)
        }
        if options.countOnly && !options.quiet { output.append(contentsOf: (prefix + String(count) + "\n").utf8) }
        writeBytes(output)
        return count > 0
    }
}

struct Options {
    var ignoreCase = false, invert = false, numbers = false, countOnly = false, quiet = false
}

/// A compiled pattern: items, each a byte (or any byte) that may repeat.
struct Pattern {
    struct Item {
        var byte: UInt8
        var any: Bool
        var repeats: Bool
    }
    var items: [Item] = []
    var anchoredStart = false
    var anchoredEnd = false
    let ignoreCase: Bool

    init(_ text: String, ignoreCase: Bool) {
        self.ignoreCase = ignoreCase
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "^") { anchoredStart = true; bytes = bytes.dropFirst() }
        if bytes.last == UInt8(ascii: "$"), !(bytes.count >= 2 && bytes[bytes.endIndex - 2] == UInt8(ascii: "\\")) {
            anchoredEnd = true
            bytes = bytes.dropLast()
        }
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var byte = bytes[index]
            var any = byte == UInt8(ascii: ".")
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.endIndex {
                index += 1
                byte = bytes[index]
                any = false
            } else if byte == UInt8(ascii: "*"), let last = items.indices.last, !items[last].repeats {
                items[last].repeats = true
                index += 1
                continue
            }
            items.append(Item(byte: Pattern.folded(byte, ignoreCase), any: any, repeats: false))
            index += 1
        }
    }

    static func folded(_ byte: UInt8, _ ignoreCase: Bool) -> UInt8 {
        ignoreCase && byte >= 65 && byte <= 90 ? byte + 32 : byte
    }

    func matches(_ line: [UInt8]) -> Bool {
        let text = ignoreCase ? line.map { Pattern.folded($0, true) } : line
        if anchoredStart { return matchHere(text, 0, 0) }
        for start in 0...text.count where matchHere(text, start, 0) { return true }
        return false
    }

    /// Whether items[item...] match text from `position` (backtracking over repeats).
    func matchHere(_ text: [UInt8], _ position: Int, _ item: Int) -> Bool {
        guard item < items.count else { return !anchoredEnd || position == text.count }
        let current = items[item]
        func fits(_ at: Int) -> Bool { at < text.count && (current.any || text[at] == current.byte) }
        if current.repeats {
            var end = position
            while fits(end) { end += 1 }
            while end >= position {
                if matchHere(text, end, item + 1) { return true }
                end -= 1
            }
            return false
        }
        return fits(position) && matchHere(text, position + 1, item + 1)
    }
}
