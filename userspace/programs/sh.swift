// sh — the Apus shell: a prompt, line editing (backspace, up/down history, `!!`), and the
// command language below; `sh FILE [ARG…]` runs a script, `sh -c COMMANDS` one line.
//
//   a; b           a list                 a | b | c      a pipeline (a pipe between each pair)
//   a &            in the background      jobs, wait [%N|PID]
//   > F  >> F      stdout to F (append)   < F            stdin from F
//   2> F  2>> F    stderr to F            2>&1           stderr where stdout goes
//   'text'         literal                "text"         with $NAME, ${NAME}, $?, $!, $$, $0…$9, $#
//   NAME=VALUE     set (every variable is passed to the programs this shell starts)
//   # comment      to the end of the line
//
// Builtins: cd, pwd, exit, history, jobs, wait, export, unset. Other names are programs: a
// word with a `/` is a module file (relative to the current directory), a bare name is looked
// up as NAME.wasm in the directories of PATH (default /bin). Programs get PWD. With CONSOLE=raw
// in the environment (a raw serial console) the shell echoes what is typed. At end of input it
// exits with status 0 (a script: with the last status).

// MARK: The command language

/// A piece of a word: literal text, or a variable to expand when the command runs.
enum WordPart {
    case text([UInt8])
    case variable(String)
}

/// A word as written; `quoted` if any part was in quotes (so it stays even when empty).
struct Word {
    var parts: [WordPart] = []
    var quoted = false
}

/// Where a redirection sends a descriptor of the command.
struct Redirection {
    enum Target {
        case file(Word, append: Bool)
        /// `2>&1`: the same as the command's descriptor 1.
        case standardOutput
    }
    var fd: Int32
    var target: Target
}

struct SimpleCommand {
    var words: [Word] = []
    var redirections: [Redirection] = []
}

/// Commands joined by `|`, run together; `background` for a final `&`.
struct Pipeline {
    var commands: [SimpleCommand]
    var background = false
    var text: String
}

/// A line the shell cannot run, with the reason (`sh: syntax error: …`).
struct SyntaxError: Error {
    var message: String
}

/// Reads a command line into pipelines. Quotes and `$` are resolved into word parts here;
/// variables are expanded when each pipeline runs, so `false; echo $?` sees the new status.
struct Parser {
    let bytes: [UInt8]
    var index = 0

    init(_ line: String) { bytes = Array(line.utf8) }

