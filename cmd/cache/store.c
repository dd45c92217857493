/* store.c: code-cache's local tier: 64 shards, each an append-only pack of entry.h records behind an mmapped open-addressing index. */
#define _GNU_SOURCE /* F_OFD_SETLKW */
#include "cmd/cache/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cmd/cache/entry.h"
#include "libcommon/diag.h"
#include "libcommon/dirs.h"
#include "libcommon/exitcodes.h"
#include "libcommon/xalloc.h"

/*
 * LAYOUT (DIR is created 0700 and checked by dirs_check_private; every
 * file is 0600 and opened relative to an O_NOFOLLOW descriptor of DIR/v1):
 *   DIR/CACHEDIR.TAG       so backup tools skip the cache
 *   DIR/v1/meta            "code-cache store v1\nshards 64\n", written once
 *   DIR/v1/ctl             64 cache lines of shared u64 counters (mmapped,
 *                          changed only with atomic adds); byte NN of it is
 *                          the OFD lock of shard NN
 *   DIR/v1/NN.idx          index of shard NN (hex 00..3f), generation G
 *   DIR/v1/NN.G.pack       append-only records of shard NN, generation G
 *   DIR/v1/tmp/            NN.PID.SEQ.{idx,pack} while a compaction writes
 * A key's 128-bit XXH3 hash picks the shard (top 6 bits of the high half)
 * and the first probe (low bits of the high half); the low half is the
 * slot's tag, with 0 and 1 remapped to 2 and 3.
 *
 * FORMATS. A record is exactly an entry.h entry (magic, lengths, times,
 * XXH3-64 checksum, full key, value, zstd from 1 KiB), zero-padded to 16
 * bytes, so a pack can be walked without its index. An idx is a 4 KiB
 * header (struct idx_hdr: magic, shard, gen, nslots, stale flag and
 * counters) then nslots 32-byte slots: tag h1 (0 empty, 1 tombstone), h2,
 * ol = (offset / 16) << 28 | record length, atime_s, expires_s (0 never).
 * Linear probing. Index files are written in full, never sparse, so a
 * store into the mapping cannot fault on a full disk.
 *
 * READERS take no lock: probe the mapped index (h1 loaded with acquire),
 * bounds-check the record against the pack size (fstat only when it is
 * past the last size seen), decode it from the mapped pack: magic,
 * lengths, checksum and a full key compare. A slot read while it is being
 * rewritten can only lead to a record of another key or to garbage, which
 * both fail, never to another key's value. A hit stores atime_s without a
 * lock when it is more than 60 s old (LRU to a minute, as ccache).
 *
 * WRITERS lock shard NN (F_OFD_SETLKW on ctl byte NN; the kernel drops it
 * when the holder dies), append the pending records of that shard with
 * one pwrite at the 16-rounded end of the pack, and only then publish
 * each one: an overwrite is one 8-byte release store of ol; a new key
 * fills ol, h2, times and stores h1 last. So kill -9 at any instant
 * leaves either unreferenced bytes in a pack (skipped: the next append
 * starts at the file's end) or a slot that is whole. Header counters are
 * plain stores under the lock; a kill between publish and count makes
 * them drift until the next compaction recounts them. In batch mode puts
 * wait per shard in memory (visible to this process's gets) until
 * store_commit; a del in batch mode commits its shard first.
 *
 * INDEX GROWTH (under the lock, after a commit that takes the slots in
 * use past 70 %, or before one that would take them past 90 %): a new
 * index of twice the live keys (at first budget / 4 KiB slots, within
 * 256..4096) is written to tmp/
 * from the old slots, renamed over NN.idx, and the old one marked stale;
 * the pack stays as it is.
 *
 * COMPACTION (under the shard lock; after a commit when the pack passes
 * the shard budget max_size / 64 or when dead bytes pass half the pack
 * and 4 MiB; and for every shard in gc): take the live slots,
 * drop the expired ones, and when they pass 80 % of the budget (after a
 * commit) or the budget (gc) keep the most recently used (atime_s, so
 * LRU is per shard) up to 80 % of it. Copy each kept record
 * into tmp/, verifying its checksum and key hash on the way (corrupt ones
 * are dropped), build a new index sized to twice the entries, rename the
 * pack to NN.(G+1).pack, then the index over NN.idx, then set stale in
 * the old header and unlink NN.G.pack. Processes that still map the old
 * generation keep reading a consistent old state until they see stale
 * (checked before every probe, and with the inode of NN.idx under the
 * lock by writers). A kill during compaction leaves tmp files and maybe
 * an orphan pack, which gc removes (tmp files once their process is gone
 * and they are a minute old, or after an hour).
 *
 * RECOVERY. A corrupt record read by get is tombstoned under the lock if
 * its slot still points at it. An index with a bad header (or a missing
 * index next to a pack) is rebuilt from the newest pack by walking it at
 * 16-byte steps and accepting records whose checksum verifies (the later
 * one of a key wins; deletes since the last compaction come back, which
 * a cache may do). Power loss is not covered beyond that: nothing is
 * fsynced, and checksums turn lost pages into misses.
 *
 * SIGBUS. A pack truncated by someone else under a mapping makes the
 * next read of it fault. store_open installs a SIGBUS handler (process
 * state: the store that installed it puts the previous action back at
 * close, so a second store still open then reads unguarded) that, while
 * a record is read
 * under a sigsetjmp guard (a thread-local pointer to the jump buffer),
 * turns the fault into a corrupt record; outside a guard it restores the
 * default action and lets the signal kill the process as before.
 *
 * LIMITS. A record must be under 256 MiB and half a shard budget (about
 * 40 MiB at the default 5 GiB): bigger values are refused with a warning.
 * A struct store belongs to one thread. Not for network filesystems
 * shared between hosts (mmap coherence and OFD locks): use the Redis
 * tier to share between hosts.
 */

#define NSHARDS 64
#define IDX_HDR_SIZE 4096
#define IDX_MAGIC "CCIDX1\0\0"
#define IDX_VERSION 1
/* A new index has budget / 4 KiB slots within these bounds: small caches stay small. */
#define MIN_SLOTS 256u
#define MAX_INIT_SLOTS 4096u
#define MAX_SLOTS (UINT64_C(1) << 32)
#define LEN_BITS 28
#define LEN_MASK ((UINT64_C(1) << LEN_BITS) - 1)
#define MAX_PACK (UINT64_C(1) << 40)
#define CTL_SIZE (NSHARDS * 64)
#define DEFAULT_MAX_SIZE (UINT64_C(5) << 30)
#define TOUCH_AFTER_S 60
#define PEND_AUTOCOMMIT (4u << 20)
#define DEAD_MIN (4u << 20)
#define MIN_WINDOW (1u << 20)
#define TMP_MAX_AGE_S 3600
#define TMP_MIN_AGE_S 60
#define META_TEXT "code-cache store v1\nshards 64\n"
#define TAG_TEXT "Signature: 8a477f597d28d172789f06886806bc55\n" \
	"# This file is a cache directory tag created by code-cache.\n"

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

struct idx_hdr {
	char magic[8];
	uint32_t version, shard;
	uint64_t gen, nslots, stale, live, live_bytes, dead_bytes, tombstones;
	uint64_t pack_end_hint;
};

struct slot {
	uint64_t h1, h2, ol;
	uint32_t atime_s, expires_s;
};

_Static_assert(sizeof(struct slot) == 32, "slot layout");
_Static_assert(sizeof(struct idx_hdr) <= IDX_HDR_SIZE, "idx header");

