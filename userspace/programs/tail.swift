// tail [-n N] [FILE…] — the last N lines (default 10) of each file or of standard input.
@main struct Main {
    static func main() {
        guard let (count, files) = lineCountAndFiles(Array(commandLineArguments().dropFirst()), command: "tail") else {
            exit(2)
        }
        var status: Int32 = 0
        for (index, file) in (files.isEmpty ? ["-"] : files).enumerated() {
            if files.count > 1 { print((index > 0 ? "\n" : "") + "==> " + file + " <==") }
            let contents: Result<[UInt8], Errno> = file == "-" ? readAll(fd: 0) : readFile(file)
            switch contents {
            case .failure(let error):
                printError("tail: " + file + ": " + error.message)
                status = 1
            case .success(let bytes):
                writeBytes(lastLines(bytes, count))
            }
        }
        exit(status)
    }
}

/// The last `count` lines of `bytes` (a final line without a newline counts).
func lastLines(_ bytes: [UInt8], _ count: Int) -> ArraySlice<UInt8> {
    guard count > 0 else { return [] }
    var start = bytes.count
    var newlines = 0
    // A final newline ends the last line; it does not start another.
    var position = bytes.last == 10 ? bytes.count - 1 : bytes.count
    while position > 0 {
        position -= 1
        if bytes[position] == 10 {
            newlines += 1
            if newlines == count { break }
        }
        start = position
    }
    return bytes[start...]
}
