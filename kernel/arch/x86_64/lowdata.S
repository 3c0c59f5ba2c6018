/* The Swift runtime's static singleton objects, placed at a low positive address (physical =
 * virtual 0x5000, supervisor read-only). At the kernel's negative addresses, multi-payload enums
 * that keep their tag in a payload pointer's spare top bits corrupt pointers to them. Strong
 * definitions override the weak ones every Swift object file carries. */
  .section .lowdata, "a"
  .p2align 4
  .globl "$es23_swiftEmptyArrayStorageSi_S3itvp"
"$es23_swiftEmptyArrayStorageSi_S3itvp":
  .quad 0, -1, 0, 1
  .p2align 4
  .globl "$es30_swiftEmptyDictionarySingletonSi_S3is5UInt8VACs6UInt16Vs6UInt32VS4itvp"
"$es30_swiftEmptyDictionarySingletonSi_S3is5UInt8VACs6UInt16Vs6UInt32VS4itvp":
  .quad 0, -1, 0, 0, 0, 0, 1, 1, -2