    static func isBlank(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 }
    static func isOperator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ";") || byte == UInt8(ascii: "|") || byte == UInt8(ascii: "&")
            || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
    }
    static func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95 || (!first && byte >= 48 && byte <= 57)
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }
    func peek(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

    mutating func skipBlanks() {
        while let byte = current, Parser.isBlank(byte) { index += 1 }
    }

    mutating func parse() -> Result<[Pipeline], SyntaxError> {
        var pipelines: [Pipeline] = []
        var commands: [SimpleCommand] = []
        var command = SimpleCommand()
        var start = 0
        /// After a `|`, until the next command's first word or redirection.
        var pipeOpen = false
        let pipeError = SyntaxError(message: "a pipe needs a command after '|'")
        func text(to end: Int) -> String {
            var first = start
            while first < end, Parser.isBlank(bytes[first]) { first += 1 }
            let slice = bytes[first..<end]
            return String(decoding: slice, as: UTF8.self)
        }
        while true {
            skipBlanks()
            guard let byte = current, byte != UInt8(ascii: "#") else { break }
            if byte == UInt8(ascii: ";") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "|") {
                let symbol = String(decoding: [byte], as: UTF8.self)
                if pipeOpen { return .failure(pipeError) }
                guard !command.words.isEmpty || !command.redirections.isEmpty else {
                    if byte == UInt8(ascii: ";") && commands.isEmpty { index += 1; start = index; continue }
                    return .failure(SyntaxError(message: "unexpected '" + symbol + "'"))
                }
                commands.append(command)
                command = SimpleCommand()
                index += 1
                if byte == UInt8(ascii: "|") { pipeOpen = true; continue }
                var end = index - 1
                while end > start, Parser.isBlank(bytes[end - 1]) { end -= 1 }
                pipelines.append(Pipeline(commands: commands, background: byte == UInt8(ascii: "&"),
                                          text: text(to: end)))
                commands = []
                start = index
                continue
            }
            pipeOpen = false
            if let redirection = redirectionAhead() {
                switch redirection {
                case .failure(let error): return .failure(error)
                case .success(let parsed): command.redirections.append(parsed)
                }
                continue
            }
            switch word() {
            case .failure(let error): return .failure(error)
            case .success(let parsed): command.words.append(parsed)
            }
        }
        if pipeOpen { return .failure(pipeError) }
        if !command.words.isEmpty || !command.redirections.isEmpty { commands.append(command) }
        if !commands.isEmpty {
            var end = index
            while end > start, Parser.isBlank(bytes[end - 1]) { end -= 1 }
            pipelines.append(Pipeline(commands: commands, text: text(to: end)))
        }
        return .success(pipelines)
    }

    /// `>`, `>>`, `<`, `2>`, `2>>`, `2>&1` at the current position, with its file name.
    mutating func redirectionAhead() -> Result<Redirection, SyntaxError>? {
        var fd: Int32 = -1
        var length = 0
        if current == UInt8(ascii: "2"), peek(1) == UInt8(ascii: ">") {
            if peek(2) == UInt8(ascii: "&"), peek(3) == UInt8(ascii: "1") {
                index += 4
                return .success(Redirection(fd: 2, target: .standardOutput))
            }
            fd = 2
            length = 1
        } else if current == UInt8(ascii: ">") {
            fd = 1
        } else if current == UInt8(ascii: "<") {
            index += 1
            return fileName(for: 0, append: false, symbol: "<")
        } else {
            return nil
        }
        index += length + 1
        let append = current == UInt8(ascii: ">")
        if append { index += 1 }
        return fileName(for: fd, append: append, symbol: (fd == 2 ? "2" : "") + (append ? ">>" : ">"))
    }

    mutating func fileName(for fd: Int32, append: Bool, symbol: String) -> Result<Redirection, SyntaxError> {
        skipBlanks()
        guard let byte = current, !Parser.isOperator(byte), byte != UInt8(ascii: "#") else {
            return .failure(SyntaxError(message: "expected a file name after '" + symbol + "'"))
        }
        switch word() {
        case .failure(let error): return .failure(error)
        case .success(let name): return .success(Redirection(fd: fd, target: .file(name, append: append)))
        }
    }

    /// One word: up to a blank or operator outside quotes.
    mutating func word() -> Result<Word, SyntaxError> {
        var word = Word()
        var literal: [UInt8] = []
        func flush() {
            if !literal.isEmpty { word.parts.append(.text(literal)) }
            literal = []
        }
        while let byte = current, !Parser.isBlank(byte), !Parser.isOperator(byte) {
            if byte == UInt8(ascii: "'") {
                word.quoted = true
                index += 1
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "'")) else {
                    return .failure(SyntaxError(message: "unterminated quote (')"))
                }
                literal.append(contentsOf: bytes[index..<close])
                index = close + 1
            } else if byte == UInt8(ascii: "\"") {
                word.quoted = true
                index += 1
                var closed = false
                while let inner = current {
                    index += 1
                    if inner == UInt8(ascii: "\"") { closed = true; break }
                    if inner == UInt8(ascii: "\\"), let next = current,
                       next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") || next == UInt8(ascii: "$") {
                        literal.append(next)
                        index += 1
                    } else if inner == UInt8(ascii: "$"), let name = variableName() {
                        flush()
                        word.parts.append(.variable(name))
                    } else {
                        literal.append(inner)
                    }
                }
                guard closed else { return .failure(SyntaxError(message: "unterminated quote (\")")) }
            } else if byte == UInt8(ascii: "\\"), let next = peek(1) {
                literal.append(next)
                index += 2
            } else if byte == UInt8(ascii: "$") {
                index += 1
                if let name = variableName() {
                    flush()
                    word.parts.append(.variable(name))
                } else {
                    literal.append(byte)
                }
            } else {
                literal.append(byte)
                index += 1
            }
        }
        flush()
        return .success(word)
    }

    /// After a `$`: `?`, `!`, `$`, `#`, a digit, `NAME` or `{NAME}`; nil (nothing consumed) if none.
    mutating func variableName() -> String? {
        guard let byte = current else { return nil }
        if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "!") || byte == UInt8(ascii: "$") || byte == UInt8(ascii: "#")
            || (byte >= 48 && byte <= 57) {
            index += 1
            return String(decoding: [byte], as: UTF8.self)
        }
        if byte == UInt8(ascii: "{"), let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")), close > index + 1 {
            let name = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
            index = close + 1
            return name
        }
        guard Parser.isNameByte(byte, first: true) else { return nil }
        let start = index
        while let next = current, Parser.isNameByte(next, first: false) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}