/* Shared counters, one cache line per shard; stats sums the lines. */
enum ctl_counter {
	CTL_HITS, CTL_MISSES, CTL_PREFETCH_HITS, CTL_EVICTIONS, CTL_EXPIRED, CTL_CORRUPT,
	CTL_PUTS, CTL_N
};

struct ctl_line {
	uint64_t c[8];
};

_Static_assert(CTL_N <= 8, "ctl line");

struct hkey {
	uint64_t h1, h2;
};

/* A put waiting in its shard's buffer for the commit. */
struct pitem {
	struct hkey h;
	size_t off;
	uint32_t len, expires_s;
};

/* (h1, h2) -> index, for pending puts and for rebuilding an index. */
struct hent {
	struct hkey h;   /* h1 == 0: empty */
	uint32_t val, epoch;
};

struct hmap {
	struct hent *e;
	size_t mask, n;
};

struct shard {
	bool open;
	int idx_fd, pack_fd;
	struct idx_hdr *hdr;
	struct slot *slots;
	uint64_t mask;
	size_t idx_len;
	const unsigned char *pm;   /* pack window, PROT_READ */
	size_t pm_len;
	uint64_t pack_size;        /* last size seen; records past it are re-checked */
	uint64_t gen;
	struct strbuf pend;
	struct pitem *items;
	size_t nitems, citems;
	uint32_t epoch;
};

struct store {
	char *dir;
	int v1_fd, ctl_fd;
	struct ctl_line *ctl;
	uint64_t budget;
	uint64_t init_slots;
	bool batch;
	struct entry_zctx *z;
	struct strbuf scratch;
	struct hmap pending;
	uint64_t local[STORE_COUNT_N];
	int64_t now_ms;
	unsigned seq;
	unsigned rebuilt;
	int held[NSHARDS];      /* lock depth per shard */
	bool sigbus_ours;
	struct sigaction old_bus;
	struct shard sh[NSHARDS];
};

/* The one piece of process state: the jump buffer of the guarded read in progress. */
static _Thread_local sigjmp_buf *bus_jmp;

static void
bus_handler(int sig)
{
	sigjmp_buf *jb = bus_jmp;

	if (jb != NULL) {
		bus_jmp = NULL;
		siglongjmp(*jb, 1);
	}
	/* Not ours: the fault repeats on return and kills as it always did. */
	signal(sig, SIG_DFL);
}

/* ---------------------------------------------------------------- small helpers */

static uint64_t
round16(uint64_t n)
{
	return (n + 15) & ~UINT64_C(15);
}

static uint64_t
next_pow2(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static struct hkey
key_hash(const char *key, size_t key_len)
{
	XXH128_hash_t x = XXH3_128bits(key, key_len);
	struct hkey h = { x.low64, x.high64 };

	if (h.h1 < 2)
		h.h1 += 2;
	return h;
}

static int
shard_of(struct hkey h)
{
	return (int)(h.h2 >> 58);
}

static uint32_t
secs(int64_t ms)
{
	if (ms <= 0)
		return 0;
	if (ms / 1000 >= UINT32_MAX)
		return UINT32_MAX - 1;
	return (uint32_t)(ms / 1000);
}

/* Expiry in whole seconds rounded up, so an expired slot always holds an expired record. */
static uint32_t
expires_secs(int64_t expires_ms)
{
	if (expires_ms <= 0)
		return 0;
	return secs(expires_ms + 999);
}

/* Header counters may drift after a kill (see WRITERS); never let them wrap. */
static void
sub_sat(uint64_t *v, uint64_t n)
{
	*v = *v > n ? *v - n : 0;
}

static void
ctl_add(struct store *st, int sh, enum ctl_counter c, uint64_t n)
{
	if (n > 0)
		__atomic_fetch_add(&st->ctl[sh].c[c], n, __ATOMIC_RELAXED);
}

static void
shard_name(char *buf, size_t size, int sh, const char *suffix)
{
	snprintf(buf, size, "%02x.%s", sh, suffix);
}

static void
pack_name(char *buf, size_t size, int sh, uint64_t gen)
{
	snprintf(buf, size, "%02x.%llu.pack", sh, (unsigned long long)gen);
}

static int
write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

/* ---------------------------------------------------------------- hash map */

static void
hmap_clear(struct hmap *m)
{
	free(m->e);
	m->e = NULL;
	m->mask = 0;
	m->n = 0;
}

static struct hent *
hmap_slot(const struct hmap *m, struct hkey h)
{
	size_t i;

	for (i = h.h2 & m->mask;; i = (i + 1) & m->mask) {
		struct hent *e = &m->e[i];

		if (e->h.h1 == 0 || (e->h.h1 == h.h1 && e->h.h2 == h.h2))
			return e;
	}
}

static struct hent *
hmap_find(const struct hmap *m, struct hkey h)
{
	struct hent *e;

	if (m->e == NULL)
		return NULL;
	e = hmap_slot(m, h);
	return e->h.h1 == 0 ? NULL : e;
}

static struct hent *
hmap_insert(struct hmap *m, struct hkey h)
{
	struct hent *e;

	if (m->e == NULL || (m->n + 1) * 2 > m->mask + 1) {
		struct hmap big = { NULL, m->mask ? m->mask * 2 + 1 : 255, 0 };
		size_t i;

		big.e = xcalloc(big.mask + 1, sizeof(*big.e));
		for (i = 0; m->e != NULL && i <= m->mask; i++) {
			if (m->e[i].h.h1 != 0) {
				*hmap_slot(&big, m->e[i].h) = m->e[i];
				big.n++;
			}
		}
		free(m->e);
		*m = big;
	}
	e = hmap_slot(m, h);
	if (e->h.h1 == 0) {
		e->h = h;
		m->n++;
	}
	return e;
}

/* ---------------------------------------------------------------- locks */

/*
 * Locks nest (a repair under a held lock locks again): an OFD lock taken
 * twice on one descriptor is one lock, and the first unlock would drop it.
 */
static int
shard_lock(struct store *st, int sh, short type)
{
	struct flock fl = { 0 };

	if (type == F_UNLCK ? --st->held[sh] > 0 : st->held[sh]++ > 0)
		return 0;
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = sh;
	fl.l_len = 1;
	while (fcntl(st->ctl_fd, F_OFD_SETLKW, &fl) < 0) {
		if (errno != EINTR) {
			if (type != F_UNLCK)
				st->held[sh]--;
			return diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
						"cannot lock shard %02x of '%s'", sh, st->dir);
		}
	}
	return 0;
}

static void
shard_unlock(struct store *st, int sh)
{
	shard_lock(st, sh, F_UNLCK);
}

/* ---------------------------------------------------------------- mapping a shard */

static void
shard_unmap(struct shard *s)
{
	if (!s->open)
		return;
	munmap(s->hdr, s->idx_len);
	if (s->pm != NULL)
		munmap((void *)s->pm, s->pm_len);
	close(s->idx_fd);
	close(s->pack_fd);
	s->open = false;
	s->hdr = NULL;
	s->slots = NULL;
	s->pm = NULL;
}

/* Maps the pack window so that it covers at least need bytes. */
static int
map_pack(struct shard *s, uint64_t need)
{
	size_t len = MIN_WINDOW;
	void *p;

	while (len < need * 2 && len < (SIZE_MAX >> 2))
		len <<= 1;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_NORESERVE, s->pack_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (s->pm != NULL)
		munmap((void *)s->pm, s->pm_len);
	s->pm = p;
	s->pm_len = len;
	return 0;
}

