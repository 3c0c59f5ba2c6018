// sh — the Apus shell: a prompt, line editing (backspace, up/down history, `!!`), commands
// separated by `;`, the builtins cd, pwd, exit, history, and programs run by name with the
// current directory in PWD. `$?` expands to the last status. With CONSOLE=raw in the
// environment (a raw serial console) it echoes what is typed; otherwise the terminal does.
// At end of input it exits with status 0.

struct Shell {
    var directory = currentDirectory()
    var status: Int32 = 0
    var history: [String] = []
    let echo = (environmentValue("CONSOLE") ?? "") == "raw"

    var prompt: String { "apus:" + directory + "$ " }

    /// Reads one line with editing; nil at end of input.
    mutating func readCommandLine() -> String? {
        var line: [UInt8] = []
        var historyIndex = history.count
        var sawInput = false
        while let byte = StandardInput.readByte() {
            sawInput = true
            switch byte {
            case 10, 13:  // newline
                if echo { writeBytes([13, 10]) }
                return String(decoding: line, as: UTF8.self)
            case 8, 127:  // backspace / delete: remove the last character (UTF-8 aware)
                while let last = line.popLast() {
                    if echo && last & 0xC0 != 0x80 { writeBytes([8, 32, 8]) }
                    if last & 0xC0 != 0x80 { break }
                }
            case 3:  // ^C: abandon the line
                if echo { writeBytes(Array("^C\r\n".utf8)) }
                return ""
            case 4:  // ^D on an empty line ends input
                if line.isEmpty { return nil }
            case 27:  // escape sequences: ESC [ A (up), ESC [ B (down); others ignored
                guard StandardInput.readByte() == UInt8(ascii: "["), let key = StandardInput.readByte() else { continue }
                var replacement: String?
                if key == UInt8(ascii: "A"), historyIndex > 0 {
                    historyIndex -= 1
                    replacement = history[historyIndex]
                } else if key == UInt8(ascii: "B"), historyIndex < history.count {
                    historyIndex += 1
                    replacement = historyIndex < history.count ? history[historyIndex] : ""
                }
                if let replacement {
                    line = Array(replacement.utf8)
                    if echo { print("\r\u{1B}[K" + prompt + replacement, terminator: "") }
                }
            default:
                if byte < 32 { continue }
                line.append(byte)
                if echo { writeBytes([byte]) }
            }
        }
        return sawInput && !line.isEmpty ? String(decoding: line, as: UTF8.self) : nil
    }

    /// Runs one input line: history expansion, then each `;`-separated command.
    mutating func run(line rawLine: String) -> Int32? {
        var line = rawLine
        if replacing(line, "!!", with: "") != line {  // history expansion
            guard let previous = history.last else {
                printError("sh: !!: event not found")
                status = 1
                return nil
            }
            line = replacing(line, "!!", with: previous)
            print(line)
        }
        if !line.fields().isEmpty && !(history.last ?? "" == line) { history.append(line) }
        for command in splitCommands(line) {
            let words = expand(words(command))
            guard let name = words.first else { continue }
            if let code = runCommand(name, words) { return code }
        }
        return nil
    }

    /// Runs a builtin or program; a code when the shell should exit.
    mutating func runCommand(_ name: String, _ words: [String]) -> Int32? {
        // An if chain, not `switch`: pattern matching on String uses the standard library's
        // Unicode comparison (and its tables).
        if name == "cd" {
            let target = absolutePath(words.count > 1 ? words[1] : "/")
            switch fileInfo(target) {
            case .success(let info) where info.kind == .directory:
                directory = target
                status = 0
            case .success:
                printError("sh: cd: " + target + ": " + Errno.notDirectory.message)
                status = 1
            case .failure(let error):
                printError("sh: cd: " + target + ": " + error.message)
                status = 1
            }
        } else if name == "pwd" {
            print(directory)
            status = 0
        } else if name == "exit" {
            return words.count > 1 ? Int32(truncatingIfNeeded: words[1].integerValue ?? 1) : 0
        } else if name == "history" {
            for (index, entry) in history.enumerated() { print(String(index + 1).padded(toWidth: 4) + "  " + entry) }
            status = 0
        } else {
            status = runProgram(name, words)
        }
        return nil
    }

    /// Starts `name` with PWD set to the current directory and waits for it.
    func runProgram(_ name: String, _ words: [String]) -> Int32 {
        var childEnvironment = environment().filter { !$0.hasPrefix("PWD=") }
        childEnvironment.append("PWD=" + directory)
        let pid: Int32
        switch Apus.spawn(name, arguments: words, environment: childEnvironment) {
        case .success(let started): pid = started
        case .failure(let error):
            if error == .noEntry {
                printError("sh: " + name + ": command not found")
                return 127
            }
            printError("sh: " + name + ": " + error.message)
            return 126
        }
        switch Apus.wait(pid) {
        case .success(let code):
            if code == 134 { printError("sh: " + name + ": terminated by a trap (status 134)") }
            if code == 137 { printError("sh: " + name + ": killed (status 137)") }
            return code
        case .failure(let error):
            printError("sh: wait: " + error.message)
            return 1
        }
    }

    /// `$?` and `$NAME` (environment, and PWD) in words.
    func expand(_ words: [String]) -> [String] {
        words.map { word in
            guard word.utf8.first == UInt8(ascii: "$") else { return word }
            let key = String(decoding: word.utf8.dropFirst(), as: UTF8.self)
            if key == "?" { return String(status) }
            if key == "PWD" { return directory }
            return environmentValue(key) ?? ""
        }
    }
}

/// `text` with every `pattern` replaced.
func replacing(_ text: String, _ pattern: String, with replacement: String) -> String {
    let bytes = Array(text.utf8), target = Array(pattern.utf8)
    var result: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if index + target.count <= bytes.count && Array(bytes[index..<(index + target.count)]) == target {
            result.append(contentsOf: replacement.utf8)
            index += target.count
        } else {
            result.append(bytes[index])
            index += 1
        }
    }
    return String(decoding: result, as: UTF8.self)
}

/// Splits at `;` outside quotes.
func splitCommands(_ line: String) -> [String] {
    var commands: [String] = []
    var current: [UInt8] = []
    var quote: UInt8 = 0
    for byte in line.utf8 {
        if quote != 0 {
            if byte == quote { quote = 0 }
        } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            quote = byte
        } else if byte == UInt8(ascii: ";") {
            commands.append(String(decoding: current, as: UTF8.self))
            current = []
            continue
        }
        current.append(byte)
    }
    commands.append(String(decoding: current, as: UTF8.self))
    return commands
}

/// Words separated by blanks; single or double quotes group (and are removed).
func words(_ command: String) -> [String] {
    var result: [String] = []
    var current: [UInt8] = []
    var inWord = false
    var quote: UInt8 = 0
    for byte in command.utf8 {
        if quote != 0 {
            if byte == quote { quote = 0 } else { current.append(byte) }
        } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            quote = byte
            inWord = true
        } else if byte == 32 || byte == 9 {
            if inWord { result.append(String(decoding: current, as: UTF8.self)) }
            current = []
            inWord = false
        } else {
            current.append(byte)
            inWord = true
        }
    }
    if inWord { result.append(String(decoding: current, as: UTF8.self)) }
    return result
}

@main struct Main {
    static func main() {
        StandardInput.unbuffered = true
        var shell = Shell()
        while true {
            print(shell.prompt, terminator: "")
            guard let line = shell.readCommandLine() else {
                print("")
                exit(0)
            }
            if let code = shell.run(line: line) { exit(code) }
        }
    }
}
