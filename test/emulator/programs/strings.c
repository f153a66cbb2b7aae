/* libc string, memory, conversion and sorting functions (musl's optimized
 * word-at-a-time code paths, unaligned heads and tails). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

static int cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int main(void) {
  static char buf[512], buf2[512];
  unsigned h = 0;
  for (int off = 0; off < 8; off++) {
    for (int len = 0; len < 70; len += 7) {
      memset(buf, 'a' + off, sizeof buf);
      for (int i = 0; i < len; i++) buf2[i] = (char)(i * 7 + off);
      memcpy(buf + off, buf2, len);
      memmove(buf + off + 3, buf + off, len);
      memset(buf + 200 + off, 0x5a, len);
      buf[300] = 0;
      for (int i = 0; i < 301; i++) h = h * 31 + (unsigned char)buf[i];
      h += (unsigned)memcmp(buf, buf2, len + 1 > 64 ? 64 : len + 1);
    }
  }
  printf("mem h=%08x\n", h);
  const char *s = "The quick brown fox jumps over the lazy dog";
  printf("strlen %zu strchr %s strrchr %s strstr %s\n", strlen(s), strchr(s, 'q'), strrchr(s, 'o'), strstr(s, "lazy"));
  printf("strcmp %d %d %d strncmp %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0, strcmp("x", "x"), strncmp("abcdef", "abcxyz", 3));
  printf("strspn %zu strcspn %zu strpbrk %s\n", strspn(s, "Teh "), strcspn(s, "xyz"), strpbrk(s, "jv"));
  char tok[] = "a,b,,c;d";
  for (char *save, *t = strtok_r(tok, ",;", &save); t; t = strtok_r(NULL, ",;", &save)) printf("[%s]", t);
  putchar('\n');
  printf("strtol %ld %ld %ld strtoul %lu strtoll %lld\n", strtol("-1234", NULL, 10), strtol("0x7fffffff", NULL, 16),
         strtol("777", NULL, 8), strtoul("4294967295", NULL, 10), strtoll("-9223372036854775807", NULL, 10));
  printf("atoi %d %d\n", atoi("  42xyz"), atoi("-0"));
  char out[128];
  snprintf(out, sizeof out, "%5d|%-5d|%05d|%x|%X|%o|%c|%s|%.3s|%p|%%|%+d|% d", 42, 42, 42, 255, 255, 8, 'Z', "str", "abcdef", (void *)0x1234, 5, 5);
  printf("%s\n", out);
  printf("%" PRId64 " %" PRIu64 " %" PRIx64 "\n", INT64_MIN, UINT64_MAX, (uint64_t)0xdeadbeefcafebabeull);
  int arr[50];
  for (int i = 0; i < 50; i++) arr[i] = (i * 7919) % 101 - 50;
  qsort(arr, 50, sizeof arr[0], cmp);
  for (int i = 0; i < 50; i++) printf("%d%c", arr[i], i == 49 ? '\n' : ' ');
  int up = 0;
  for (const char *p = s; *p; p++) up += isupper((unsigned char)*p) + islower((unsigned char)*p) * 2 + isspace((unsigned char)*p) * 4;
  printf("ctype %d toupper %c tolower %c\n", up, toupper('q'), tolower('Q'));
  char *d = strdup(s);
  printf("strdup %s\n", d);
  free(d);
  return 0;
}
