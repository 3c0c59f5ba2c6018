// cp SOURCE TARGET, cp SOURCE… DIRECTORY — copies files (a directory target keeps their names).
@main struct Main {
    static func main() {
        let moves = sourcesAndDestinations(Array(commandLineArguments().dropFirst()), command: "cp")
        var status: Int32 = 0
        for (source, destination) in moves {
            if let error = copyFile(source, to: destination) {
                printError("cp: " + error.path + ": " + error.errno.message)
                status = 1
            }
        }
        exit(status)
    }
}

/// Copies the file `source` to `destination` (replaced if it exists); the failing path and why.
func copyFile(_ source: String, to destination: String) -> (path: String, errno: Errno)? {
    if case .success(let info) = fileInfo(source), info.kind == .directory { return (source, .isDirectory) }
    if absolutePath(source) == absolutePath(destination) { return (destination, .invalid) }
    switch readFile(source) {
    case .failure(let error): return (source, error)
    case .success(let bytes):
        if let error = writeFile(destination, bytes) { return (destination, error) }
        return nil
    }
}
