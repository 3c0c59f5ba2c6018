import WasmRuntime

/// WASI preview 1 (`wasi_snapshot_preview1`) for the Apus runtime.
public enum WASIPreview1 {
    /// The import module name programs use.
    public static let moduleName = "wasi_snapshot_preview1"
}
