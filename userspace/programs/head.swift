// head [-n N] [FILE…] — the first N lines (default 10) of each file or of standard input.
@main struct Main {
    static func main() {
        guard let (count, files) = lineCountAndFiles(Array(commandLineArguments().dropFirst()), command: "head") else {
            exit(2)
        }
        var status: Int32 = 0
        for (index, file) in (files.isEmpty ? ["-"] : files).enumerated() {
            if files.count > 1 { print((index > 0 ? "\n" : "") + "==> " + file + " <==") }
            let fd: Int32
            if file == "-" {
                fd = 0
            } else {
                switch openForReading(file) {
                case .success(let opened): fd = opened
                case .failure(let error):
                    printError("head: " + file + ": " + error.message)
                    status = 1
                    continue
                }
            }
            // Stop reading once N lines are out (the rest of a pipe is not needed).
            var left = count
            var output: [UInt8] = []
            while left > 0, case .success(let chunk) = readChunk(fd: fd), !chunk.isEmpty {
                for byte in chunk where left > 0 {
                    output.append(byte)
                    if byte == 10 { left -= 1 }
                }
            }
            writeBytes(output)
            if fd != 0 { closeDescriptor(fd) }
        }
        exit(status)
    }
}
