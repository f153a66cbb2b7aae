/* Signals: handlers via signal() and sigaction(SA_SIGINFO), raise(), kill() of
 * itself, a blocked signal staying pending until unblocked, SA_RESETHAND,
 * SIG_IGN; an illegal instruction as SIGILL left with siglongjmp; with an
 * argument, death by a signal (abort, SIGTERM, unhandled SIGILL).
 * (l.trap -> SIGTRAP is not tested: qemu-or1k 7.2 aborts on EXCP_TRAP in its
 * cpu_loop, "code should not be reached".) */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t hits[65];
static volatile int last_code = 99, last_signo;
static sigjmp_buf jb;

static void h(int sig) { hits[sig]++; }
static void hinfo(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  hits[sig]++;
  last_signo = si->si_signo;
  last_code = si->si_code;
}
static void hjump(int sig) {
  hits[sig]++;
  siglongjmp(jb, sig);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "abort") == 0) {
    printf("aborting\n");
    abort();
  }
  if (argc > 1 && strcmp(argv[1], "term") == 0) {
    printf("SIGTERM to self\n");
    kill(getpid(), SIGTERM);
    printf("not reached\n");
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "ill") == 0) {
    printf("illegal instruction, no handler\n");
    __asm__ volatile(".word 0xf0000000");
    return 0;
  }
  signal(SIGUSR1, h);
  raise(SIGUSR1);
  raise(SIGUSR1);
  printf("usr1 hits %d\n", hits[SIGUSR1]);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = hinfo;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  kill(getpid(), SIGUSR2);
  printf("usr2 hits %d signo %d code %d\n", hits[SIGUSR2], last_signo, last_code);

  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  printf("blocked: hits %d\n", hits[SIGUSR1]);
  sigset_t pend;
  sigpending(&pend);
  printf("pending usr1 %d\n", sigismember(&pend, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("unblocked: hits %d\n", hits[SIGUSR1]);

  signal(SIGUSR1, SIG_IGN);
  raise(SIGUSR1);
  printf("ignored: hits %d\n", hits[SIGUSR1]);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h;
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGALRM, &sa, NULL);
  raise(SIGALRM);
  struct sigaction now;
  sigaction(SIGALRM, NULL, &now);
  printf("resethand: hits %d handler reset %d\n", hits[SIGALRM], now.sa_handler == SIG_DFL);

  signal(SIGILL, hjump);
  int r = sigsetjmp(jb, 1);
  if (r == 0) {
    __asm__ volatile(".word 0xf0000000");
    printf("not reached\n");
  }
  printf("after SIGILL: r=%d hits %d\n", r, hits[SIGILL]);

  signal(SIGCHLD, SIG_DFL);
  raise(SIGCHLD);
  printf("SIGCHLD default ignored\n");
  return 3;
}
