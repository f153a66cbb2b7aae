/**
 * The Linux system calls a static musl program (and busybox applets) make,
 * implemented for the user-mode runner: or1k uses the asm-generic numbers,
 * arguments in r3..r8, the number in r11 and the result (or -errno) in r11.
 * Files are a read-only, in-memory map (path -> bytes) given by the test, so a
 * run depends on nothing but its inputs.
 */
import type { Cpu } from '../../../emulator/cpu/cpu.ts';
import type { GuestMemory } from './guest-memory.ts';
import { SIG, type SignalState } from './signals.ts';

export const NR = {
  getcwd: 17, dup: 23, dup3: 24, fcntl64: 25, ioctl: 29, faccessat: 48, openat: 56, close: 57,
  getdents64: 61, llseek: 62, read: 63, write: 64, readv: 65, writev: 66, pread64: 67, readlinkat: 78,
  fstatat64: 79, fstat64: 80, exit: 93, exit_group: 94, set_tid_address: 96, futex: 98,
  set_robust_list: 99, nanosleep: 101, clock_gettime32: 113, sched_yield: 124, kill: 129, tkill: 130,
  tgkill: 131, rt_sigaction: 134, rt_sigprocmask: 135, rt_sigpending: 136, rt_sigreturn: 139, times: 153, uname: 160,
  getrlimit: 163, getrusage: 165, umask: 166, prctl: 167, gettimeofday: 169, getpid: 172, getppid: 173,
  getuid: 174, geteuid: 175, getgid: 176, getegid: 177, gettid: 178, sysinfo: 179, brk: 214,
  munmap: 215, mremap: 216, mmap2: 222, mprotect: 226, madvise: 233, prlimit64: 261, getrandom: 278,
  statx: 291, clock_gettime64: 403, clock_nanosleep_time64: 407, futex_time64: 422, faccessat2: 439,
} as const;

export const E = {
  PERM: 1, NOENT: 2, SRCH: 3, BADF: 9, AGAIN: 11, NOMEM: 12, ACCES: 13, FAULT: 14, NOTDIR: 20,
  ISDIR: 21, INVAL: 22, NOTTY: 25, SPIPE: 29, ROFS: 30, RANGE: 34, NOSYS: 38,
} as const;

const PAGE = 8192;
const PID = 1000;
const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFIFO = 0o010000;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
/** Guest time starts here (seconds since the epoch) and follows the instruction count. */
const EPOCH_BASE = 1_700_000_000;

interface OpenFile {
  kind: 'stdin' | 'stdout' | 'stderr' | 'file';
  data: Uint8Array;
  pos: number;
  path: string;
}

export interface ProcessIo {
  stdin: Uint8Array;
  /** Read-only files: path as the program names it (absolute, or relative to the cwd "/work"). */
  files: ReadonlyMap<string, Uint8Array>;
}

export type SyscallOutcome = { kind: 'continue' } | { kind: 'exit'; status: number } | { kind: 'sigreturn' };

export class LinuxProcess {
  readonly stdout: number[] = [];
  readonly stderr: number[] = [];
  /** Numbers of syscalls answered with -ENOSYS (diagnostics). */
  readonly unknown = new Set<number>();
  private readonly fds: Array<OpenFile | undefined> = [];
  private brkStart: number;
  private brkCur: number;
  /** Page-granular allocation map of the mmap area [mmapBase, mmapTop). */
  private readonly used: Uint8Array;

  constructor(
    private readonly cpu: Cpu,
    private readonly mem: GuestMemory,
    private readonly io: ProcessIo,
    readonly signals: SignalState,
    layout: { brk: number; mmapBase: number; mmapTop: number },
  ) {
    this.brkStart = this.brkCur = layout.brk;
    this.mmapBase = layout.mmapBase;
    this.mmapTop = layout.mmapTop;
    this.used = new Uint8Array((layout.mmapTop - layout.mmapBase) / PAGE);
    this.fds[0] = { kind: 'stdin', data: io.stdin, pos: 0, path: '' };
    this.fds[1] = { kind: 'stdout', data: new Uint8Array(0), pos: 0, path: '' };
    this.fds[2] = { kind: 'stderr', data: new Uint8Array(0), pos: 0, path: '' };
  }
  private readonly mmapBase: number;
  private readonly mmapTop: number;

