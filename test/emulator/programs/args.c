/* argc/argv/envp and the auxiliary vector as the loader sets them up; the
 * exit status comes from the first argument. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  for (char **e = environ; *e; e++) printf("env %s\n", *e);
  printf("HOME=%s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
  printf("AT_PAGESZ=%lu sysconf=%ld\n", getauxval(AT_PAGESZ), sysconf(_SC_PAGESIZE));
  printf("AT_PHENT=%lu AT_PHNUM=%lu AT_ENTRY=%#lx AT_PHDR=%#lx\n", getauxval(AT_PHENT), getauxval(AT_PHNUM),
         getauxval(AT_ENTRY), getauxval(AT_PHDR));
  printf("AT_RANDOM set %d\n", getauxval(AT_RANDOM) != 0);
  printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
  return argc > 1 ? atoi(argv[1]) : 0;
}
