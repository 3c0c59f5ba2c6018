// echo [-n] WORD… — prints the words separated by spaces.
@main struct Main {
    static func main() {
        var words = Array(commandLineArguments().dropFirst())
        var newline = true
        if let first = words.first, first == "-n" {
            newline = false
            words.removeFirst()
        }
        var text = ""
        for (index, word) in words.enumerated() { text += (index == 0 ? "" : " ") + word }
        print(text, terminator: newline ? "\n" : "")
    }
}
