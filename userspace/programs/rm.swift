// rm [-r] PATH… — removes files (-r: directories with their contents).
@main struct Main {
    static func main() {
        var recursive = false
        var status: Int32 = 0
        for argument in commandLineArguments().dropFirst() {
            if argument == "-r" || argument == "-rf" { recursive = true; continue }
            if let error = remove(absolutePath(argument), recursive: recursive) {
                printError("rm: " + argument + ": " + error.message)
                status = 1
            }
        }
        exit(status)
    }

    static func remove(_ path: String, recursive: Bool) -> Errno? {
        guard case .success(let info) = fileInfo(path), info.kind == .directory else {
            return removePath(path)
        }
        guard recursive else { return .isDirectory }
        switch listDirectory(path) {
        case .failure(let error): return error
        case .success(let entries):
            for entry in entries {
                if let error = remove(path + "/" + entry.name, recursive: true) { return error }
            }
        }
        return removePath(path, directory: true)
    }
}
