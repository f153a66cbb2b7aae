/**
 * The ext2 superblock (revision 1): a 1024-byte struct at byte 1024 of the
 * image, copied (with its own group number) into every sparse_super group.
 */
export const EXT2_MAGIC = 0xef53;

export const Feature = {
  /** incompat: directory entries record the file type. */
  incompatFiletype: 0x0002,
  /** ro_compat: superblock copies only in groups 0, 1 and powers of 3, 5, 7. */
  roCompatSparseSuper: 0x0001,
  /** ro_compat: files may be 2 GiB or larger (i_size_high used). */
  roCompatLargeFile: 0x0002,
} as const;

export interface Superblock {
  inodesCount: number;
  blocksCount: number;
  rBlocksCount: number;
  freeBlocksCount: number;
  freeInodesCount: number;
  firstDataBlock: number;
  logBlockSize: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  /** Seconds since the epoch; may exceed 32 bits (the *_hi bytes carry the rest). */
  time: number;
  state: number;
  revLevel: number;
  firstIno: number;
  inodeSize: number;
  blockGroupNr: number;
  featureCompat: number;
  featureIncompat: number;
  featureRoCompat: number;
  uuid: Uint8Array;
  volumeName: Uint8Array;
  hashSeed: Uint8Array;
  minExtraIsize: number;
  wantExtraIsize: number;
  magic: number;
}

export function encodeSuperblock(sb: Superblock): Uint8Array {
  const out = new Uint8Array(1024);
  const v = new DataView(out.buffer);
  const lo = sb.time >>> 0;
  const hi = Math.floor(sb.time / 2 ** 32) & 0xff;
  v.setUint32(0, sb.inodesCount, true);
  v.setUint32(4, sb.blocksCount, true);
  v.setUint32(8, sb.rBlocksCount, true);
  v.setUint32(12, sb.freeBlocksCount, true);
  v.setUint32(16, sb.freeInodesCount, true);
  v.setUint32(20, sb.firstDataBlock, true);
  v.setUint32(24, sb.logBlockSize, true); // s_log_block_size
  v.setUint32(28, sb.logBlockSize, true); // s_log_frag_size
  v.setUint32(32, sb.blocksPerGroup, true);
  v.setUint32(36, sb.blocksPerGroup, true); // s_frags_per_group
  v.setUint32(40, sb.inodesPerGroup, true);
  v.setUint32(44, 0, true); // s_mtime: never mounted
  v.setUint32(48, lo, true); // s_wtime
  v.setUint16(52, 0, true); // s_mnt_count
  v.setInt16(54, -1, true); // s_max_mnt_count: no mount-count checks
  v.setUint16(56, EXT2_MAGIC, true);
  v.setUint16(58, sb.state, true);
  v.setUint16(60, 1, true); // s_errors: continue
  v.setUint32(64, lo, true); // s_lastcheck
  v.setUint32(68, 0, true); // s_checkinterval
  v.setUint32(72, 0, true); // s_creator_os: Linux
  v.setUint32(76, sb.revLevel, true);
  v.setUint32(84, sb.firstIno, true);
  v.setUint16(88, sb.inodeSize, true);
  v.setUint16(90, sb.blockGroupNr, true);
  v.setUint32(92, sb.featureCompat, true);
  v.setUint32(96, sb.featureIncompat, true);
  v.setUint32(100, sb.featureRoCompat, true);
  out.set(sb.uuid.subarray(0, 16), 104);
  out.set(sb.volumeName.subarray(0, 16), 120);
  out.set(sb.hashSeed.subarray(0, 16), 236);
  out[252] = 1; // s_def_hash_version: half_md4
  v.setUint32(264, lo, true); // s_mkfs_time
  v.setUint16(348, sb.minExtraIsize, true);
  v.setUint16(350, sb.wantExtraIsize, true);
  v.setUint32(352, 0x1, true); // s_flags: signed directory hash (as mke2fs on x86)
  out[0x274] = hi; // s_wtime_hi
  out[0x276] = hi; // s_mkfs_time_hi
  out[0x277] = hi; // s_lastcheck_hi
  return out;
}

export function decodeSuperblock(bytes: Uint8Array): Superblock {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 1024);
  return {
    inodesCount: v.getUint32(0, true),
    blocksCount: v.getUint32(4, true),
    rBlocksCount: v.getUint32(8, true),
    freeBlocksCount: v.getUint32(12, true),
    freeInodesCount: v.getUint32(16, true),
    firstDataBlock: v.getUint32(20, true),
    logBlockSize: v.getUint32(24, true),
    blocksPerGroup: v.getUint32(32, true),
    inodesPerGroup: v.getUint32(40, true),
    time: v.getUint32(48, true) + bytes[0x274]! * 2 ** 32,
    magic: v.getUint16(56, true),
    state: v.getUint16(58, true),
    revLevel: v.getUint32(76, true),
    firstIno: v.getUint32(84, true),
    inodeSize: v.getUint16(88, true),
    blockGroupNr: v.getUint16(90, true),
    featureCompat: v.getUint32(92, true),
    featureIncompat: v.getUint32(96, true),
    featureRoCompat: v.getUint32(100, true),
    uuid: bytes.slice(104, 120),
    volumeName: bytes.slice(120, 136),
    hashSeed: bytes.slice(236, 252),
    minExtraIsize: v.getUint16(348, true),
    wantExtraIsize: v.getUint16(350, true),
  };
}
