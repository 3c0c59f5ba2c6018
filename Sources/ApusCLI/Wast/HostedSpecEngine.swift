import HostedPlatform
import WasmCompiler
import WasmRuntime

extension RuntimeSpecExecutor {
    /// An engine for spec scripts on this host.
    public static func makeEngine(boundsChecks: BoundsCheckStrategy, forceBaselineISA: Bool,
                                  tier: CompilerTier = .tiered, disableAVX: Bool = false,
                                  tierUpThreshold: Int = Engine.Configuration().tierUpThreshold) -> Engine {
        var configuration = Engine.Configuration()
        configuration.boundsChecks = boundsChecks
        configuration.forceBaselineISA = forceBaselineISA
        configuration.tier = tier
        configuration.disableAVX = disableAVX
        configuration.tierUpThreshold = tierUpThreshold
        return Engine(platform: HostedPlatform.shared, configuration: configuration)
    }

    /// Runs one script with a fresh executor of `engine`.
    public static func runScript(path: String, engine: Engine) -> SpecFileResult {
        SpecScriptRunner(makeExecutor: { _ in RuntimeSpecExecutor(engine: engine) }).run(path: path)
    }
}
