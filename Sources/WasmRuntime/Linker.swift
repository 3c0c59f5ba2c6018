import WasmFrontEnd

/// Resolves a module's imports by module and field name, then instantiates it. Definitions
/// are objects of one store: use a linker with the store its definitions belong to.
public final class Linker {
    private var definitions: [ExactName: Extern] = [:]

    public init() {}

    private static func key(_ module: String, _ name: String) -> ExactName {
        // Names may contain any character: length-prefix the module name so that distinct
        // (module, name) pairs never collide.
        ExactName(String(module.utf8.count) + ":" + module + name)
    }

    /// Defines (or replaces) `module.name`.
    public func define(module: String, name: String, _ value: Extern) {
        definitions[Linker.key(module, name)] = value
    }

    /// Defines a host function `module.name` in `store`.
    @discardableResult
    public func defineFunction(store: Store, module: String, name: String, type: FunctionType,
                               body: @escaping HostFunctionBody) -> Func {
        let function = store.createFunction(type: type, body: body)
        define(module: module, name: name, .function(function))
        return function
    }

    /// Defines every export of `instance` under the module name `module` (the spec script's
    /// `register`).
    public func define(module: String, instance: Instance) {
        for (name, value) in instance.exports { define(module: module, name: name, value) }
    }

    /// The definition of `module.name`, if any.
    public func resolve(module: String, name: String) -> Extern? { definitions[Linker.key(module, name)] }

    /// Resolves `module`'s imports and instantiates it in `store`: "unknown import" when a
    /// name is not defined, "incompatible import type" when its type does not match.
    public func instantiate(_ store: Store, _ module: WasmModule) throws(InstantiationError) -> Instance {
        var imports: [Extern] = []
        for entry in module.module.imports {
            guard let value = resolve(module: entry.module, name: entry.name) else {
                throw InstantiationError(kind: .unlinkable, message: "unknown import",
                                         detail: entry.module + "." + entry.name)
            }
            imports.append(value)
        }
        return try store.instantiate(module, imports: imports)
    }
}

extension Store {
    /// Instantiates `module` with `imports` in the order the module declares them.
    public func instantiate(_ module: WasmModule, imports: [Extern] = []) throws(InstantiationError) -> Instance {
        try InstanceEntity.instantiate(store: self, module: module, imports: imports)
    }
}