// MARK: The shell

/// A background pipeline not yet waited for.
struct Job {
    var number: Int
    var pids: [Int32]
    var text: String
}

struct Shell {
    var directory = currentDirectory()
    var status: Int32 = 0
    var history: [String] = []
    /// The variables, `NAME=VALUE`: the environment this shell started with, changed by
    /// assignments, `export` and `unset`; programs get all of them.
    var variables = environment()
    /// `$0`, `$1`, …: the script and its arguments (`sh FILE ARG…`).
    var positional: [String] = ["sh"]
    var jobs: [Job] = []
    var lastBackgroundPid: Int32 = 0
    let echo = (environmentValue("CONSOLE") ?? "") == "raw"

    var prompt: String { "apus:" + directory + "$ " }

    /// `path` made absolute against the shell's current directory (the SDK's `absolutePath`
    /// uses the PWD this process started with, which `cd` does not change).
    func resolved(_ path: String) -> String {
        absolutePath(path.hasPrefix("/") ? path : directory + "/" + path)
    }

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

    /// Runs one typed line: history expansion, then `run(line:)`.
    mutating func runTyped(line rawLine: String) -> Int32? {
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
        return run(line: line)
    }

    /// Runs each pipeline of `line`; a code when the shell should exit.
    mutating func run(line: String) -> Int32? {
        var parser = Parser(line)
        switch parser.parse() {
        case .failure(let error):
            printError("sh: syntax error: " + error.message)
            status = 2
        case .success(let pipelines):
            for pipeline in pipelines {
                if let code = run(pipeline) { return code }
            }
        }
        return nil
    }

    // MARK: Variables

