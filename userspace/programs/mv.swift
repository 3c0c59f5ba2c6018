// mv SOURCE TARGET, mv SOURCE… DIRECTORY — renames (moves) files and directories.
@main struct Main {
    static func main() {
        let paths = Array(commandLineArguments().dropFirst())
        guard paths.count >= 2 else {
            printError("usage: mv SOURCE TARGET | mv SOURCE… DIRECTORY")
            exit(2)
        }
        let target = paths[paths.count - 1]
        let targetIsDirectory: Bool
        if case .success(let info) = fileInfo(target), info.kind == .directory { targetIsDirectory = true } else {
            targetIsDirectory = false
        }
        guard targetIsDirectory || paths.count == 2 else {
            printError("mv: " + target + ": " + Errno.notDirectory.message)
            exit(1)
        }
        var status: Int32 = 0
        for source in paths.dropLast() {
            let name = absolutePath(source).fields(separator: UInt8(ascii: "/")).last ?? source
            let destination = targetIsDirectory ? absolutePath(target) + "/" + name : target
            if case .failure(let error) = fileInfo(source) {
                printError("mv: " + source + ": " + error.message)
                status = 1
            } else if let error = renamePath(source, to: destination) {
                printError("mv: " + source + " -> " + destination + ": " + error.message)
                status = 1
            }
        }
        exit(status)
    }
}