/*
 * Maps idx_fd and pack_fd (already open) into s. Returns 0, 1 when the
 * index header is not valid (or stale), -1 on a system error.
 */
static int
shard_map(struct shard *s, int sh, int idx_fd, int pack_fd)
{
	struct stat sb;
	struct idx_hdr *h;
	uint64_t ns;

	s->idx_fd = idx_fd;
	s->pack_fd = pack_fd;
	if (fstat(idx_fd, &sb) < 0)
		return -1;
	if ((uint64_t)sb.st_size < IDX_HDR_SIZE)
		return 1;
	h = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, idx_fd, 0);
	if (h == MAP_FAILED)
		return -1;
	ns = h->nslots;
	if (memcmp(h->magic, IDX_MAGIC, 8) != 0 || h->version != IDX_VERSION ||
	    h->shard != (uint32_t)sh || ns < 16 || ns > MAX_SLOTS || (ns & (ns - 1)) != 0 ||
	    (uint64_t)sb.st_size != IDX_HDR_SIZE + ns * sizeof(struct slot) ||
	    LOAD_ACQ(&h->stale) != 0) {
		munmap(h, (size_t)sb.st_size);
		return 1;
	}
	s->hdr = h;
	s->idx_len = (size_t)sb.st_size;
	s->slots = (struct slot *)((char *)h + IDX_HDR_SIZE);
	s->mask = ns - 1;
	s->gen = h->gen;
	s->pm = NULL;
	s->pack_size = 0;
	if (pack_fd >= 0 && fstat(pack_fd, &sb) == 0)
		s->pack_size = (uint64_t)sb.st_size;
	if (map_pack(s, s->pack_size) < 0) {
		munmap(h, s->idx_len);
		return -1;
	}
	s->open = true;
	return 0;
}

static int rebuild_shard(struct store *st, int sh);

/*
 * Opens shard sh: 0, 1 when it does not exist and create is false, or
 * -CODE_EXIT_IOERR. A bad index is rebuilt (under the lock) from its pack.
 */