  /** Executes the syscall in r11 with arguments r3..r8; writes the result to r11. */
  syscall(): SyscallOutcome {
    const g = this.cpu.gpr;
    const nr = g[11]!;
    const a = [g[3]!, g[4]!, g[5]!, g[6]!, g[7]!, g[8]!] as const;
    const r = this.dispatch(nr, a);
    if (typeof r === 'number') {
      g[11] = r;
      return { kind: 'continue' };
    }
    return r;
  }

  private dispatch(nr: number, a: readonly [number, number, number, number, number, number]): number | SyscallOutcome {
    const m = this.mem;
    switch (nr) {
      case NR.exit:
      case NR.exit_group:
        return { kind: 'exit', status: a[0] & 0xff };
      case NR.write: return this.write(a[0], a[1], a[2] >>> 0);
      case NR.writev: return this.rwv(a[0], a[1], a[2], true);
      case NR.read: return this.read(a[0], a[1], a[2] >>> 0, -1);
      case NR.pread64: return this.read(a[0], a[1], a[2] >>> 0, a[4] >>> 0);
      case NR.readv: return this.rwv(a[0], a[1], a[2], false);
      case NR.openat: return this.openat(a[0], a[1], a[2]);
      case NR.close: {
        if (!this.fds[a[0]]) return -E.BADF;
        this.fds[a[0]] = undefined;
        return 0;
      }
      case NR.dup: {
        const f = this.fds[a[0]];
        if (!f) return -E.BADF;
        return this.allocFd(f);
      }
      case NR.dup3: {
        const f = this.fds[a[0]];
        if (!f || a[1] < 0 || a[1] > 1023) return -E.BADF;
        this.fds[a[1]] = f;
        return a[1];
      }
      case NR.fcntl64: {
        if (!this.fds[a[0]]) return -E.BADF;
        if (a[1] === 0 || a[1] === 1030) return this.allocFd(this.fds[a[0]]!, a[2]); // F_DUPFD(_CLOEXEC)
        if (a[1] === 3) return this.fds[a[0]]!.kind === 'stdout' || this.fds[a[0]]!.kind === 'stderr' ? 1 : 0; // F_GETFL
        return 0;
      }
      case NR.llseek: return this.llseek(a[0], a[1], a[2], a[3], a[4]);
      case NR.ioctl: return this.fds[a[0]] ? -E.NOTTY : -E.BADF;
      case NR.fstat64: {
        const f = this.fds[a[0]];
        if (!f) return -E.BADF;
        return this.writeStat(a[1], f.kind === 'file' ? S_IFREG | 0o644 : S_IFIFO | 0o600, f.data.length);
      }
      case NR.fstatat64: return this.fstatat(a[0], a[1], a[2], a[3]);
      case NR.faccessat:
      case NR.faccessat2: {
        const p = m.cstring(a[1]);
        if (p === undefined) return -E.FAULT;
        return this.lookup(p) ? 0 : -E.NOENT;
      }
      case NR.getcwd: {
        const cwd = new TextEncoder().encode('/work\0');
        if ((a[1] >>> 0) < cwd.length) return -E.RANGE;
        if (!m.ok(a[0], cwd.length)) return -E.FAULT;
        m.write(a[0], cwd);
        return cwd.length;
      }
      case NR.brk: return this.brk(a[0] >>> 0);
      case NR.mmap2: return this.mmap(a[0] >>> 0, a[1] >>> 0, a[3], a[4], a[5] >>> 0);
      case NR.munmap: return this.munmap(a[0] >>> 0, a[1] >>> 0);
      case NR.mremap: return -E.NOMEM;
      case NR.mprotect:
      case NR.madvise:
        return 0;
      case NR.set_tid_address: return PID;
      case NR.set_robust_list: return 0;
      case NR.futex:
      case NR.futex_time64:
        return (a[1] & 0x7f) === 1 ? 0 : -E.AGAIN; // FUTEX_WAKE wakes nobody; a wait would block forever
      case NR.getpid:
      case NR.gettid:
        return PID;
      case NR.getppid: return 1;
      case NR.getuid:
      case NR.geteuid:
      case NR.getgid:
      case NR.getegid:
        return 0;
      case NR.umask: return 0o022;
      case NR.sched_yield: return 0;
      case NR.prctl: return -E.INVAL;
      case NR.uname: return this.uname(a[0]);
      case NR.clock_gettime64: return this.clockGettime(a[1], true);
      case NR.clock_gettime32: return this.clockGettime(a[1], false);
      case NR.gettimeofday: {
        if (a[0] !== 0) {
          const ns = this.cpu.nowNs();
          m.setU32(a[0], EPOCH_BASE + Math.floor(ns / 1e9));
          m.setU32(a[0] + 4, Math.floor((ns % 1e9) / 1000));
        }
        return 0;
      }
      case NR.nanosleep:
      case NR.clock_nanosleep_time64:
        return 0;
      case NR.getrandom: {
        const n = a[1] >>> 0;
        if (!m.ok(a[0], n)) return -E.FAULT;
        m.write(a[0], Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff));
        return n;
      }
      case NR.prlimit64:
      case NR.getrlimit: {
        const out = nr === NR.prlimit64 ? a[3] : a[1];
        if (out !== 0) {
          // RLIM_INFINITY for everything, 8 MiB stack
          const inf = nr === NR.prlimit64 ? -1 : 0xffffffff;
          const res = a[nr === NR.prlimit64 ? 1 : 0];
          if (nr === NR.prlimit64) {
            m.setU64(out, res === 3 ? 8 << 20 : inf);
            m.setU64(out + 8, inf);
          } else {
            m.setU32(out, res === 3 ? 8 << 20 : inf);
            m.setU32(out + 4, inf);
          }
        }
        return 0;
      }
      case NR.rt_sigaction: return this.sigaction(a[0], a[1], a[2]);
      case NR.rt_sigprocmask: return this.sigprocmask(a[0], a[1], a[2]);
      case NR.rt_sigpending: {
        if (!m.ok(a[0], 8)) return -E.FAULT;
        m.setU32(a[0], this.signals.pendingLo);
        m.setU32(a[0] + 4, this.signals.pendingHi);
        return 0;
      }
      case NR.rt_sigreturn: return { kind: 'sigreturn' };
      case NR.kill:
        if (a[0] !== PID && a[0] !== 0 && a[0] !== -1) return -E.SRCH;
        return this.sendSignal(a[1], 0);
      case NR.tkill:
        if (a[0] !== PID) return -E.SRCH;
        return this.sendSignal(a[1], -6);
      case NR.tgkill:
        if (a[1] !== PID) return -E.SRCH;
        return this.sendSignal(a[2], -6);
      default:
        this.unknown.add(nr);
        return -E.NOSYS;
    }
  }

  private allocFd(f: OpenFile, min = 0): number {
    for (let i = Math.max(0, min); i < 1024; i++) {
      if (!this.fds[i]) {
        this.fds[i] = f;
        return i;
      }
    }
    return -24; // EMFILE
  }

  private write(fd: number, buf: number, len: number): number {
    const f = this.fds[fd];
    if (!f) return -E.BADF;
    if (f.kind !== 'stdout' && f.kind !== 'stderr') return -E.BADF;
    if (len === 0) return 0;
    if (!this.mem.ok(buf, len)) return -E.FAULT;
    const data = this.mem.bytes(buf, len);
    const sink = f.kind === 'stdout' ? this.stdout : this.stderr;
    for (let i = 0; i < data.length; i++) sink.push(data[i]!);
    return len;
  }

  private read(fd: number, buf: number, len: number, offset: number): number {
    const f = this.fds[fd];
    if (!f) return -E.BADF;
    if (f.kind !== 'stdin' && f.kind !== 'file') return -E.BADF;
    if (len === 0) return 0;
    if (!this.mem.ok(buf, len)) return -E.FAULT;
    const pos = offset >= 0 ? offset : f.pos;
    const n = Math.max(0, Math.min(len, f.data.length - pos));
    if (n > 0) this.mem.write(buf, f.data.subarray(pos, pos + n));
    if (offset < 0) f.pos = pos + n;
    return n;
  }

  private rwv(fd: number, iov: number, cnt: number, isWrite: boolean): number {
    if (cnt < 0 || cnt > 1024 || !this.mem.ok(iov, cnt * 8)) return cnt === 0 ? 0 : -E.INVAL;
    let total = 0;
    for (let i = 0; i < cnt; i++) {
      const base = this.mem.u32(iov + i * 8);
      const len = this.mem.u32(iov + i * 8 + 4);
      if (len === 0) continue;
      const r = isWrite ? this.write(fd, base, len) : this.read(fd, base, len, -1);
      if (r < 0) return total > 0 ? total : r;
      total += r;
      if (r < len) break;
    }
    return total;
  }

  private lookup(path: string): { dir: boolean; data: Uint8Array } | undefined {
    let p = path;
    while (p.startsWith('./')) p = p.slice(2);
    if (p === '/' || p === '.' || p === '/work' || p === '') return { dir: true, data: new Uint8Array(0) };
    const direct = this.io.files.get(p) ?? this.io.files.get(p.startsWith('/work/') ? p.slice(6) : '/work/' + p);
    if (direct) return { dir: false, data: direct };
    return undefined;
  }

  private openat(dirfd: number, pathPtr: number, flags: number): number {
    const path = this.mem.cstring(pathPtr);
    if (path === undefined) return -E.FAULT;
    if (dirfd !== AT_FDCWD && !path.startsWith('/')) return -E.NOENT;
    const found = this.lookup(path);
    if ((flags & 3) !== 0 || (flags & 0o100) !== 0) return found ? -E.ROFS : -E.NOENT; // write or O_CREAT
    if (!found) return -E.NOENT;
    if (found.dir) return -E.ISDIR;
    return this.allocFd({ kind: 'file', data: found.data, pos: 0, path });
  }

  private llseek(fd: number, hi: number, lo: number, result: number, whence: number): number {
    const f = this.fds[fd];
    if (!f) return -E.BADF;
    if (f.kind !== 'file') return -E.SPIPE;
    const off = hi * 0x100000000 + (lo >>> 0);
    const base = whence === 0 ? 0 : whence === 1 ? f.pos : whence === 2 ? f.data.length : NaN;
    if (Number.isNaN(base) || base + off < 0) return -E.INVAL;
    f.pos = base + off;
    if (result !== 0) this.mem.setU64(result, f.pos);
    return 0;
  }

  private fstatat(dirfd: number, pathPtr: number, buf: number, flags: number): number {
    const path = this.mem.cstring(pathPtr);
    if (path === undefined) return -E.FAULT;
    if (path === '' && (flags & AT_EMPTY_PATH) !== 0) {
      const f = this.fds[dirfd];
      if (!f) return -E.BADF;
      return this.writeStat(buf, f.kind === 'file' ? S_IFREG | 0o644 : S_IFIFO | 0o600, f.data.length);
    }
    const found = this.lookup(path);
    if (!found) return -E.NOENT;
    return this.writeStat(buf, found.dir ? S_IFDIR | 0o755 : S_IFREG | 0o644, found.data.length);
  }

  /** musl's struct kstat for or1k (asm-generic stat64, 104 bytes). */
  private writeStat(buf: number, mode: number, size: number): number {
    const m = this.mem;
    if (!m.ok(buf, 104)) return -E.FAULT;
    m.fill0(buf, 104);
    m.setU64(buf + 0, 1); // st_dev
    m.setU64(buf + 8, 2); // st_ino
    m.setU32(buf + 16, mode);
    m.setU32(buf + 20, 1); // nlink
    m.setU64(buf + 48, size);
    m.setU32(buf + 56, 4096); // blksize
    m.setU64(buf + 64, Math.ceil(size / 512));
    for (const o of [72, 80, 88]) m.setU32(buf + o, EPOCH_BASE);
    return 0;
  }

  private uname(buf: number): number {
    const fields = ['Linux', 'or1k', '6.12.0', '#1', 'openrisc', '(none)'];
    if (!this.mem.ok(buf, 65 * 6)) return -E.FAULT;
    this.mem.fill0(buf, 65 * 6);
    fields.forEach((s, i) => this.mem.write(buf + 65 * i, new TextEncoder().encode(s)));
    return 0;
  }

  private clockGettime(ts: number, time64: boolean): number {
    if (!this.mem.ok(ts, time64 ? 16 : 8)) return -E.FAULT;
    const ns = this.cpu.nowNs();
    const sec = EPOCH_BASE + Math.floor(ns / 1e9);
    if (time64) {
      this.mem.setU64(ts, sec);
      this.mem.setU32(ts + 8, ns % 1e9);
      this.mem.setU32(ts + 12, 0);
    } else {
      this.mem.setU32(ts, sec);
      this.mem.setU32(ts + 4, ns % 1e9);
    }
    return 0;
  }

  private brk(want: number): number {
    if (want === 0 || want < this.brkStart) return this.brkCur;
    const lowestMapped = this.lowestMapped();
    if (want > lowestMapped) return this.brkCur;
    if (want > this.brkCur) this.mem.fill0(this.brkCur, want - this.brkCur);
    this.brkCur = want;
    return this.brkCur;
  }

  private lowestMapped(): number {
    for (let i = 0; i < this.used.length; i++) if (this.used[i]) return this.mmapBase + i * PAGE;
    return this.mmapTop;
  }

  private mmap(addr: number, len: number, flags: number, fd: number, pgoff: number): number {
    if (len === 0) return -E.INVAL;
    const pages = Math.ceil(len / PAGE);
    let start = -1;
    if ((flags & MAP_FIXED) !== 0) {
      if ((addr & (PAGE - 1)) !== 0 || addr < this.mmapBase || addr + pages * PAGE > this.mmapTop) return -E.NOMEM;
      start = (addr - this.mmapBase) / PAGE;
    } else {
      // top-down first fit, never below the current break
      const floor = Math.max(0, Math.ceil((this.brkCur - this.mmapBase) / PAGE));
      for (let end = this.used.length; end - pages >= floor;) {
        let i = end - 1;
        while (i >= end - pages && !this.used[i]) i--;
        if (i < end - pages) {
          start = end - pages;
          break;
        }
        end = i;
      }
      if (start < 0) return -E.NOMEM;
    }
    const va = this.mmapBase + start * PAGE;
    this.used.fill(1, start, start + pages);
    this.mem.fill0(va, pages * PAGE);
    if ((flags & MAP_ANONYMOUS) === 0) {
      const f = this.fds[fd];
      if (!f || f.kind !== 'file') return -E.BADF;
      const off = pgoff * 4096;
      const n = Math.max(0, Math.min(len, f.data.length - off));
      if (n > 0) this.mem.write(va, f.data.subarray(off, off + n));
    }
    return va | 0;
  }

  private munmap(addr: number, len: number): number {
    if ((addr & (PAGE - 1)) !== 0) return -E.INVAL;
    const first = Math.max(0, Math.floor((addr - this.mmapBase) / PAGE));
    const last = Math.min(this.used.length, Math.ceil((addr + len - this.mmapBase) / PAGE));
    if (first < last) this.used.fill(0, first, last);
    return 0;
  }

  private sigaction(sig: number, act: number, old: number): number {
    if (sig < 1 || sig > 64) return -E.INVAL;
    const m = this.mem;
    const cur = this.signals.actions[sig]!;
    if (old !== 0) {
      if (!m.ok(old, 20)) return -E.FAULT;
      m.setU32(old, cur.handler);
      m.setU32(old + 4, cur.flags);
      m.setU32(old + 8, cur.restorer);
      m.setU32(old + 12, cur.maskLo);
      m.setU32(old + 16, cur.maskHi);
    }
    if (act !== 0) {
      if (sig === SIG.KILL || sig === SIG.STOP) return -E.INVAL;
      if (!m.ok(act, 20)) return -E.FAULT;
      // musl's struct k_sigaction: handler, flags, restorer, mask[2]
      this.signals.actions[sig] = { handler: m.u32(act), flags: m.u32(act + 4), restorer: m.u32(act + 8), maskLo: m.u32(act + 12), maskHi: m.u32(act + 16) };
    }
    return 0;
  }

  private sigprocmask(how: number, set: number, old: number): number {
    const s = this.signals;
    const m = this.mem;
    if (old !== 0) {
      if (!m.ok(old, 8)) return -E.FAULT;
      m.setU32(old, s.blockedLo);
      m.setU32(old + 4, s.blockedHi);
    }
    if (set !== 0) {
      if (!m.ok(set, 8)) return -E.FAULT;
      const lo = m.u32(set), hi = m.u32(set + 4);
      if (how === 0) { s.blockedLo |= lo; s.blockedHi |= hi; }
      else if (how === 1) { s.blockedLo &= ~lo; s.blockedHi &= ~hi; }
      else if (how === 2) { s.blockedLo = lo; s.blockedHi = hi; }
      else return -E.INVAL;
      s.blockedLo = (s.blockedLo & ~((1 << (SIG.KILL - 1)) | (1 << (SIG.STOP - 1)))) >>> 0;
      s.blockedHi >>>= 0;
    }
    return 0;
  }

  private sendSignal(sig: number, code: number): number {
    if (sig === 0) return 0;
    if (sig < 1 || sig > 64) return -E.INVAL;
    this.signals.raise(sig, code);
    return 0;
  }
}
