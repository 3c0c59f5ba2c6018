// ls [-l] [PATH…] — lists directories (names sorted, directories marked with /).
@main struct Main {
    static func main() {
        var paths: [String] = []
        var long = false
        for argument in commandLineArguments().dropFirst() {
            if argument == "-l" { long = true } else { paths.append(argument) }
        }
        if paths.isEmpty { paths = [currentDirectory()] }
        var status: Int32 = 0
        for (index, path) in paths.enumerated() {
            if paths.count > 1 { print((index > 0 ? "\n" : "") + path + ":") }
            switch fileInfo(path) {
            case .failure(let error):
                printError("ls: " + path + ": " + error.message)
                status = 1
                continue
            case .success(let info) where info.kind != .directory:
                print(long ? line(path, info) : path)
                continue
            case .success: break
            }
            switch listDirectory(path) {
            case .failure(let error):
                printError("ls: " + path + ": " + error.message)
                status = 1
            case .success(var entries):
                entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
                for entry in entries {
                    let name = entry.name + (entry.kind == .directory ? "/" : "")
                    if long, case .success(let info) = fileInfo(absolutePath(path) + "/" + entry.name) {
                        print(line(name, info))
                    } else {
                        print(name)
                    }
                }
            }
        }
        exit(status)
    }

    static func line(_ name: String, _ info: FileInfo) -> String {
        let kind = info.kind == .directory ? "d" : info.kind == .symbolicLink ? "l" : "-"
        return kind + " " + String(info.size).padded(toWidth: 10) + " " + name
    }
}
