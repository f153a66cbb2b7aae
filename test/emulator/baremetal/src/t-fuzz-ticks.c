/* t-fuzz-flags.c with the tick timer interrupting the random code every few
 * hundred instructions (at host-timing-dependent points under QEMU): exception
 * entry and l.rfe must be transparent, so the logged registers and flags are
 * the same as without interrupts. Only timing-independent facts are printed. */
#define WITH_TICKS 1
#include "t-fuzz-flags.c"
