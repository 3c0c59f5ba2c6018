// Option parsing shared by several commands.

/// `-n N` (or `-N`) and the other arguments (files) of head/tail-style commands; nil (usage
/// printed) if malformed. The count defaults to 10.
func lineCountAndFiles(_ arguments: [String], command: String) -> (Int, [String])? {
    var count = 10
    var files: [String] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if argument == "-n" {
            guard index + 1 < arguments.count, let value = arguments[index + 1].unsignedValue else {
                printError("usage: " + command + " [-n N] [FILE…]")
                return nil
            }
            count = Int(value)
            index += 2
            continue
        }
        if argument.hasPrefix("-"), argument != "-", let value = String(decoding: argument.utf8.dropFirst(), as: UTF8.self).unsignedValue {
            count = Int(value)
        } else {
            files.append(argument)
        }
        index += 1
    }
    return (count, files)
}

/// `SOURCE TARGET` or `SOURCE… DIRECTORY` (cp/mv-style): each source with where it goes (into
/// the directory under its own name when the target is one). Arguments that do not fit end the
/// program: status 2 with the usage, or 1 when several sources go to a target that is no directory.
func sourcesAndDestinations(_ paths: [String], command: String) -> [(source: String, destination: String)] {
    guard paths.count >= 2 else {
        printError("usage: " + command + " SOURCE TARGET | " + command + " SOURCE… DIRECTORY")
        exit(2)
    }
    let target = paths[paths.count - 1]
    var targetIsDirectory = false
    if case .success(let info) = fileInfo(target), info.kind == .directory { targetIsDirectory = true }
    guard targetIsDirectory || paths.count == 2 else {
        printError(command + ": " + target + ": " + Errno.notDirectory.message)
        exit(1)
    }
    return paths.dropLast().map { source in
        (source, targetIsDirectory ? absolutePath(target) + "/" + baseName(source) : target)
    }
}

/// The last component of `path`.
func baseName(_ path: String) -> String {
    absolutePath(path).fields(separator: UInt8(ascii: "/")).last ?? path
}
