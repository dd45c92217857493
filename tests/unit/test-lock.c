/* test-lock.c: a held lock makes the second taker exit 75, naming the pid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcommon/exitcodes.h"
#include "libcommon/lock.h"
#include "tests/lib/tap.h"

int
main(void)
{
	char path[4200];
	int fd = -1, fd2 = -1, status = 0;
	pid_t child;

	snprintf(path, sizeof(path), "%s/state.json", tap_tmpdir());
	is_int(lock_acquire(path, &fd), 0, "a free lock is taken");
	ok(fd >= 0, "the lock fd is returned");
	child = fork();
	if (child == 0) {
		/* flock locks belong to the open file: a new open conflicts. */
		int r = lock_acquire(path, &fd2);

		_exit(r == -CODE_EXIT_TEMPFAIL ? 0 : 1);
	}
	waitpid(child, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a second run gets -75 while the lock is held");
	lock_release(fd);
	is_int(lock_acquire(path, &fd2), 0, "the lock can be taken again after release");
	lock_release(fd2);
	lock_release(-1);
	ok(1, "releasing -1 is harmless");
	return tap_done();
}
