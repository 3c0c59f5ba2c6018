/// WebAssembly programs from the boot image. Without the embedded runtime (a kernel built
/// with KERNEL_EMBED_SHARED=0) there is nothing to run them with.
enum WasmPrograms {
  /// Starts the image's program `init` and waits for it (KernelRuntime's `Programs`); false
  /// if the image has none or this kernel cannot run WebAssembly.
  static func runInit(_ image: BootImage, quiet: Bool) -> Bool {
    #if KERNEL_EMBED_SHARED
    return Programs.runInit(image, quiet: quiet)
    #else
    return false
    #endif
  }
}
