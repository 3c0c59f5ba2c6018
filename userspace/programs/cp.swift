// cp SOURCE TARGET, cp SOURCE… DIRECTORY — copies files (a directory target keeps their names).
@main struct Main {
    static func main() {
        let paths = Array(commandLineArguments().dropFirst())
        guard paths.count >= 2 else {
            printError("usage: cp SOURCE TARGET | cp SOURCE… DIRECTORY")
            exit(2)
        }
        let target = paths[paths.count - 1]
        let targetIsDirectory: Bool
        if case .success(let info) = fileInfo(target), info.kind == .directory { targetIsDirectory = true } else {
            targetIsDirectory = false
        }
        guard targetIsDirectory || paths.count == 2 else {
            printError("cp: " + target + ": " + Errno.notDirectory.message)
            exit(1)
        }
        var status: Int32 = 0
        for source in paths.dropLast() {
            let destination = targetIsDirectory ? absolutePath(target) + "/" + baseName(source) : target
            if let error = copyFile(source, to: destination) {
                printError("cp: " + error.path + ": " + error.errno.message)
                status = 1
            }
        }
        exit(status)
    }
}

/// The last component of `path`.
func baseName(_ path: String) -> String {
    absolutePath(path).fields(separator: UInt8(ascii: "/")).last ?? path
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
