/// What CPUID reports about the boot processor.
struct CPUFeatures {
  var maxLeaf: UInt32 = 0
  var maxExtendedLeaf: UInt32 = 0
  var vendor = cpuid_result(eax: 0, ebx: 0, ecx: 0, edx: 0)
  var leaf1 = cpuid_result(eax: 0, ebx: 0, ecx: 0, edx: 0)
  var leaf7 = cpuid_result(eax: 0, ebx: 0, ecx: 0, edx: 0)
  var extended1 = cpuid_result(eax: 0, ebx: 0, ecx: 0, edx: 0)
  var invariantTSC = false

  static func detect() -> CPUFeatures {
    var features = CPUFeatures()
    features.vendor = cpuid(0, 0)
    features.maxLeaf = features.vendor.eax
    features.leaf1 = cpuid(1, 0)
    if features.maxLeaf >= 7 { features.leaf7 = cpuid(7, 0) }
    features.maxExtendedLeaf = cpuid(0x8000_0000, 0).eax
    if features.maxExtendedLeaf >= 0x8000_0001 { features.extended1 = cpuid(0x8000_0001, 0) }
    if features.maxExtendedLeaf >= 0x8000_0007 {
      features.invariantTSC = cpuid(0x8000_0007, 0).edx & (1 << 8) != 0
    }
    return features
  }

  var family: UInt32 {
    let base = (leaf1.eax >> 8) & 0xF
    return base == 0xF ? base + ((leaf1.eax >> 20) & 0xFF) : base
  }
  var model: UInt32 {
    let base = (leaf1.eax >> 4) & 0xF
    let family = (leaf1.eax >> 8) & 0xF
    return (family == 6 || family == 0xF) ? base | ((leaf1.eax >> 12) & 0xF0) : base
  }
  var stepping: UInt32 { leaf1.eax & 0xF }
  var initialAPICID: UInt32 { leaf1.ebx >> 24 }

  var hasAPIC: Bool { leaf1.edx & (1 << 9) != 0 }
  var hasX2APIC: Bool { leaf1.ecx & (1 << 21) != 0 }
  var hasNX: Bool { extended1.edx & (1 << 20) != 0 }
  var hasHugePages1G: Bool { extended1.edx & (1 << 26) != 0 }
  var hasTSCDeadline: Bool { leaf1.ecx & (1 << 24) != 0 }
  var hasFSGSBase: Bool { leaf7.ebx & 1 != 0 }
  var hasSMEP: Bool { leaf7.ebx & (1 << 7) != 0 }
  var hasSMAP: Bool { leaf7.ebx & (1 << 20) != 0 }

  /// Logs vendor, brand, family/model/stepping and the feature flags that matter to Apus.
  func log() {
    var text = TextBuffer()
    text.append("cpu: ")
    text.appendInterpolation(ascii: vendor.ebx)
    text.appendInterpolation(ascii: vendor.edx)
    text.appendInterpolation(ascii: vendor.ecx)
    text.append(" family ")
    text.appendInterpolation(hex: family)
    text.append(" model ")
    text.appendInterpolation(hex: model)
    text.append(" stepping ")
    text.appendInterpolation(stepping)
    if maxExtendedLeaf >= 0x8000_0004 {
      text.append(" \"")
      var leading = true
      for leaf: UInt32 in 0x8000_0002...0x8000_0004 {
        let r = cpuid(leaf, 0)
        for register in [r.eax, r.ebx, r.ecx, r.edx] {
          for shift in stride(from: UInt32(0), to: 32, by: 8) {
            let byte = UInt8(truncatingIfNeeded: register >> shift)
            if byte == 0 || (leading && byte == 32) { continue }
            leading = false
            text.append(byte: byte)
          }
        }
      }
      text.append("\"")
    }
    Log.info(LogMessage(text))

    var flags = TextBuffer()
    flags.append("cpu features:")
    let table: [(StaticString, UInt32, Int)] = [
      // (name, register selector, bit): 0 = leaf1.edx, 1 = leaf1.ecx, 2 = leaf7.ebx,
      // 3 = leaf7.ecx, 4 = ext1.edx, 5 = ext1.ecx
      ("fpu", 0, 0), ("tsc", 0, 4), ("msr", 0, 5), ("pae", 0, 6), ("apic", 0, 9), ("pge", 0, 13),
      ("pat", 0, 16), ("clflush", 0, 19), ("fxsr", 0, 24), ("sse", 0, 25), ("sse2", 0, 26),
      ("sse3", 1, 0), ("pclmulqdq", 1, 1), ("ssse3", 1, 9), ("fma", 1, 12), ("cx16", 1, 13),
      ("sse4.1", 1, 19), ("sse4.2", 1, 20), ("x2apic", 1, 21), ("movbe", 1, 22),
      ("popcnt", 1, 23), ("tsc-deadline", 1, 24), ("aes", 1, 25), ("xsave", 1, 26),
      ("avx", 1, 28), ("f16c", 1, 29), ("rdrand", 1, 30), ("hypervisor", 1, 31),
      ("fsgsbase", 2, 0), ("bmi1", 2, 3), ("avx2", 2, 5), ("smep", 2, 7), ("bmi2", 2, 8),
      ("erms", 2, 9), ("invpcid", 2, 10), ("avx512f", 2, 16), ("rdseed", 2, 18), ("smap", 2, 20),
      ("umip", 3, 2), ("pku", 3, 3), ("la57", 3, 16),
      ("syscall", 4, 11), ("nx", 4, 20), ("pdpe1gb", 4, 26), ("rdtscp", 4, 27), ("lm", 4, 29),
      ("lahf-lm", 5, 0), ("abm", 5, 5),
    ]
    let registers = [leaf1.edx, leaf1.ecx, leaf7.ebx, leaf7.ecx, extended1.edx, extended1.ecx]
    for (name, selector, bit) in table where registers[Int(selector)] & (1 << UInt32(bit)) != 0 {
      flags.append(" ")
      flags.append(name)
    }
    if invariantTSC { flags.append(" invariant-tsc") }
    Log.info(LogMessage(flags))
  }
}

/// CPUID for code whose own member is called `cpuid` (the runtime platform).
func readCPUID(_ leaf: UInt32, _ subleaf: UInt32) -> cpuid_result { cpuid(leaf, subleaf) }