    func value(of name: String) -> String? {
        if name == "?" { return String(status) }
        if name == "!" { return lastBackgroundPid > 0 ? String(lastBackgroundPid) : "" }
        if name == "$" { return String(Apus.pid) }
        if name == "#" { return String(positional.count - 1) }
        if name == "PWD" { return directory }
        if let digit = name.unsignedValue, name.utf8.count == 1 {
            return Int(digit) < positional.count ? positional[Int(digit)] : ""
        }
        let prefix = name + "="
        for entry in variables where entry.hasPrefix(prefix) {
            return String(decoding: entry.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
        }
        return nil
    }

    mutating func setVariable(_ name: String, _ value: String) {
        variables.removeAll { $0.hasPrefix(name + "=") }
        variables.append(name + "=" + value)
    }

    /// The text of a word; nil for an unquoted word that expands to nothing (it is dropped).
    func expand(_ word: Word) -> String? {
        var bytes: [UInt8] = []
        for part in word.parts {
            switch part {
            case .text(let text): bytes.append(contentsOf: text)
            case .variable(let name): bytes.append(contentsOf: (value(of: name) ?? "").utf8)
            }
        }
        if bytes.isEmpty && !word.quoted { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `NAME=VALUE` (a valid name before `=`): the name and value.
    static func assignment(_ word: String) -> (String, String)? {
        let bytes = Array(word.utf8)
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")), equals > 0 else { return nil }
        for (index, byte) in bytes[..<equals].enumerated() where !Parser.isNameByte(byte, first: index == 0) {
            return nil
        }
        return (String(decoding: bytes[..<equals], as: UTF8.self), String(decoding: bytes[(equals + 1)...], as: UTF8.self))
    }

    // MARK: Pipelines

    /// Opens each command's redirections and pipes, starts the programs (builtins run here),
    /// waits unless in the background. A code when the shell should exit.
    mutating func run(_ pipeline: Pipeline) -> Int32? {
        var pids: [Int32] = []
        var names: [String] = []
        var toClose: [Int32] = []
        var previousReader: Int32?
        var failed = false
        var deferredBuiltins: [(name: String, words: [String], streams: [Int32])] = []
        for (position, command) in pipeline.commands.enumerated() {
            let words = command.words.compactMap { expand($0) }
            var streams: [Int32] = [previousReader ?? 0, 1, 2]
            previousReader = nil
            if position < pipeline.commands.count - 1 {
                switch Apus.pipe() {
                case .success(let ends):
                    streams[1] = ends.writer
                    previousReader = ends.reader
                    toClose.append(ends.writer)
                    toClose.append(ends.reader)
                case .failure(let error):
                    printError("sh: pipe: " + error.message)
                    failed = true
                }
            }
            if !failed, let error = redirect(command.redirections, &streams, &toClose) {
                printError(error)
                failed = true
            }
            if failed {
                status = 1
                break
            }
            guard let name = words.first else { continue }  // only redirections: files made, nothing run
            if words.count == 1, let (variable, value) = Shell.assignment(name) {
                setVariable(variable, value)
                status = 0
                continue
            }
            if pipeline.commands.count > 1 && Shell.isBuiltin(name) {
                // After the programs have started: the reader of its output must be running
                // before it writes (a kernel pipe holds 64 KiB).
                deferredBuiltins.append((name, words, streams))
                continue
            }
            if let outcome = runBuiltin(name, words, output: streams[1], errors: streams[2]) {
                if case .exit(let code) = outcome { closeAll(toClose); return code }
                continue
            }
            switch start(name, words, streams) {
            case .success(let pid):
                pids.append(pid)
                names.append(name)
            case .failure(let failure):
                status = failure.status
                failed = true
            }
            if failed { break }
        }
        for builtin in deferredBuiltins where !failed {
            let outcome = runBuiltin(builtin.name, builtin.words, output: builtin.streams[1], errors: builtin.streams[2])
            if case .exit(let code)? = outcome { closeAll(toClose); return code }
        }
        // The children hold their own references to the pipe ends and files.
        closeAll(toClose)
        if pipeline.background && !pids.isEmpty {
            let number = (jobs.last?.number ?? 0) + 1
            jobs.append(Job(number: number, pids: pids, text: pipeline.text))
            lastBackgroundPid = pids[pids.count - 1]
            print("[" + String(number) + "] " + String(lastBackgroundPid))
            status = 0
            return nil
        }
        // In order: hosted, a child runs inside its wait, so the writer must run before its reader.
        if failed {  // the stages that did start end (their pipes are closed); the status stays
            for (index, pid) in pids.enumerated() { _ = waitFor(pid, name: names[index]) }
            return nil
        }
        for (index, pid) in pids.enumerated() {
            let code = waitFor(pid, name: names[index])
            if index == pids.count - 1 { status = code }
        }
        return nil
    }

    func closeAll(_ descriptors: [Int32]) {
        for fd in descriptors { closeDescriptor(fd) }
    }

    /// Applies redirections to `streams` (opened files go to `toClose`); the error text if one fails.
    func redirect(_ redirections: [Redirection], _ streams: inout [Int32], _ toClose: inout [Int32]) -> String? {
        for redirection in redirections {
            switch redirection.target {
            case .standardOutput:
                streams[Int(redirection.fd)] = streams[1]
            case .file(let word, let append):
                guard let path = expand(word), !path.isEmpty else { return "sh: redirection to an empty file name" }
                let opened = redirection.fd == 0 ? openForReading(resolved(path))
                    : openForWriting(resolved(path), append: append)
                switch opened {
                case .success(let fd):
                    streams[Int(redirection.fd)] = fd
                    toClose.append(fd)
                case .failure(let error):
                    return "sh: " + path + ": " + error.message
                }
            }
        }
        return nil
    }

    /// Where the program `name` is: the word itself with a `/`, else NAME.wasm (or NAME) in a
    /// directory of PATH; nil if none has it (the system may still know the name).
    func locate(_ name: String) -> String? {
        if name.utf8.contains(UInt8(ascii: "/")) { return resolved(name) }
        for directory in (value(of: "PATH") ?? "/bin").fields(separator: UInt8(ascii: ":")) {
            for candidate in [resolved(directory + "/" + name + ".wasm"), resolved(directory + "/" + name)] {
                if case .success(let info) = fileInfo(candidate), info.kind != .directory { return candidate }
            }
        }
        return nil
    }

    /// Starts `name`; the pid, or the status to report (the error has been printed).
    func start(_ name: String, _ words: [String], _ streams: [Int32]) -> Result<Int32, StartFailure> {
        var childEnvironment = variables.filter { !$0.hasPrefix("PWD=") }
        childEnvironment.append("PWD=" + directory)
        let program = locate(name)
        switch Apus.spawn(program ?? name, arguments: words, environment: childEnvironment, standardStreams: streams) {
        case .success(let pid):
            return .success(pid)
        case .failure(let error):
            // To the command's standard error (`nope 2> log` puts the complaint in log).
            func complain(_ text: String) { writeBytes(("sh: " + name + ": " + text + "\n").utf8, to: streams[2]) }
            let detail = Apus.spawnError
            if error == .noEntry {
                complain(program == nil ? "command not found" : error.message)
                return .failure(StartFailure(127))
            }
            if error == .noExec {
                complain("not a WebAssembly module (" + detail + ")")
            } else {
                complain(error.message + (detail.isEmpty ? "" : " (" + detail + ")"))
            }
            return .failure(StartFailure(126))
        }
    }

    /// Waits for `pid` and reports how it ended if it did not end by itself.
    func waitFor(_ pid: Int32, name: String) -> Int32 {
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

    // MARK: Builtins

    enum BuiltinOutcome {
        case done
        case exit(Int32)
    }

    static func isBuiltin(_ name: String) -> Bool {
        let names = ["cd", "pwd", "exit", "history", "jobs", "wait", "export", "unset"]
        return names.contains { $0 == name }
    }

    /// Runs `name` if it is a builtin (output to the descriptors given); nil if it is not.
    mutating func runBuiltin(_ name: String, _ words: [String], output: Int32, errors: Int32) -> BuiltinOutcome? {
        func say(_ text: String) { writeBytes((text + "\n").utf8, to: output) }
        func complain(_ text: String) { writeBytes((text + "\n").utf8, to: errors) }
        // An if chain, not `switch`: pattern matching on String uses the standard library's
        // Unicode comparison (and its tables).
        if name == "cd" {
            let target = resolved(words.count > 1 ? words[1] : "/")
            switch fileInfo(target) {
            case .success(let info) where info.kind == .directory:
                directory = target
                setVariable("PWD", target)  // the SDK's path functions resolve against PWD
                status = 0
            case .success:
                complain("sh: cd: " + target + ": " + Errno.notDirectory.message)
                status = 1
            case .failure(let error):
                complain("sh: cd: " + target + ": " + error.message)
                status = 1
            }
        } else if name == "pwd" {
            say(directory)
            status = 0
        } else if name == "exit" {
            return .exit(words.count > 1 ? Int32(truncatingIfNeeded: words[1].integerValue ?? 1) : 0)
        } else if name == "history" {
            for (index, entry) in history.enumerated() { say(String(index + 1).padded(toWidth: 4) + "  " + entry) }
            status = 0
        } else if name == "jobs" {
            let listing: String
            if case .success(let text) = Apus.processList() { listing = text } else { listing = "" }
            for job in jobs {
                let running = job.pids.contains { pid in
                    listing.fields(separator: 10).contains { line in
                        let fields = line.fields()
                        return fields.count > 2 && fields[0] == String(pid) && fields[2] != "zombie"
                    }
                }
                say("[" + String(job.number) + "]  " + (running ? "Running" : "Done   ") + "  " + job.text)
            }
            status = 0
        } else if name == "wait" {
            status = waitForJobs(Array(words.dropFirst()), complain)
        } else if name == "export" || name == "unset" {
            status = 0
            for word in words.dropFirst() {
                if name == "unset" {
                    variables.removeAll { $0.hasPrefix(word + "=") }
                } else if let (variable, value) = Shell.assignment(word) {
                    setVariable(variable, value)
                } else if value(of: word) == nil {
                    setVariable(word, "")
                }
            }
        } else {
            return nil
        }
        return .done
    }

    /// `wait` (every job), `wait %N` or `wait PID`: the status of the last one waited for.
    mutating func waitForJobs(_ targets: [String], _ complain: (String) -> Void) -> Int32 {
        var chosen: [Int] = []
        if targets.isEmpty { chosen = Array(jobs.indices) }
        for target in targets {
            let bytes = Array(target.utf8)
            let isJob = bytes.first == UInt8(ascii: "%")
            let number = String(decoding: isJob ? Array(bytes.dropFirst()) : bytes, as: UTF8.self).integerValue
            let found = jobs.indices.first { index in
                isJob ? jobs[index].number == number : jobs[index].pids.contains { Int($0) == number }
            }
            guard let found else {
                complain("sh: wait: " + target + ": no such job")
                return 127
            }
            chosen.append(found)
        }
        var last: Int32 = 0
        for index in chosen {
            let job = jobs[index]
            for pid in job.pids { last = waitFor(pid, name: job.text) }
        }
        jobs = jobs.indices.filter { !chosen.contains($0) }.map { jobs[$0] }
        return last
    }
}

/// The status a command that could not start reports (127: not found, 126: cannot run).
struct StartFailure: Error {
    var status: Int32
    init(_ status: Int32) { self.status = status }
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

@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        var shell = Shell()
        if arguments.count > 2 && arguments[1] == "-c" {
            shell.positional = ["sh"] + Array(arguments.dropFirst(3))
            if let code = shell.run(line: arguments[2]) { exit(code) }
            exit(shell.status)
        }
        if arguments.count > 1 {
            let script = arguments[1]
            switch readFile(script) {
            case .failure(let error):
                printError("sh: " + script + ": " + error.message)
                exit(127)
            case .success(let bytes):
                shell.positional = Array(arguments.dropFirst())
                for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
                    if let code = shell.run(line: String(decoding: line, as: UTF8.self)) { exit(code) }
                }
                exit(shell.status)
            }
        }
        StandardInput.unbuffered = true
        while true {
            print(shell.prompt, terminator: "")
            guard let line = shell.readCommandLine() else {
                print("")
                exit(0)
            }
            if let code = shell.runTyped(line: line) { exit(code) }
        }
    }
}
