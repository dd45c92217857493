/* secret.c: which names hold secrets, so their values print as "***". */
#include "libcommon/secret.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

bool
secret_name_matches(const char *name, const char *const *declared, size_t n)
{
	static const char *const patterns[] = {
		"*_TOKEN", "*_KEY", "*PASSWORD*", "*SECRET*",
	};
	char upper[256];
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, declared[i]) == 0)
			return true;
	/* Upper-cased by hand: FNM_CASEFOLD is a GNU extension. */
	for (i = 0; name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)toupper((unsigned char)name[i]);
	upper[i] = '\0';
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (fnmatch(patterns[i], upper, 0) == 0)
			return true;
	return false;
}
