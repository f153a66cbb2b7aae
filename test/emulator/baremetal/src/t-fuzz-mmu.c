/* t-fuzz-flags.c with both MMUs on, TLBs flushed every round (the running
 * code's entry too) and refilled by the miss handlers: the logs must be the
 * same as without the MMU, and the numbers of DTLB/ITLB misses must equal
 * QEMU's (no missed and no spurious misses). */
#define WITH_MMU 1
#include "t-fuzz-flags.c"
