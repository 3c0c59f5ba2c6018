// cat [FILE…] — writes the files (or standard input) to standard output.
@main struct Main {
    static func main() {
        let files = Array(commandLineArguments().dropFirst())
        var status: Int32 = 0
        if files.isEmpty {
            if case .success(let bytes) = readAll(fd: 0) { writeBytes(bytes) }
        }
        for file in files {
            switch readFile(file) {
            case .success(let bytes): writeBytes(bytes)
            case .failure(let error):
                printError("cat: " + file + ": " + error.message)
                status = 1
            }
        }
        exit(status)
    }
}
