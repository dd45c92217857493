/* app.c: the program that the EXAMPLES of code-cache(1) build. */
#include <stdio.h>

#include "greeting.h"

int
main(void)
{
	puts(GREETING);
	return 0;
}
