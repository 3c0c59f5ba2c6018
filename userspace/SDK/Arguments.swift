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
