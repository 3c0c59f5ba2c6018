// touch FILE… — creates empty files, or sets the times of existing ones to now.
@main struct Main {
    static func main() {
        let files = Array(commandLineArguments().dropFirst())
        if files.isEmpty {
            printError("usage: touch FILE…")
            exit(2)
        }
        var status: Int32 = 0
        for file in files {
            let error: Errno?
            if case .success = fileInfo(file) {
                error = touchPath(file)
            } else {
                error = writeFile(file, [UInt8](), append: true)  // create, keep nothing else
            }
            if let error {
                printError("touch: " + file + ": " + error.message)
                status = 1
            }
        }
        exit(status)
    }
}
