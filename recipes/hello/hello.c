/* A static or1k Linux program, compiled by mkrootfs (recipes/hello.yml) with
 * the guest's or1k-linux-musl-gcc and installed as /usr/bin/hello. */
#include <stdio.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
	struct utsname u;

	if (uname(&u) != 0) {
		perror("uname");
		return 1;
	}
	printf("Hello from mkrootfs: %s %s on %s", u.sysname, u.release, u.machine);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	return 0;
}
