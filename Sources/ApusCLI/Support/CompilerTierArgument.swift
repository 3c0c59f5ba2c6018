import ArgumentParser
import WasmCompiler

/// `--tier baseline|optimizing` on the commands that compile.
extension CompilerTier: ExpressibleByArgument {}
