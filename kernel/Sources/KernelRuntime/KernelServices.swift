import WasmFrontEnd
import WasmRuntime

/// Programs that depend on each other, in the kernel (issue #7; WasmRuntime/Programs for the
/// model): the boot image's capability manifest (`etc/capabilities`, read once at boot) says
/// what each program may import; the *services* it names run as one instance each, shared by
/// every program that imports them; a program that imports `name@version` is linked against
/// them (`ProgramSystem.link`): its calls go through generated trampolines straight into the
/// service's code in ring 3 — no system call, no scheduler, no privilege change.
///
/// - The services start when the first program needs them, in that program's task, but their
///   memory, code and VM data belong to the task `services`, which never ends
///   (`Task.allocationOwner`): they outlive the program that started them.
/// - Each service lives in a store of its own (`separateServiceStores`): a program's call
///   takes the service atomically (a concurrent caller on another CPU gets `serviceBusy` and
///   retries) and runs it on the caller's stack, with the caller's stack limit and activation.
/// - A trap in a service returns `trapped | kind` to the caller and marks the service failed
///   (later calls: `serviceFailed`). Services marked `restart` in the manifest are started
///   afresh by the task `services` (`ServiceSupervisor`, within a `RestartBudget`); the others
///   stay failed.
/// - Services may import nothing from the host (no WASI, no `apus`) for now.
enum KernelServices {
  /// The manifest of the boot image (nil: none — then programs may import only host modules).
  nonisolated(unsafe) static var manifest: CapabilityManifest?
  /// The boot-image modules the manifest names (the candidates for services and libraries).
  nonisolated(unsafe) static var serviceImage = ProgramImage()
  nonisolated(unsafe) static var system: ProgramSystem?
  nonisolated(unsafe) static var owner: Task?

  static let manifestPath = "etc/capabilities"

  /// Reads the manifest from the boot image's file `etc/capabilities`; logs what it found.
  static func load(from image: BootImage) {
    for entry in image.entries where entry.kind == .file {
      guard let (path, payload) = KernelFiles.split(entry.data), path == manifestPath else { continue }
      let parsed: CapabilityManifest
      switch CapabilityManifest.parse(Array(payload)) {
      case .success(let manifest):
        parsed = manifest
      case .failure(let error):
        // A broken manifest allows nothing beyond the host modules (fail closed).
        Log.warning("capabilities: etc/capabilities \(string: error.description); no program may import other programs")
        parsed = CapabilityManifest()
      }
      manifest = parsed
      var serviceImage = ProgramImage()
      let names = parsed.namedModules
      for entry in image.entries where entry.kind == .wasmModule {
        let name = entry.name.string
        if names.contains(name) { serviceImage.add(name: name, bytes: Array(entry.data.bindMemory(to: UInt8.self))) }
      }
      self.serviceImage = serviceImage
      Log.info("capabilities: \(serviceImage.entries.count) services or libraries named in etc/capabilities")
      return
    }
  }

  /// Whether `module` (decoded) imports from other programs (`name@version` modules).
  static func hasDependencies(_ module: Module) -> Bool {
    module.imports.contains { DependencyName(importModule: $0.module) != nil }
  }

  /// The first import of `module` the manifest does not allow `program`, if any (only when
  /// the image has a manifest; without one every host import is allowed).
  static func deniedImport(_ module: Module, program: String) -> Import? {
    guard let manifest else { return nil }
    for entry in module.imports where DependencyName(importModule: entry.module) == nil {
      if !manifest.permits(program, module: entry.module, function: entry.name) { return entry }
    }
    return nil
  }

  /// Links program `name` (`bytes`) in `store` against the running services (started now if
  /// this is the first program that needs them). Holds `WASILock` (one link at a time).
  static func link(_ name: String, bytes: [UInt8], store: Store, host: Linker) -> Result<ProgramSystem.LinkedProgram, ProgramError> {
    WASILock.acquire()
    defer { WASILock.release() }
    let system: ProgramSystem
    if let running = self.system {
      system = running
    } else {
      switch startServices(configuration: store.engine.configuration) {
      case .success(let started): system = started
      case .failure(let error): return .failure(error)
      }
    }
    do throws(ProgramError) {
      return .success(try system.link(program: name, bytes: bytes, store: store, host: host))
    } catch {
      return .failure(error)
    }
  }

  /// Lets go of a linked program (its trampolines and their contexts) under the link lock: a
  /// restart repoints the imports of every linked program that still exists.
  static func release(_ linked: inout ProgramSystem.LinkedProgram?) {
    guard linked != nil else { return }
    WASILock.acquire()
    linked = nil
    WASILock.release()
  }

  /// Instantiates the services of `serviceImage` for the task `services`.
  private static func startServices(configuration: Engine.Configuration) -> Result<ProgramSystem, ProgramError> {
    let owner: Task
    if let existing = self.owner {
      owner = existing
    } else {
      var taskName = TaskName()
      taskName.append("services")
      // It restarts services itself (`ServiceSupervisor`): their start functions run in ring 3, so
      // it has FPU state like a program's task.
      guard let task = Scheduler.spawnKernelTask(named: taskName, fpu: true, { ServiceSupervisor.run() }) else {
        return .failure(.instantiationFailed(module: "services", message: "no memory for the services task"))
      }
      self.owner = task
      owner = task
      if let manifest, serviceImage.entries.contains(where: { manifest.restartsAfterTrap($0.name) }) {
        WasmTrapHandler.trapWatcher = task
      }
    }
    let current = Scheduler.currentTask
    current.allocationOwner = owner
    defer { current.allocationOwner = nil }
    let start = Clock.microsecondsSinceBoot()
    let engine = Engine(platform: KernelPlatform.shared, configuration: configuration)
    do throws(ProgramError) {
      let system = try ProgramSystem(store: Store(engine: engine), image: serviceImage,
                                     manifest: manifest ?? CapabilityManifest(), programs: false,
                                     separateServiceStores: true)
      self.system = system
      Log.info("services: \(serviceImage.entries.count) started in \((Clock.microsecondsSinceBoot() - start) / 1000) ms")
      return .success(system)
    } catch {
      return .failure(error)
    }
  }
}
