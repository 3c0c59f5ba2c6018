import HostedPlatform
import WAT
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// A fresh engine and store on the hosted platform.
struct Fixture {
    let engine: Engine
    let store: Store
    let linker = Linker()

    init(boundsChecks: BoundsCheckStrategy = .guardRegion, configure: (inout Engine.Configuration) -> Void = { _ in }) {
        var configuration = Engine.Configuration()
        configuration.boundsChecks = boundsChecks
        configure(&configuration)
        engine = Engine(platform: HostedPlatform.shared, configuration: configuration)
        store = Store(engine: engine)
    }

    func module(_ text: String) throws -> WasmModule {
        try WasmModule(engine: engine, bytes: wat2wasm(text, options: EncodeOptions(nameSection: true)))
    }

    func instantiate(_ text: String) throws -> Instance {
        try linker.instantiate(store, module(text))
    }

    /// The instantiation error of `text`, or nil if it instantiates.
    func instantiationError(_ text: String) throws -> InstantiationError? {
        let compiled = try module(text)
        do {
            _ = try linker.instantiate(store, compiled)
            return nil
        } catch {
            return error
        }
    }
}
