// shutdown — powers the system off.
@main struct Main {
    static func main() {
        print("shutting down")
        if let error = Apus.shutdown() {
            printError("shutdown: " + error.message)
            exit(1)
        }
    }
}
