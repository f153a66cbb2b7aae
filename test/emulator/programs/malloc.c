/* malloc/calloc/realloc/free patterns (musl mallocng: brk and mmap), with a
 * checksum of the contents so lost or mis-copied memory shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  enum { SLOTS = 300 };
  static unsigned char *p[SLOTS];
  static size_t sz[SLOTS];
  unsigned seed = 12345, h = 0;
  for (int round = 0; round < 4000; round++) {
    seed = seed * 1103515245 + 12345;
    int i = (seed >> 8) % SLOTS;
    size_t n = (seed >> 3) % ((round % 50 == 0) ? 300000 : 2000) + 1;
    if (p[i]) {
      for (size_t k = 0; k < sz[i]; k += 97) h = h * 31 + p[i][k];
      if (round % 3 == 0) {
        unsigned char *q = realloc(p[i], n);
        if (!q) return 2;
        if (n > sz[i]) memset(q + sz[i], (int)(n & 0xff), n - sz[i]);
        p[i] = q;
        sz[i] = n;
        continue;
      }
      free(p[i]);
      p[i] = 0;
    } else {
      p[i] = (round & 1) ? calloc(1, n) : malloc(n);
      if (!p[i]) return 1;
      if (!(round & 1)) memset(p[i], (int)(round & 0xff), n);
      sz[i] = n;
    }
  }
  for (int i = 0; i < SLOTS; i++) free(p[i]);
  printf("h=%08x\n", h);
  return 0;
}
