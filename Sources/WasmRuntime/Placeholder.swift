/// Placeholder: the runtime lands here (Engine, Module, Store, Instance, Platform).
enum WasmRuntimePlaceholder {}
