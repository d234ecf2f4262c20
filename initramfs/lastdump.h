/* The last capture's result, read from the dump directory on this machine:
 * the newest <address>-<date> (or savecore's <date>) directory, and whether it
 * holds a complete vmcore, only vmcore-incomplete, or neither. */
#ifndef KDC_LASTDUMP_H
#define KDC_LASTDUMP_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>

enum lastdump_state {
	LASTDUMP_NONE,       /* no dump directory at all */
	LASTDUMP_COMPLETE,   /* vmcore */
	LASTDUMP_INCOMPLETE, /* vmcore-incomplete: the capture was cut short */
	LASTDUMP_EMPTY,      /* a dump directory without either: failed before the dump */
};

struct lastdump {
	enum lastdump_state state;
	char dir[PATH_MAX];  /* the newest dump directory */
	char name[NAME_MAX + 1];
	time_t when;         /* its mtime */
};

/* The newest dump directory under BASE. 0 (LD->state NONE when there is
 * none) or -errno when BASE cannot be read. */
int lastdump_find(const char *base, struct lastdump *ld);
/* "complete", "INCOMPLETE (vmcore-incomplete only)", ... */
const char *lastdump_describe(enum lastdump_state s);

#endif
