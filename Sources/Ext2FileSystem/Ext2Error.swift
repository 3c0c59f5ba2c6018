/// Why a file-system operation failed. Operations on bad images throw `corrupt`, never trap.
public enum Ext2Error: Error, Equatable {
    /// The block device failed a request.
    case device(BlockDeviceError)
    /// Not an ext2 file system, or one this library does not handle (see `Unsupported`).
    case unsupported(Unsupported)
    /// The image contradicts itself.
    case corrupt(Corruption)
    case notFound
    case exists
    case notDirectory
    case isDirectory
    /// Writing or truncating something that is neither a regular file nor a directory.
    case notRegularFile
    case directoryNotEmpty
    /// A name that is empty, longer than 255 bytes, or holds `/` or NUL; or `.`/`..` where a new name is needed.
    case invalidName
    /// No free block or inode is left.
    case noSpace
    /// Beyond what the block map can address (or 4 GiB, the size this library handles).
    case fileTooLarge
    /// Moving a directory into itself or below itself.
    case invalidMove
    /// Too many links to one inode (65,000).
    case tooManyLinks

    /// The nearest WASI errno, for the file-system service.
    public var errno: UInt16 {
        switch self {
        case .device(let error): return UInt16(truncatingIfNeeded: error.errno)
        case .unsupported: return 58  // ENOTSUP
        case .corrupt: return 29  // EIO
        case .notFound: return 44  // ENOENT
        case .exists: return 20  // EEXIST
        case .notDirectory: return 54  // ENOTDIR
        case .isDirectory: return 31  // EISDIR
        case .notRegularFile: return 28  // EINVAL
        case .directoryNotEmpty: return 55  // ENOTEMPTY
        case .invalidName: return 28  // EINVAL
        case .noSpace: return 51  // ENOSPC
        case .fileTooLarge: return 22  // EFBIG
        case .invalidMove: return 28  // EINVAL
        case .tooManyLinks: return 34  // EMLINK
        }
    }
}

public enum Unsupported: Equatable, Sendable {
    case notExt2  // no 0xEF53 magic
    case revision(UInt32)
    case blockSize(UInt32)
    case inodeSize(UInt16)
    /// Incompatible or read-only-compatible features this library cannot honour (extents, 64bit,
    /// a journal that needs recovery, metadata checksums, …): the feature bits.
    case incompatibleFeatures(UInt32)
    case readOnlyCompatibleFeatures(UInt32)
    /// The image is larger than the device.
    case deviceTooSmall
}

public enum Corruption: Equatable, Sendable {
    case superblock
    case groupDescriptor(group: UInt32)
    /// A group's or the superblock's free count does not fit the group, or disagrees with its bitmap.
    case freeCounts(group: UInt32)
    case blockOutOfRange(UInt32)
    case inodeOutOfRange(UInt32)
    /// A block or inode freed twice (its bitmap bit was already clear).
    case doubleFree
    case directoryEntry(inode: UInt32, block: UInt32)
    /// A directory with no `.`/`..`, or one whose `..` chain does not reach the root.
    case directoryStructure(inode: UInt32)
    /// A link count, size or mode that cannot be right.
    case inode(UInt32)
}
