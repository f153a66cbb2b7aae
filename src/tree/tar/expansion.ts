/**
 * The decompression-bomb guard of a tar layer. A layer may expand to at most
 * `maxRatio` times the archive's size, counting the decompressed tar stream
 * and the holes of sparse members (which cost nothing in the archive but are
 * read back as zeros); the first EXPANSION_FLOOR bytes are always allowed, so
 * small archives of very compressible files need no setting. The guard is
 * checked as bytes arrive, so a bomb stops early, in bounded time and memory.
 */
import { tarError } from './tar-error.ts';

export const DEFAULT_MAX_RATIO = 100;
export const EXPANSION_FLOOR = 64 << 20;

export class ExpansionBudget {
  /** Compressed bytes read so far (at least the declared archive size). */
  #archiveBytes: number;
  #expanded = 0;
  #holes = 0;
  readonly #maxRatio: number;
  readonly #archive: string;

  constructor(args: { archive: string; archiveSize: number; maxRatio?: number }) {
    this.#archive = args.archive;
    this.#archiveBytes = args.archiveSize;
    this.#maxRatio = args.maxRatio ?? DEFAULT_MAX_RATIO;
  }

  /** Archive bytes read so far: a stream may turn out longer than its declared size. */
  archiveRead(total: number): void {
    if (total > this.#archiveBytes) this.#archiveBytes = total;
  }

  /** Counts decompressed tar bytes. */
  data(n: number): void {
    this.#expanded += n;
    this.#check();
  }

  /** Counts the holes of a sparse member. */
  holes(n: number): void {
    this.#holes += n;
    this.#expanded += n;
    this.#check();
  }

  get expanded(): number { return this.#expanded; }

  #check(): void {
    const allowed = Math.max(EXPANSION_FLOOR, this.#maxRatio * this.#archiveBytes);
    if (this.#expanded <= allowed) return;
    throw tarError('TAR_EXPANSION_LIMIT', { archive: this.#archive },
      `expands to more than ${allowed} bytes (${this.#maxRatio} times its ${this.#archiveBytes} bytes${this.#holes > 0 ? `, counting ${this.#holes} bytes of sparse holes` : ''}): refused as a likely decompression bomb`,
      `if the archive is trusted, raise the layer's maxRatio (now ${this.#maxRatio})`,
      { maxRatio: this.#maxRatio, archiveBytes: this.#archiveBytes, expanded: this.#expanded, holes: this.#holes });
  }
}