static int
shard_open(struct store *st, int sh, bool create)
{
	struct shard *s = &st->sh[sh];
	char name[64];
	int attempt, ifd, pfd, r;

	if (s->open && LOAD_ACQ(&s->hdr->stale) == 0)
		return 0;
	shard_unmap(s);
	for (attempt = 0; attempt < 8; attempt++) {
		shard_name(name, sizeof(name), sh, "idx");
		ifd = openat(st->v1_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (ifd < 0 && errno != ENOENT)
			goto fail;
		if (ifd < 0 || attempt >= 4) {
			/* Missing, or still bad after retries: repair under the lock. */
			if (ifd >= 0)
				close(ifd);
			if (ifd < 0 && !create)
				return 1;
			if (shard_lock(st, sh, F_WRLCK) < 0)
				return -CODE_EXIT_IOERR;
			r = rebuild_shard(st, sh);
			shard_unlock(st, sh);
			if (r < 0)
				return r;
			if (s->open)
				return 0;
			continue;
		}
		/* The generation is read twice: from a first mapping, then for real. */
		{
			struct idx_hdr h;

			if (pread(ifd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
			    memcmp(h.magic, IDX_MAGIC, 8) != 0 || h.shard != (uint32_t)sh) {
				close(ifd);
				attempt = attempt < 3 ? 3 : attempt;
				continue;
			}
			pack_name(name, sizeof(name), sh, h.gen);
		}
		/* After retries, a lost pack is recreated empty: its entries read as corrupt. */
		pfd = openat(st->v1_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
					      (attempt >= 2 ? O_CREAT : 0), 0600);
		if (pfd < 0) {
			close(ifd);
			if (errno == ENOENT)
				continue; /* a compaction replaced it meanwhile */
			goto fail;
		}
		r = shard_map(s, sh, ifd, pfd);
		if (r == 0)
			return 0;
		close(ifd);
		close(pfd);
		if (r < 0)
			goto fail;
	}
	return diag_error(CODE_EXIT_IOERR, NULL, "cannot open shard %02x of '%s'", sh, st->dir);
fail:
	return diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "cannot open shard %02x of '%s'",
				sh, st->dir);
}

/*
 * Under the lock: makes sure s maps the current generation (a compactor
 * that died between its renames never marked the old one stale).
 */
static int
shard_current(struct store *st, int sh, bool create)
{
	struct shard *s = &st->sh[sh];
	char name[64];
	struct stat a, b;

	if (s->open && LOAD_ACQ(&s->hdr->stale) == 0) {
		shard_name(name, sizeof(name), sh, "idx");
		if (fstatat(st->v1_fd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fstat(s->idx_fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return 0;
		STORE_REL(&s->hdr->stale, 1);
	}
	shard_unmap(s);
	/* The lock is ours, so nothing replaces the files while we open them. */
	return shard_open(st, sh, create);
}

/* ---------------------------------------------------------------- reading records */

/* The record at off, len bytes, or NULL when it is past the end of the pack. */
static const unsigned char *
record_at(struct shard *s, uint64_t off, uint64_t len)
{
	struct stat sb;

	if (off + len > s->pack_size) {
		if (fstat(s->pack_fd, &sb) < 0)
			return NULL;
		s->pack_size = (uint64_t)sb.st_size;
		if (off + len > s->pack_size)
			return NULL;
	}
	if (off + len > s->pm_len && map_pack(s, s->pack_size) < 0)
		return NULL;
	return s->pm + off;
}

/*
 * Decodes (and with out set, copies the value of) the record p[0, len)
 * under the SIGBUS guard. Returns 0, -1 corrupt (why set), -2 another key.
 */
static int
guarded_decode(struct store *st, const unsigned char *p, size_t len, const char *key,
	       size_t key_len, struct cache_entry *e, struct strbuf *out, const char **why)
{
	sigjmp_buf jb;
	int r;

	if (sigsetjmp(jb, 0) != 0) {
		*why = "pack truncated under the reader (SIGBUS)";
		return -1;
	}
	bus_jmp = &jb;
	r = entry_decode_z(st->z, p, len, 0, e, &st->scratch, why);
	if (r == 0 && key != NULL && (e->key_len != key_len || memcmp(e->key, key, key_len) != 0))
		r = -2;
	if (r == 0 && out != NULL) {
		strbuf_reset(out);
		strbuf_add(out, e->value, e->value_len);
	}
	bus_jmp = NULL;
	return r;
}

/* Tombstones slot x of shard sh if it still points at ol (a corrupt record). */
static void
drop_corrupt(struct store *st, int sh, struct slot *x, struct hkey h, uint64_t ol,
	     const char *why)
{
	struct shard *s = &st->sh[sh];
	uint64_t len = ol & LEN_MASK;

	if (shard_lock(st, sh, F_WRLCK) < 0)
		return;
	if (s->open && LOAD_ACQ(&s->hdr->stale) == 0 && LOAD_ACQ(&x->h1) == h.h1 &&
	    LOAD_RLX(&x->h2) == h.h2 && LOAD_ACQ(&x->ol) == ol) {
		STORE_REL(&x->h1, 1);
		sub_sat(&s->hdr->live, 1);
		s->hdr->tombstones++;
		sub_sat(&s->hdr->live_bytes, round16(len));
		s->hdr->dead_bytes += round16(len);
		ctl_add(st, sh, CTL_CORRUPT, 1);
		diag_info(DIAG_VERBOSE, NULL,
			  "%s: corrupt entry in shard %02x at offset %llu (%s): removed", st->dir,
			  sh, (unsigned long long)((ol >> LEN_BITS) * 16), why);
	}
	shard_unlock(st, sh);
}

/* ---------------------------------------------------------------- writing a generation */

struct kept {
	struct hkey h;
	uint64_t off;     /* in the source pack */
	uint32_t len, atime_s, expires_s, pad;
};

static int
by_atime_desc(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	if (x->atime_s != y->atime_s)
		return x->atime_s > y->atime_s ? -1 : 1;
	return x->off > y->off ? -1 : x->off < y->off;
}

/* Copies one verified record from src into out (padded), or returns -1. */
static int
copy_record(struct store *st, const unsigned char *src, uint64_t src_size, const struct kept *k,
	    struct strbuf *out)
{
	struct cache_entry e;
	const char *why;
	struct hkey h;
	size_t start = out->len;

	if (k->off + k->len > src_size || k->len < ENTRY_HEADER_SIZE)
		return -1;
	if (guarded_decode(st, src + k->off, k->len, NULL, 0, &e, NULL, &why) != 0)
		return -1;
	h = key_hash(e.key, e.key_len);
	if (h.h1 != k->h.h1 || h.h2 != k->h.h2)
		return -1;
	strbuf_grow(out, round16(k->len));
	{
		sigjmp_buf jb;

		if (sigsetjmp(jb, 0) != 0) {
			strbuf_setlen(out, start);
			return -1;
		}
		bus_jmp = &jb;
		strbuf_add(out, src + k->off, k->len);
		bus_jmp = NULL;
	}
	while (out->len % 16 != 0)
		strbuf_addch(out, '\0');
	return 0;
}

static int
open_tmp(struct store *st, int sh, const char *ext, char *name, size_t size)
{
	int fd;

	snprintf(name, size, "tmp/%02x.%ld.%u.%s", sh, (long)getpid(), st->seq++, ext);
	fd = openat(st->v1_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd;
}

/*
 * Under the lock: writes generation gen of shard sh from the kept records
 * of src (src_size bytes) and installs it, replacing old_gen (0: none).
 * *n is updated to the number actually kept; dropped counts corrupt ones.
 */
static int
write_generation(struct store *st, int sh, const unsigned char *src, uint64_t src_size,
		 struct kept *k, size_t *n, uint64_t extra_slots, uint64_t old_gen,
		 uint64_t *dropped)
{
	struct shard *s = &st->sh[sh];
	char pname[96], iname[96], final[64];
	struct strbuf out = STRBUF_INIT;
	struct slot *slots = NULL;
	struct idx_hdr *h;
	unsigned char *ibuf = NULL;
	uint64_t nslots, gen = old_gen + 1, written = 0, live_bytes = 0;
	size_t i, kept = 0;
	int pfd, ifd = -1, err;

	pfd = open_tmp(st, sh, "pack", pname, sizeof(pname));
	if (pfd < 0)
		return diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot create '%s'",
					st->dir, pname);
	nslots = next_pow2((*n + extra_slots) * 2);
	if (nslots < st->init_slots)
		nslots = st->init_slots;
	ibuf = xcalloc(1, IDX_HDR_SIZE + nslots * sizeof(struct slot));
	h = (struct idx_hdr *)ibuf;
	slots = (struct slot *)(ibuf + IDX_HDR_SIZE);
	for (i = 0; i < *n; i++) {
		uint64_t j;

		if (copy_record(st, src, src_size, &k[i], &out) < 0) {
			(*dropped)++;
			continue;
		}
		for (j = k[i].h.h2 & (nslots - 1); slots[j].h1 != 0; j = (j + 1) & (nslots - 1))
			;
		slots[j].h1 = k[i].h.h1;
		slots[j].h2 = k[i].h.h2;
		slots[j].ol = ((written + out.len - round16(k[i].len)) / 16) << LEN_BITS | k[i].len;
		slots[j].atime_s = k[i].atime_s;
		slots[j].expires_s = k[i].expires_s;
		live_bytes += round16(k[i].len);
		kept++;
		if (out.len >= (1u << 20)) {
			if (write_all(pfd, out.buf, out.len, (off_t)written) < 0)
				goto io_fail;
			written += out.len;
			strbuf_reset(&out);
		}
	}
	if (out.len > 0 && write_all(pfd, out.buf, out.len, (off_t)written) < 0)
		goto io_fail;
	written += out.len;
	memcpy(h->magic, IDX_MAGIC, 8);
	h->version = IDX_VERSION;
	h->shard = (uint32_t)sh;
	h->gen = gen;
	h->nslots = nslots;
	h->live = kept;
	h->live_bytes = live_bytes;
	h->pack_end_hint = written;
	ifd = open_tmp(st, sh, "idx", iname, sizeof(iname));
	if (ifd < 0 || write_all(ifd, ibuf, IDX_HDR_SIZE + nslots * sizeof(struct slot), 0) < 0)
		goto io_fail;
	pack_name(final, sizeof(final), sh, gen);
	if (renameat(st->v1_fd, pname, st->v1_fd, final) < 0)
		goto io_fail;
	shard_name(final, sizeof(final), sh, "idx");
	if (renameat(st->v1_fd, iname, st->v1_fd, final) < 0)
		goto io_fail;
	if (s->open)
		STORE_REL(&s->hdr->stale, 1);
	shard_unmap(s);
	if (old_gen > 0) {
		pack_name(final, sizeof(final), sh, old_gen);
		unlinkat(st->v1_fd, final, 0);
	}
	free(ibuf);
	strbuf_release(&out);
	*n = kept;
	if (shard_map(s, sh, ifd, pfd) != 0) {
		close(ifd);
		close(pfd);
		return diag_error(CODE_EXIT_IOERR, NULL, "%s: cannot map shard %02x", st->dir, sh);
	}
	return 0;
io_fail:
	err = errno;
	unlinkat(st->v1_fd, pname, 0);
	if (ifd >= 0) {
		unlinkat(st->v1_fd, iname, 0);
		close(ifd);
	}
	close(pfd);
	free(ibuf);
	strbuf_release(&out);
	return diag_error_errno(CODE_EXIT_IOERR, err, NULL, "%s: cannot write shard %02x",
				st->dir, sh);
}

enum compact_mode { COMPACT_AUTO, COMPACT_GC, COMPACT_CLEAR };

/* Under the lock, with s current: rewrites shard sh (see COMPACTION above). */
static int
compact(struct store *st, int sh, int64_t now_ms, enum compact_mode mode, uint64_t extra_slots,
	struct store_gc_result *res)
{
	struct shard *s = &st->sh[sh];
	struct kept *k;
	uint64_t total = 0, keep_max = st->budget / 10 * 8, expired = 0, evicted = 0;
	uint64_t corrupt = 0, old_size = s->pack_size, i;
	size_t n = 0, j;
	struct stat sb;
	int r;

	if (fstat(s->pack_fd, &sb) == 0)
		old_size = s->pack_size = (uint64_t)sb.st_size;
	if (old_size > s->pm_len && map_pack(s, old_size) < 0)
		return diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot map shard %02x",
					st->dir, sh);
	k = xcalloc(s->mask + 1, sizeof(*k));
	for (i = 0; mode != COMPACT_CLEAR && i <= s->mask; i++) {
		struct slot *x = &s->slots[i];
		uint64_t ol;

		if (x->h1 < 2)
			continue;
		if (x->expires_s != 0 && (int64_t)x->expires_s * 1000 <= now_ms) {
			expired++;
			continue;
		}
		ol = x->ol;
		k[n].h.h1 = x->h1;
		k[n].h.h2 = x->h2;
		k[n].off = (ol >> LEN_BITS) * 16;
		k[n].len = (uint32_t)(ol & LEN_MASK);
		k[n].atime_s = x->atime_s;
		k[n].expires_s = x->expires_s;
		total += round16(k[n].len);
		n++;
	}
	if (total > st->budget || (mode == COMPACT_AUTO && total > keep_max)) {
		uint64_t sum = 0;

		qsort(k, n, sizeof(*k), by_atime_desc);
		for (j = 0; j < n && sum + round16(k[j].len) <= keep_max; j++)
			sum += round16(k[j].len);
		evicted = n - j;
		n = j;
	}
	r = write_generation(st, sh, s->pm, old_size, k, &n, extra_slots, s->gen, &corrupt);
	free(k);
	if (r < 0)
		return r;
	if (mode != COMPACT_CLEAR) {
		ctl_add(st, sh, CTL_EVICTIONS, evicted);
		ctl_add(st, sh, CTL_EXPIRED, expired);
		ctl_add(st, sh, CTL_CORRUPT, corrupt);
	}
	if (res != NULL) {
		res->removed_expired += expired;
		res->removed_corrupt += corrupt;
		res->evicted += evicted;
		if (old_size > s->pack_size)
			res->reclaimed_bytes += old_size - s->pack_size;
	}
	return 0;
}

/* The highest generation among DIR/v1/NN.G.pack, 0 when there is none. */
static uint64_t
newest_pack(struct store *st, int sh)
{
	DIR *d;
	struct dirent *de;
	uint64_t best = 0;
	int fd = dup(st->v1_fd);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		unsigned s, len = 0;
		unsigned long long g;

		if (sscanf(de->d_name, "%2x.%llu.pack%n", &s, &g, &len) == 2 &&
		    de->d_name[len] == '\0' && len > 0 && (int)s == sh && g > best)
			best = g;
	}
	closedir(d);
	return best;
}

/*
 * Under the lock: rebuilds a missing or bad index of shard sh from the
 * newest pack (or creates an empty shard). A good index found meanwhile
 * is simply opened.
 */
static int
rebuild_shard(struct store *st, int sh)
{
	struct shard *s = &st->sh[sh];
	char name[64];
	struct hmap seen = { NULL, 0, 0 };
	struct kept *k = NULL;
	size_t n = 0, cap = 0;
	const unsigned char *pm = MAP_FAILED;
	uint64_t gen, size = 0, o, dropped = 0;
	struct stat sb;
	int ifd, pfd = -1, r;
	bool had_idx;

	shard_unmap(s);
	shard_name(name, sizeof(name), sh, "idx");
	ifd = openat(st->v1_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	had_idx = ifd >= 0;
	if (ifd >= 0) {
		struct idx_hdr h;

		if (pread(ifd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
		    memcmp(h.magic, IDX_MAGIC, 8) == 0 && h.shard == (uint32_t)sh) {
			pack_name(name, sizeof(name), sh, h.gen);
			pfd = openat(st->v1_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_CREAT, 0600);
			if (pfd >= 0 && shard_map(s, sh, ifd, pfd) == 0)
				return 0;
			if (pfd >= 0)
				close(pfd);
		}
		close(ifd);
	}
	gen = newest_pack(st, sh);
	if (gen > 0) {
		pack_name(name, sizeof(name), sh, gen);
		pfd = openat(st->v1_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (pfd >= 0 && fstat(pfd, &sb) == 0 && sb.st_size > 0) {
			size = (uint64_t)sb.st_size;
			pm = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, pfd, 0);
		}
	}
	for (o = 0; pm != MAP_FAILED && o + ENTRY_HEADER_SIZE <= size; o += 16) {
		struct cache_entry e;
		const char *why;
		uint64_t len;
		struct hkey h;
		struct hent *he;

		if (memcmp(pm + o, "CCE1", 4) != 0 || entry_peek(pm + o, size - o, &e, &why) < 0)
			continue;
		len = ENTRY_HEADER_SIZE + e.key_len +
		      ((uint64_t)pm[o + 36] | (uint64_t)pm[o + 37] << 8 |
		       (uint64_t)pm[o + 38] << 16 | (uint64_t)pm[o + 39] << 24 |
		       (uint64_t)pm[o + 40] << 32 | (uint64_t)pm[o + 41] << 40 |
		       (uint64_t)pm[o + 42] << 48 | (uint64_t)pm[o + 43] << 56);
		if (len > size - o || len > LEN_MASK ||
		    guarded_decode(st, pm + o, (size_t)len, NULL, 0, &e, NULL, &why) != 0)
			continue;
		h = key_hash(e.key, e.key_len);
		he = hmap_insert(&seen, h);
		if (he->epoch == 0) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				k = xreallocarray(k, cap, sizeof(*k));
			}
			he->val = (uint32_t)n++;
			he->epoch = 1;
		}
		k[he->val].h = h;
		k[he->val].off = o;
		k[he->val].len = (uint32_t)len;
		k[he->val].atime_s = secs(e.created_ms);
		k[he->val].expires_s = expires_secs(e.expires_ms);
		o += round16(len) - 16;
	}
	hmap_clear(&seen);
	r = write_generation(st, sh, pm == MAP_FAILED ? NULL : pm, size, k, &n, 0, gen, &dropped);
	if (pm != MAP_FAILED)
		munmap((void *)pm, (size_t)size);
	if (pfd >= 0)
		close(pfd);
	free(k);
	if (r == 0 && (had_idx || gen > 0)) {
		st->rebuilt++;
		diag_info(DIAG_VERBOSE, NULL, "%s: rebuilt the index of shard %02x (%zu entries)",
			  st->dir, sh, n);
	}
	return r;
}

/* ---------------------------------------------------------------- commit */

static bool
needs_compaction(const struct store *st, const struct shard *s, uint64_t pack_size)
{
	const struct idx_hdr *h = s->hdr;

	return pack_size > st->budget ||
	       (h->dead_bytes > pack_size / 2 && h->dead_bytes > DEAD_MIN);
}

/* Whether adding n keys would take the index past pct % of its slots. */
static bool
index_full(const struct shard *s, uint64_t n, unsigned pct)
{
	return (s->hdr->live + s->hdr->tombstones + n) * 100 > (s->mask + 1) * pct;
}

/*
 * Under the lock, with s current: replaces the index of shard sh by one
 * with room for extra more keys, over the same pack (no record is
 * copied, so growing is cheap; readers reopen it when they see stale).
 * Tombstones go and the live counters are recounted.
 */
static int
grow_index(struct store *st, int sh, uint64_t extra)
{
	struct shard *s = &st->sh[sh];
	uint64_t live = 0, live_bytes = 0, nslots, i, j;
	unsigned char *ibuf;
	struct idx_hdr *h;
	struct slot *slots;
	char iname[96], final[64];
	int ifd, err;

	for (i = 0; i <= s->mask; i++)
		live += s->slots[i].h1 >= 2;
	nslots = next_pow2((live + extra) * 2);
	if (nslots < st->init_slots)
		nslots = st->init_slots;
	if (nslots > MAX_SLOTS)
		return diag_error(CODE_EXIT_IOERR, NULL, "%s: shard %02x is full", st->dir, sh);
	ibuf = xcalloc(1, IDX_HDR_SIZE + nslots * sizeof(struct slot));
	h = (struct idx_hdr *)ibuf;
	slots = (struct slot *)(ibuf + IDX_HDR_SIZE);
	*h = *s->hdr;
	h->nslots = nslots;
	h->tombstones = 0;
	for (i = 0; i <= s->mask; i++) {
		const struct slot *x = &s->slots[i];

		if (x->h1 < 2)
			continue;
		for (j = x->h2 & (nslots - 1); slots[j].h1 != 0; j = (j + 1) & (nslots - 1))
			;
		slots[j] = *x;
		live_bytes += round16(x->ol & LEN_MASK);
	}
	h->live = live;
	h->live_bytes = live_bytes;
	ifd = open_tmp(st, sh, "idx", iname, sizeof(iname));
	shard_name(final, sizeof(final), sh, "idx");
	if (ifd < 0 || write_all(ifd, ibuf, IDX_HDR_SIZE + nslots * sizeof(struct slot), 0) < 0 ||
	    renameat(st->v1_fd, iname, st->v1_fd, final) < 0) {
		err = errno;
		if (ifd >= 0) {
			unlinkat(st->v1_fd, iname, 0);
			close(ifd);
		}
		free(ibuf);
		return diag_error_errno(CODE_EXIT_IOERR, err, NULL, "%s: cannot grow shard %02x",
					st->dir, sh);
	}
	free(ibuf);
	close(ifd);
	STORE_REL(&s->hdr->stale, 1);
	shard_unmap(s);
	return shard_open(st, sh, true);
}

/* Publishes a record appended at off: see WRITERS above for the order of stores. */
static void
publish(struct shard *s, const struct pitem *it, uint64_t off, uint32_t now_s)
{
	struct slot *tomb = NULL, *x = NULL;
	uint64_t ol = (off / 16) << LEN_BITS | it->len, i, n;

	for (i = it->h.h2 & s->mask, n = 0; n <= s->mask; i = (i + 1) & s->mask, n++) {
		uint64_t a = s->slots[i].h1;

		if (a == 0) {
			x = &s->slots[i];
			break;
		}
		if (a == 1) {
			if (tomb == NULL)
				tomb = &s->slots[i];
			continue;
		}
		if (a == it->h.h1 && s->slots[i].h2 == it->h.h2) {
			uint64_t old = s->slots[i].ol & LEN_MASK;

			x = &s->slots[i];
			s->hdr->dead_bytes += round16(old);
			sub_sat(&s->hdr->live_bytes, round16(old));
			s->hdr->live_bytes += round16(it->len);
			STORE_REL(&x->ol, ol);
			STORE_RLX(&x->atime_s, now_s);
			STORE_RLX(&x->expires_s, it->expires_s);
			return;
		}
	}
	if (tomb != NULL) {
		x = tomb;
		sub_sat(&s->hdr->tombstones, 1);
	}
	if (x == NULL)
		return; /* cannot happen: commit grows the index first */
	STORE_RLX(&x->ol, ol);
	STORE_RLX(&x->h2, it->h.h2);
	STORE_RLX(&x->atime_s, now_s);
	STORE_RLX(&x->expires_s, it->expires_s);
	STORE_REL(&x->h1, it->h.h1);
	s->hdr->live++;
	s->hdr->live_bytes += round16(it->len);
}

static int
commit_shard(struct store *st, int sh)
{
	struct shard *s = &st->sh[sh];
	struct stat sb;
	uint64_t base;
	uint32_t now_s = secs(st->now_ms);
	size_t i;
	int r;

	if (s->nitems == 0)
		return 0;
	if ((r = shard_lock(st, sh, F_WRLCK)) < 0)
		goto out;
	if ((r = shard_current(st, sh, true)) < 0)
		goto unlock;
	if (index_full(s, s->nitems, 90) && (r = grow_index(st, sh, s->nitems)) < 0)
		goto unlock;
	if (fstat(s->pack_fd, &sb) < 0) {
		r = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: shard %02x", st->dir, sh);
		goto unlock;
	}
	base = round16((uint64_t)sb.st_size);
	if (base + s->pend.len > MAX_PACK) {
		r = diag_error(CODE_EXIT_IOERR, NULL, "%s: shard %02x is full", st->dir, sh);
		goto unlock;
	}
	if (write_all(s->pack_fd, s->pend.buf, s->pend.len, (off_t)base) < 0) {
		r = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot write shard %02x",
				     st->dir, sh);
		goto unlock;
	}
	for (i = 0; i < s->nitems; i++)
		publish(s, &s->items[i], base + s->items[i].off, now_s);
	s->pack_size = base + s->pend.len;
	s->hdr->pack_end_hint = s->pack_size;
	ctl_add(st, sh, CTL_PUTS, s->nitems);
	if (needs_compaction(st, s, s->pack_size))
		r = compact(st, sh, st->now_ms, COMPACT_AUTO, 0, NULL);
	else if (index_full(s, 0, 70))
		r = grow_index(st, sh, 0);
unlock:
	shard_unlock(st, sh);
out:
	strbuf_reset(&s->pend);
	s->nitems = 0;
	s->epoch++;
	return r;
}

static void
flush_counters(struct store *st)
{
	ctl_add(st, 0, CTL_HITS, st->local[STORE_COUNT_HITS]);
	ctl_add(st, 0, CTL_MISSES, st->local[STORE_COUNT_MISSES]);
	ctl_add(st, 0, CTL_PREFETCH_HITS, st->local[STORE_COUNT_PREFETCH_HITS]);
	memset(st->local, 0, sizeof(st->local));
}

int
store_commit(struct store *st)
{
	int sh, r, ret = 0;

	for (sh = 0; sh < NSHARDS; sh++) {
		if ((r = commit_shard(st, sh)) < 0 && ret == 0)
			ret = r;
	}
	hmap_clear(&st->pending);
	flush_counters(st);
	return ret;
}

/* ---------------------------------------------------------------- open / close */

static int
write_once(struct store *st, int dfd, const char *name, const char *text, bool check)
{
	char tmp[64], buf[256];
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (check && (n < 0 || (size_t)n != strlen(text) || memcmp(buf, text, (size_t)n) != 0))
			return diag_error(CODE_EXIT_NOINPUT, NULL,
					  "refusing to use '%s': %s is not a code-cache store v1",
					  st->dir, name);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, text, strlen(text), 0) < 0 || close(fd) < 0 ||
	    renameat(dfd, tmp, dfd, name) < 0) {
		if (fd >= 0)
			unlinkat(dfd, tmp, 0);
		return diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot write %s",
					st->dir, name);
	}
	return 0;
}

