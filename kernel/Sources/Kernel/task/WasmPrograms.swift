/// WebAssembly programs from the boot image. Without the embedded runtime (a kernel built
/// without KERNEL_EMBED_SHARED=1) there is nothing to run them with.
enum WasmPrograms {
  /// Starts a task for `entry`; false if this kernel cannot run WebAssembly.
  static func start(_ entry: BootImage.Entry) -> Bool {
    #if KERNEL_EMBED_SHARED
    return KernelWasm.start(entry)
    #else
    return false
    #endif
  }
}
