/* greeting.h: what app prints. */
#define GREETING "hello from a cached build"
