/* Soft-float arithmetic and printf/strtod of floats and doubles (libgcc
 * soft-fp, musl's printf/strtod, libm). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const double vals[] = { 0.0, -0.0, 1.0, -1.5, 3.14159265358979, 1e-10, 1e100, -2.5e-300, 123456789.123456789,
                               0.1, 1.0 / 3.0, 65536.5, 1e15 + 0.3, 2.2250738585072014e-308 };
#define N (sizeof vals / sizeof vals[0])

int main(void) {
  for (unsigned i = 0; i < N; i++) {
    volatile double x = vals[i];
    printf("%g %f %e %.17g %a\n", x, x, x, x, x);
    volatile float f = (float)x;
    printf("  float %g %.9g; *3=%.17g /7=%.17g sqrt=%.17g floor=%g\n", (double)f, (double)f, x * 3, x / 7,
           sqrt(fabs(x)), floor(x));
    printf("  int %lld uns %llu\n", (long long)(x > 9e18 || x < -9e18 ? 0 : x), (unsigned long long)(x < 0 || x > 1e19 ? 0 : x));
  }
  double acc = 0;
  for (int i = 1; i <= 1000; i++) acc += 1.0 / ((double)i * i);
  printf("basel %.15f\n", acc);
  printf("sin %.12f cos %.12f exp %.12f log %.12f pow %.12f\n", sin(1.0), cos(1.0), exp(2.5), log(10.0), pow(2.0, 0.5));
  printf("strtod %.17g %.17g %g\n", strtod("2.718281828459045", NULL), strtod("-1e-5", NULL), strtod("inf", NULL));
  printf("nan %f inf %f cmp %d %d\n", nan(""), -INFINITY, 0.1 + 0.2 == 0.3, 1.0f < 2.0);
  float fs = 0;
  for (int i = 0; i < 100; i++) fs += 0.01f * (float)i;
  printf("fsum %.9g\n", (double)fs);
  return 0;
}
