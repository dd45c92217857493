/* test-strbuf.c: the growable string keeps its NUL and its length. */
#include <stdlib.h>
#include <string.h>

#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

int
main(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	size_t len, i;

	is_str(strbuf_str(&sb), "", "unused buffer reads as empty");
	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, 'd');
	strbuf_addf(&sb, "-%d-%s", 42, "x");
	is_str(sb.buf, "abcd-42-x", "add, addch and addf append");
	is_int((long long)sb.len, 9, "len counts bytes");
	strbuf_setlen(&sb, 2);
	is_str(sb.buf, "ab", "setlen truncates and terminates");
	strbuf_setlen(&sb, 100);
	is_int((long long)sb.len, 2, "setlen never grows");
	strbuf_reset(&sb);
	for (i = 0; i < 10000; i++)
		strbuf_addf(&sb, "%05zu", i);
	is_int((long long)sb.len, 50000, "many appends grow the buffer");
	ok(strncmp(sb.buf + 49995, "09999", 5) == 0, "contents survive growth");
	strbuf_reset(&sb);
	strbuf_add(&sb, "a\0b", 3);
	is_int((long long)sb.len, 3, "binary data keeps embedded NULs");
	p = strbuf_detach(&sb, &len);
	is_int((long long)len, 3, "detach reports the length");
	ok(sb.buf == NULL && sb.len == 0, "detach empties the buffer");
	free(p);
	p = strbuf_detach(&sb, NULL);
	is_str(p, "", "detaching an empty buffer gives an empty string");
	free(p);
	strbuf_addf(&sb, "%s", "");
	is_str(strbuf_str(&sb), "", "empty format leaves it empty");
	strbuf_release(&sb);
	return tap_done();
}