static void
install_sigbus(struct store *st)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bus_handler;
	/* SA_NODEFER: the jump leaves the handler with SIGBUS unblocked, so the guard need not save the mask (a syscall per get). */
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, NULL, &st->old_bus) == 0 && st->old_bus.sa_handler != bus_handler &&
	    sigaction(SIGBUS, &sa, NULL) == 0)
		st->sigbus_ours = true;
}

int
store_open(const struct store_options *opts, struct store **out)
{
	struct store *st;
	struct stat sb;
	int dfd, r;

	*out = NULL;
	if ((r = dirs_make(opts->dir, 0700)) < 0)
		return -CODE_EXIT_NOINPUT;
	if ((r = dirs_check_private(opts->dir)) < 0)
		return r;
	st = xcalloc(1, sizeof(*st));
	st->dir = xstrdup(opts->dir);
	st->v1_fd = st->ctl_fd = -1;
	st->budget = (opts->max_size ? opts->max_size : DEFAULT_MAX_SIZE) / NSHARDS;
	/* Growing an index costs a rewrite and remaps: start big enough when the budget allows. */
	st->init_slots = next_pow2(st->budget / 4096);
	if (st->init_slots < MIN_SLOTS)
		st->init_slots = MIN_SLOTS;
	if (st->init_slots > MAX_INIT_SLOTS)
		st->init_slots = MAX_INIT_SLOTS;
	dfd = open(opts->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0) {
		r = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL, "cannot open '%s'", opts->dir);
		goto fail;
	}
	(void)write_once(st, dfd, "CACHEDIR.TAG", TAG_TEXT, false);
	if (mkdirat(dfd, "v1", 0700) < 0 && errno != EEXIST) {
		r = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot create v1", st->dir);
		close(dfd);
		goto fail;
	}
	st->v1_fd = openat(dfd, "v1", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	close(dfd);
	if (st->v1_fd < 0) {
		r = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL, "cannot open '%s/v1'", st->dir);
		goto fail;
	}
	if (mkdirat(st->v1_fd, "tmp", 0700) < 0 && errno != EEXIST) {
		r = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot create v1/tmp",
				     st->dir);
		goto fail;
	}
	if ((r = write_once(st, st->v1_fd, "meta", META_TEXT, true)) < 0)
		goto fail;
	st->ctl_fd = openat(st->v1_fd, "ctl", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->ctl_fd < 0 || fstat(st->ctl_fd, &sb) < 0 ||
	    (sb.st_size < CTL_SIZE && posix_fallocate(st->ctl_fd, 0, CTL_SIZE) != 0)) {
		r = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot create v1/ctl",
				     st->dir);
		goto fail;
	}
	st->ctl = mmap(NULL, CTL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, st->ctl_fd, 0);
	if (st->ctl == MAP_FAILED) {
		st->ctl = NULL;
		r = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "%s: cannot map v1/ctl", st->dir);
		goto fail;
	}
	st->z = entry_zctx_new();
	install_sigbus(st);
	*out = st;
	return 0;
