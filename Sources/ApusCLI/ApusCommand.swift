import ArgumentParser

public struct ApusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Apus: a WebAssembly microkernel OS — host tool.",
        subcommands: []
    )
    public init() {}
}
