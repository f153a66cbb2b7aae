/**
 * The times an inode written by this writer can hold. inode.ts stores the low
 * 32 bits as a signed number of seconds and two more "epoch" bits in each
 * *_extra word, so times run from -2^31 (1901-12-13) to 3·2^32 + 2^31 − 1
 * (2446-05-10T22:38:55Z). Anything outside would silently wrap.
 */
export const EXT2_TIME_MIN = -(2 ** 31);
export const EXT2_TIME_MAX = 3 * 2 ** 32 + 2 ** 31 - 1;