fail:
	if (st->v1_fd >= 0)
		close(st->v1_fd);
	if (st->ctl_fd >= 0)
		close(st->ctl_fd);
	free(st->dir);
	free(st);
	return r;
}

int
store_close(struct store *st)
{
	int sh, r;

	if (st == NULL)
		return 0;
	r = store_commit(st);
	for (sh = 0; sh < NSHARDS; sh++) {
		shard_unmap(&st->sh[sh]);
		strbuf_release(&st->sh[sh].pend);
		free(st->sh[sh].items);
	}
	if (st->sigbus_ours)
		sigaction(SIGBUS, &st->old_bus, NULL);
	munmap(st->ctl, CTL_SIZE);
	close(st->ctl_fd);
	close(st->v1_fd);
	entry_zctx_free(st->z);
	strbuf_release(&st->scratch);
	hmap_clear(&st->pending);
	free(st->dir);
	free(st);
	return r;
}

/* ---------------------------------------------------------------- get / put / del */

/* A pending put (batch mode) of key: 0 hit, 1 deleted or other key, -1 none. */
static int
get_pending(struct store *st, struct hkey h, const char *key, size_t key_len,
	    int64_t now_ms, struct strbuf *value)
{
	struct shard *s = &st->sh[shard_of(h)];
	struct hent *e = hmap_find(&st->pending, h);
	struct cache_entry ce;
	const struct pitem *it;
	const char *why;

	if (e == NULL || e->epoch != s->epoch || e->val >= s->nitems)
		return -1;
	it = &s->items[e->val];
	if (entry_decode_z(st->z, s->pend.buf + it->off, it->len, 0, &ce, &st->scratch, &why) < 0 ||
	    ce.key_len != key_len || memcmp(ce.key, key, key_len) != 0)
		return 1;
	if (ce.expires_ms != 0 && ce.expires_ms <= now_ms)
		return 1;
	strbuf_reset(value);
	strbuf_add(value, ce.value, ce.value_len);
	return 0;
}

