import ArgumentParser

/// The `apus` host tool.
public struct ApusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Apus: a WebAssembly microkernel OS — host tool.",
        subcommands: [
            ValidateCommand.self, InspectCommand.self, WastCommand.self, InvokeCommand.self, RunCommand.self,
            BenchCommand.self, DiffTestCommand.self, ExtractModulesCommand.self, ExecCommand.self, WasiTestCommand.self, CompileCommand.self,
        ]
    )
    public init() {}
}
