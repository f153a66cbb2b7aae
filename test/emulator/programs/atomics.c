/* GCC __atomic/__sync builtins (l.lwa/l.swa loops) on 32-bit words, plus
 * 8/16-bit ones (masked word CAS) and C11 stdatomic. */
#include <stdio.h>
#include <stdint.h>
#include <stdatomic.h>

static int32_t w = 5;
static uint8_t b8 = 250;
static uint16_t h16 = 65530;
static _Atomic int counter;

int main(void) {
  printf("fetch_add %d\n", __atomic_fetch_add(&w, 10, __ATOMIC_SEQ_CST));
  printf("add_fetch %d\n", __atomic_add_fetch(&w, -3, __ATOMIC_SEQ_CST));
  printf("fetch_sub %d\n", __atomic_fetch_sub(&w, 2, __ATOMIC_RELAXED));
  printf("fetch_or %d\n", __atomic_fetch_or(&w, 0x100, __ATOMIC_ACQUIRE));
  printf("fetch_and %d\n", __atomic_fetch_and(&w, 0xff0, __ATOMIC_RELEASE));
  printf("fetch_xor %d\n", __atomic_fetch_xor(&w, 0x55, __ATOMIC_ACQ_REL));
  printf("fetch_nand %d\n", __atomic_fetch_nand(&w, 0x0f, __ATOMIC_SEQ_CST));
  printf("exchange %d\n", __atomic_exchange_n(&w, 77, __ATOMIC_SEQ_CST));
  int32_t expected = 76;
  int ok = __atomic_compare_exchange_n(&w, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  printf("cas fail ok=%d expected=%d w=%d\n", ok, expected, w);
  ok = __atomic_compare_exchange_n(&w, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  printf("cas ok=%d expected=%d w=%d\n", ok, expected, w);
  printf("sync_val_cas %d\n", __sync_val_compare_and_swap(&w, 1, 9));
  printf("sync_bool_cas %d\n", __sync_bool_compare_and_swap(&w, 1, 9));
  printf("sync_fetch_and_add %d\n", __sync_fetch_and_add(&w, 1));
  printf("lock_test_and_set %d\n", __sync_lock_test_and_set(&w, 3));
  __sync_lock_release(&w);
  printf("w=%d\n", w);
  printf("u8 fetch_add %u -> ", __atomic_fetch_add(&b8, 10, __ATOMIC_SEQ_CST));
  printf("%u\n", b8);
  printf("u16 fetch_add %u -> ", __atomic_fetch_add(&h16, 10, __ATOMIC_SEQ_CST));
  printf("%u\n", h16);
  uint8_t e8 = 4;
  printf("u8 cas %d -> %u\n", __atomic_compare_exchange_n(&b8, &e8, 200, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST), b8);
  for (int i = 0; i < 1000; i++) atomic_fetch_add(&counter, i);
  printf("counter %d\n", atomic_load(&counter));
  atomic_flag f = ATOMIC_FLAG_INIT;
  printf("flag %d %d\n", atomic_flag_test_and_set(&f), atomic_flag_test_and_set(&f));
  return 0;
}