int
store_get(struct store *st, const char *key, size_t key_len, int64_t now_ms,
	  struct strbuf *value)
{
	struct hkey h = key_hash(key, key_len);
	int sh = shard_of(h), r, retried = 0;
	struct shard *s = &st->sh[sh];
	uint64_t i, n;

	strbuf_reset(value);
	if (key_len == 0)
		return STORE_MISS;
	if (st->pending.n > 0 && (r = get_pending(st, h, key, key_len, now_ms, value)) >= 0)
		return r == 0 ? STORE_HIT : STORE_MISS;
again:
	if (shard_open(st, sh, false) != 0)
		return STORE_MISS;
	for (i = h.h2 & s->mask, n = 0; n <= s->mask; i = (i + 1) & s->mask, n++) {
		struct slot *x = &s->slots[i];
		uint64_t a = LOAD_ACQ(&x->h1), ol, len;
		const unsigned char *p;
		struct cache_entry e;
		const char *why = "truncated";
		uint32_t now_s;

		if (a == 0)
			break;
		if (a != h.h1 || LOAD_RLX(&x->h2) != h.h2)
			continue;
		ol = LOAD_ACQ(&x->ol);
		len = ol & LEN_MASK;
		p = record_at(s, (ol >> LEN_BITS) * 16, len);
		r = p == NULL ? -1 : guarded_decode(st, p, (size_t)len, key, key_len, &e, value, &why);
		if (r == -2)
			continue; /* a hash collision, or a slot reused under us */
		if (r < 0) {
			strbuf_reset(value);
			drop_corrupt(st, sh, x, h, ol, why);
			if (retried++ == 0)
				goto again;
			return STORE_MISS;
		}
		if (e.expires_ms != 0 && e.expires_ms <= now_ms) {
			strbuf_reset(value);
			return STORE_MISS;
		}
		now_s = secs(now_ms);
		if (now_s > LOAD_RLX(&x->atime_s) + TOUCH_AFTER_S)
			STORE_RLX(&x->atime_s, now_s);
		return STORE_HIT;
	}
	return STORE_MISS;
}

int
store_put(struct store *st, const char *key, size_t key_len, const void *value,
	  size_t value_len, int64_t now_ms, int64_t ttl_ms)
{
	struct hkey h = key_hash(key, key_len);
	int sh = shard_of(h);
	struct shard *s = &st->sh[sh];
	struct cache_entry e = { key, key_len, value, value_len, now_ms, 0 };
	size_t start = s->pend.len, len;
	struct pitem *it;
	struct hent *he;

	if (key_len == 0 || value_len > (UINT64_C(4) << 30)) {
		diag_warn(NULL, "%s: %s: not stored", st->dir,
			  key_len == 0 ? "empty key" : "value over 4 GiB");
		return 1;
	}
	if (ttl_ms > 0)
		e.expires_ms = now_ms + ttl_ms;
	entry_encode_z(st->z, &e, &s->pend);
	len = s->pend.len - start;
	if (len > LEN_MASK || len > st->budget / 2) {
		strbuf_setlen(&s->pend, start);
		diag_warn(NULL, "%s: value of %zu bytes is too big for the cache (max %llu): not stored",
			  st->dir, value_len,
			  (unsigned long long)(st->budget / 2 < LEN_MASK ? st->budget / 2 : LEN_MASK));
		return 1;
	}
	while (s->pend.len % 16 != 0)
		strbuf_addch(&s->pend, '\0');
	if (s->nitems == s->citems) {
		s->citems = s->citems ? 2 * s->citems : 64;
		s->items = xreallocarray(s->items, s->citems, sizeof(*s->items));
	}
	it = &s->items[s->nitems];
	it->h = h;
	it->off = start;
	it->len = (uint32_t)len;
	it->expires_s = expires_secs(e.expires_ms);
	if (st->now_ms < now_ms)
		st->now_ms = now_ms;
	if (st->batch) {
		he = hmap_insert(&st->pending, h);
		he->val = (uint32_t)s->nitems;
		he->epoch = s->epoch;
	}
	s->nitems++;
	if (!st->batch || s->pend.len >= PEND_AUTOCOMMIT)
		return commit_shard(st, sh);
	return 0;
}

