/* The collector as a library: what `kdumpcap [options] VMCORE [DUMPFILE]`
 * does, callable from PID 1 (initramfs/init.c) with the options of a
 * kdump.conf core_collector line. */
#ifndef KDC_COLLECTOR_H
#define KDC_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/kdumpfmt.h"
#include "transport/sink.h"
#include "transport/sshflat.h"

#define COMPRESS_NONE 0
#define COMPRESS_ZLIB KDUMP_DH_COMPRESSED_ZLIB
#define COMPRESS_LZO  KDUMP_DH_COMPRESSED_LZO
#define COMPRESS_ZSTD KDUMP_DH_COMPRESSED_ZSTD

struct collect_opts {
	unsigned level;      /* -d */
	int compress;        /* COMPRESS_* */
	bool flat;           /* -F */
	bool show_stats;     /* --show-stats */
	int msg_level;       /* --message-level (makedumpfile's bitmask) */
	unsigned threads;    /* --num-threads; 0 = pick */
	int zstd_level;      /* --zstd-level (ZSTD_LEVEL_DEFAULT) */
	size_t mem_budget;   /* bytes; 0 = derive from MemAvailable */
	bool progress;       /* progress lines on stderr */
};

/* --num-threads 0 (or none): one thread per online CPU, at most this many. */
#define COLLECT_MAX_AUTO_THREADS 8

/* Fill o->threads when the options left it 0: the online CPUs, capped. */
void collector_default_threads(struct collect_opts *o);

enum collect_mode { COLLECT_DUMP, COLLECT_DMESG, COLLECT_REARRANGE };

/* Parse a makedumpfile-compatible command line (argv[0] is the program
 * name). Fills opts, mode, and up to two positional paths. Returns 0, or
 * -EINVAL after printing a one-line error naming the bad option. */
int collector_parse(int argc, char **argv, struct collect_opts *o, enum collect_mode *mode, const char **in,
		    const char **out);

/* Write the kdump-compressed dump of VMCORE to SINK (finished or aborted
 * on return). 0 when the dump is complete; -errno otherwise, after the
 * header was flagged INCOMPLETE where the sink still took writes. */
int collect_dump(const struct collect_opts *o, const char *vmcore, struct sink *sink);

/* The flattened stream of VMCORE over the raw device DEV (or a file standing
 * for one), as PID 1 saves to a raw target: the old stream's first block is
 * cleared and synced before anything else, then the stream with a fresh
 * capture id (transport/flat.h). 0 when the dump is complete, -errno. */
int collect_to_raw(const struct collect_opts *o, const char *vmcore, const char *dev);

/* The flattened stream of VMCORE (a fresh capture id) on the stream FD
 * (a pipe to an SSH client), NAME for messages; FD is closed either way.
 * 0 when the whole stream, trailer included, was written. */
int collect_to_stream(const struct collect_opts *o, const char *vmcore, int fd, const char *name);

/* Write the dead kernel's log as text to FD. 0 or -errno. */
int collect_dmesg(const char *vmcore, int fd);

/* The collector as the source of an SSH server's log and flattened stream
 * (transport/sshflat.h): VMCORE with O, read through CS, which must outlive
 * the source. */
struct collect_source {
	const struct collect_opts *o;
	const char *vmcore;
};
struct sshflat_source collect_source(const struct collect_source *cs);

#endif
