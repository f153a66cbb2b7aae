/**
 * Signal state of the user-mode process: handlers set by rt_sigaction, the
 * blocked mask, pending signals, and the default actions. Delivery itself
 * (saving the context and entering the handler) is done by the runner.
 */

export const SIG = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11,
  USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22,
  URG: 23, WINCH: 28,
} as const;

export const SA = { SIGINFO: 4, ONSTACK: 0x08000000, RESTART: 0x10000000, NODEFER: 0x40000000, RESETHAND: 0x80000000 } as const;
export const SIG_DFL = 0;
export const SIG_IGN = 1;

export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  /** Blocked while the handler runs: signals 1..32 in lo, 33..64 in hi (bit n-1). */
  maskLo: number;
  maskHi: number;
}

/** Signals whose default action is to do nothing (stop/continue count as nothing here). */
const DEFAULT_IGNORE = new Set<number>([SIG.CHLD, SIG.CONT, SIG.STOP, SIG.TSTP, SIG.TTIN, SIG.TTOU, SIG.URG, SIG.WINCH]);

export class SignalState {
  readonly actions: SigAction[] = Array.from({ length: 65 }, () => ({ handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 }));
  blockedLo = 0;
  blockedHi = 0;
  pendingLo = 0;
  pendingHi = 0;
  /** si_code of each pending signal (SI_USER 0, SI_TKILL -6, SI_KERNEL 0x80). */
  readonly code = new Int32Array(65);

  raise(sig: number, code: number): void {
    if (sig <= 32) this.pendingLo = (this.pendingLo | (1 << (sig - 1))) >>> 0;
    else this.pendingHi = (this.pendingHi | (1 << (sig - 33))) >>> 0;
    this.code[sig] = code;
  }

  /** Lowest pending, unblocked signal (0 if none); clears it from pending. SIGKILL/SIGSTOP cannot be blocked. */
  take(): number {
    const lo = (this.pendingLo & (~this.blockedLo | (1 << (SIG.KILL - 1)) | (1 << (SIG.STOP - 1)))) >>> 0;
    const hi = (this.pendingHi & ~this.blockedHi) >>> 0;
    let sig = 0;
    if (lo !== 0) sig = 32 - Math.clz32(lo & -lo);
    else if (hi !== 0) sig = 32 + 32 - Math.clz32(hi & -hi);
    if (sig === 0) return 0;
    if (sig <= 32) this.pendingLo = (this.pendingLo & ~(1 << (sig - 1))) >>> 0;
    else this.pendingHi = (this.pendingHi & ~(1 << (sig - 33))) >>> 0;
    return sig;
  }

  /** 'ignore', 'terminate' or 'handle' for a signal about to be delivered. */
  disposition(sig: number): 'ignore' | 'terminate' | 'handle' {
    const a = this.actions[sig]!;
    if (sig === SIG.KILL) return 'terminate';
    if (a.handler === SIG_IGN) return 'ignore';
    if (a.handler === SIG_DFL) return DEFAULT_IGNORE.has(sig) ? 'ignore' : 'terminate';
    return 'handle';
  }
}