int
store_del(struct store *st, const char *key, size_t key_len)
{
	struct hkey h = key_hash(key, key_len);
	int sh = shard_of(h), r;
	struct shard *s = &st->sh[sh];
	bool found = false;
	uint64_t i, n;

	if (key_len == 0)
		return STORE_MISS;
	/* A pending put of the key is committed first, then deleted with the rest. */
	if ((r = commit_shard(st, sh)) < 0)
		return r;
	if ((r = shard_open(st, sh, false)) != 0)
		return r < 0 ? r : STORE_MISS;
	if ((r = shard_lock(st, sh, F_WRLCK)) < 0)
		return r;
	if ((r = shard_current(st, sh, false)) != 0) {
		shard_unlock(st, sh);
		return r < 0 ? r : STORE_MISS;
	}
	for (i = h.h2 & s->mask, n = 0; n <= s->mask; i = (i + 1) & s->mask, n++) {
		struct slot *x = &s->slots[i];
		uint64_t ol = x->ol, len = ol & LEN_MASK;
		const unsigned char *p;
		struct cache_entry e;
		const char *why;

		if (x->h1 == 0)
			break;
		if (x->h1 != h.h1 || x->h2 != h.h2)
			continue;
		/* The full key decides, as for get: a colliding key is not ours to delete. */
		p = record_at(s, (ol >> LEN_BITS) * 16, len);
		r = p == NULL ? -1 : guarded_decode(st, p, (size_t)len, key, key_len, &e, NULL, &why);
		if (r == -2)
			continue;
		STORE_REL(&x->h1, 1);
		sub_sat(&s->hdr->live, 1);
		s->hdr->tombstones++;
		sub_sat(&s->hdr->live_bytes, round16(len));
		s->hdr->dead_bytes += round16(len);
		found = r == 0;
		break;
	}
	shard_unlock(st, sh);
	return found ? 0 : STORE_MISS;
}

void
store_set_batch(struct store *st, bool on)
{
	if (st->batch && !on)
		store_commit(st);
	st->batch = on;
}

void
store_count(struct store *st, enum store_counter c, uint64_t n)
{
	st->local[c] += n;
	if (st->local[c] >= (1u << 20))
		flush_counters(st);
}

/* ---------------------------------------------------------------- stats / gc / clear */

int
store_stats(struct store *st, struct store_stats *out)
{
	struct stat sb;
	int sh, r, i;

	memset(out, 0, sizeof(*out));
	if ((r = store_commit(st)) < 0)
		return r;
	for (sh = 0; sh < NSHARDS; sh++) {
		struct shard *s = &st->sh[sh];

		if ((r = shard_open(st, sh, false)) < 0)
			return r;
		if (r == 1)
			continue;
		out->entries += s->hdr->live;
		out->live_bytes += s->hdr->live_bytes;
		if (fstat(s->pack_fd, &sb) == 0)
			out->bytes += (uint64_t)sb.st_size;
		out->bytes += s->idx_len;
	}
	for (i = 0; i < NSHARDS; i++) {
		const uint64_t *c = st->ctl[i].c;

		out->hits += LOAD_RLX(&c[CTL_HITS]);
		out->misses += LOAD_RLX(&c[CTL_MISSES]);
		out->prefetch_hits += LOAD_RLX(&c[CTL_PREFETCH_HITS]);
		out->evictions += LOAD_RLX(&c[CTL_EVICTIONS]);
		out->expired += LOAD_RLX(&c[CTL_EXPIRED]);
		out->corrupt += LOAD_RLX(&c[CTL_CORRUPT]);
		out->puts += LOAD_RLX(&c[CTL_PUTS]);
	}
	return 0;
}

/*
 * Whether a tmp file NN.PID.SEQ.EXT is a leftover: over an hour old, or
 * over a minute and its writer is gone (the minute spares a writer in
 * another PID namespace sharing the dir, whose pid means nothing here).
 */
static bool
tmp_is_leftover(const char *name, const struct stat *sb, time_t now)
{
	unsigned s;
	long pid;

	if (now - sb->st_mtime > TMP_MAX_AGE_S)
		return true;
	if (now - sb->st_mtime < TMP_MIN_AGE_S)
		return false;
	if (sscanf(name, "%2x.%ld.", &s, &pid) != 2 || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void
sweep_tmp(struct store *st, struct store_gc_result *res)
{
	int fd = openat(st->v1_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if (fd < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    tmp_is_leftover(de->d_name, &sb, time(NULL)) &&
		    unlinkat(fd, de->d_name, 0) == 0)
			res->tmp_files_removed++;
	}
	closedir(d);
}

/* Under the lock of sh: removes packs of sh that are not its current generation. */
static void
sweep_orphans(struct store *st, int sh, struct store_gc_result *res)
{
	int fd = dup(st->v1_fd);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		unsigned s, len = 0;
		unsigned long long g;

		if (sscanf(de->d_name, "%2x.%llu.pack%n", &s, &g, &len) == 2 && len > 0 &&
		    de->d_name[len] == '\0' && (int)s == sh && g != st->sh[sh].gen &&
		    unlinkat(st->v1_fd, de->d_name, 0) == 0)
			res->tmp_files_removed++;
	}
	closedir(d);
}

static int
each_shard(struct store *st, int64_t now_ms, enum compact_mode mode, struct store_gc_result *res)
{
	int sh, r, ret = 0;

	for (sh = 0; sh < NSHARDS; sh++) {
		/* A shard with a pack but no index is rebuilt; one with neither is left alone. */
		bool create = newest_pack(st, sh) > 0;

		if ((r = shard_open(st, sh, create)) == 1)
			continue;
		if (r < 0 || (r = shard_lock(st, sh, F_WRLCK)) < 0) {
			ret = r;
			continue;
		}
		r = shard_current(st, sh, create);
		if (r == 0)
			r = compact(st, sh, now_ms, mode, 0, res);
		if (r == 0 && res != NULL)
			sweep_orphans(st, sh, res);
		shard_unlock(st, sh);
		if (r < 0)
			ret = r;
	}
	return ret;
}

int
store_gc(struct store *st, int64_t now_ms, struct store_gc_result *out)
{
	unsigned before;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = store_commit(st)) < 0)
		return r;
	before = st->rebuilt;
	r = each_shard(st, now_ms, COMPACT_GC, out);
	sweep_tmp(st, out);
	out->rebuilt_indexes = st->rebuilt - before;
	return r;
}

int
store_clear(struct store *st)
{
	int sh, r;

	for (sh = 0; sh < NSHARDS; sh++) {
		strbuf_reset(&st->sh[sh].pend);
		st->sh[sh].nitems = 0;
		st->sh[sh].epoch++;
	}
	hmap_clear(&st->pending);
	r = each_shard(st, 0, COMPACT_CLEAR, NULL);
	for (sh = 0; sh < NSHARDS; sh++) {
		int c;

		for (c = 0; c < CTL_N; c++)
			__atomic_store_n(&st->ctl[sh].c[c], 0, __ATOMIC_RELAXED);
	}
	memset(st->local, 0, sizeof(st->local));
	return r;
}
