/* test-httpd.c: stub until written. */
int
main(void)
{
	return 0;
}
