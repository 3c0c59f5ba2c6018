/// What an inode is, from the top four bits of its mode.
public enum InodeKind: Equatable {
    case regular, directory, symbolicLink, other

    init(mode: UInt16) {
        switch mode & 0xF000 {
        case 0x8000: self = .regular
        case 0x4000: self = .directory
        case 0xA000: self = .symbolicLink
        default: self = .other
        }
    }

    /// The directory entry's file-type byte (filetype feature).
    var directoryEntryType: UInt8 {
        switch self {
        case .regular: return 1
        case .directory: return 2
        case .symbolicLink: return 7
        case .other: return 0
        }
    }
}

/// One inode as stored (128 bytes or more; the bytes past the fields used here are kept).
struct Inode {
    static let directBlocks = 12
    static let singleIndirect = 12
    static let doubleIndirect = 13
    static let tripleIndirect = 14
    /// Linux's EXT2_INDEX_FL: the directory has an htree index (read as a plain directory here).
    static let indexedFlag: UInt32 = 0x1000
    static let maximumLinks: UInt16 = 65000

    var raw: [UInt8]

    var mode: UInt16 { get { raw.u16(0) } set { raw.setU16(0, newValue) } }
    var kind: InodeKind { InodeKind(mode: mode) }
    var size: UInt64 {
        get { UInt64(raw.u32(4)) | (kind == .regular ? UInt64(raw.u32(108)) << 32 : 0) }
        set {
            raw.setU32(4, UInt32(truncatingIfNeeded: newValue))
            raw.setU32(108, UInt32(truncatingIfNeeded: newValue >> 32))
        }
    }
    var accessTime: UInt32 { get { raw.u32(8) } set { raw.setU32(8, newValue) } }
    var changeTime: UInt32 { get { raw.u32(12) } set { raw.setU32(12, newValue) } }
    var modificationTime: UInt32 { get { raw.u32(16) } set { raw.setU32(16, newValue) } }
    var deletionTime: UInt32 { get { raw.u32(20) } set { raw.setU32(20, newValue) } }
    var linksCount: UInt16 { get { raw.u16(26) } set { raw.setU16(26, newValue) } }
    /// Blocks in use, data and indirect, in 512-byte units.
    var sectors: UInt32 { get { raw.u32(28) } set { raw.setU32(28, newValue) } }
    var flags: UInt32 { get { raw.u32(32) } set { raw.setU32(32, newValue) } }
    func block(_ index: Int) -> UInt32 { raw.u32(40 + 4 * index) }
    mutating func setBlock(_ index: Int, _ value: UInt32) { raw.setU32(40 + 4 * index, value) }

    /// A fast symbolic link keeps its target in the block array (no data block).
    var isFastSymbolicLink: Bool { kind == .symbolicLink && sectors == 0 && size < 60 }

    /// A fresh inode: every byte zero but mode, links and times; `extraSize` marks the large
    /// inode's extra fields (the size mke2fs gives its own inodes) as present.
    static func fresh(size: Int, mode: UInt16, links: UInt16, now: UInt32) -> Inode {
        var inode = Inode(raw: [UInt8](repeating: 0, count: size))
        inode.mode = mode
        inode.linksCount = links
        inode.accessTime = now
        inode.changeTime = now
        inode.modificationTime = now
        if size >= 160 { inode.raw.setU16(128, 32) }  // i_extra_isize
        return inode
    }
}

/// What `attributes(of:)` reports.
public struct FileAttributes: Equatable {
    public var inode: UInt32
    public var kind: InodeKind
    /// The permission bits (low 12 bits of the mode).
    public var permissions: UInt16
    public var size: UInt64
    public var links: UInt16
    public var accessTime: UInt32
    public var modificationTime: UInt32
    public var changeTime: UInt32
    /// Bytes of blocks allocated (data and indirect blocks).
    public var allocatedBytes: UInt64
}

/// One name in a directory.
public struct DirectoryEntry: Equatable {
    public var name: String
    public var inode: UInt32
    public var kind: InodeKind
}
