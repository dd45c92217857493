#!/bin/sh
# exec-wrapper.sh: runs a unit test program, under valgrind for check-valgrind.
if [ -n "$CODE_VALGRIND" ]; then
	exec valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --track-fds=no "$@"
fi
exec "$@"
