// mkdir [-p] DIRECTORY… — creates directories (-p: with missing parents, no error if present).
@main struct Main {
    static func main() {
        var parents = false
        var status: Int32 = 0
        for argument in commandLineArguments().dropFirst() {
            if argument == "-p" { parents = true; continue }
            if parents {
                var path = ""
                for component in absolutePath(argument).fields(separator: UInt8(ascii: "/")) {
                    path += "/" + component
                    if let error = makeDirectory(path), error != .exists {
                        printError("mkdir: " + path + ": " + error.message)
                        status = 1
                        break
                    }
                }
            } else if let error = makeDirectory(argument) {
                printError("mkdir: " + argument + ": " + error.message)
                status = 1
            }
        }
        exit(status)
    }
}
