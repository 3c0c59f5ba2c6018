// mv SOURCE TARGET, mv SOURCE… DIRECTORY — renames (moves) files and directories.
@main struct Main {
    static func main() {
        let moves = sourcesAndDestinations(Array(commandLineArguments().dropFirst()), command: "mv")
        var status: Int32 = 0
        for (source, destination) in moves {
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
