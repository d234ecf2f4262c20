#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

static int cur_level = LOG_INFO;
static int kmsg_fd = -1;

void log_set_level(int level)
{
	cur_level = level;
}

int log_get_level(void)
{
	return cur_level;
}

void log_set_kmsg(int fd)
{
	kmsg_fd = fd;
}

void log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int saved = errno;
	int n;
	const char *tag = level == LOG_ERR ? "error: " : level == LOG_WARN ? "warning: " : "";

	if (level > cur_level && !(kmsg_fd >= 0 && level <= LOG_INFO)) {
		return;
	}
	n = snprintf(line, sizeof(line), "kdumpcap: %s", tag);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2) {
		n = (int)sizeof(line) - 2;
	}
	line[n++] = '\n';
	if (level <= cur_level) {
		/* best effort: a console that cannot take the message is no reason to stop */
		if (write(2, line, (size_t)n) < 0) {
			/* nothing else to tell */
		}
	}
	if (kmsg_fd >= 0 && level <= LOG_INFO) {
		char kline[1040];
		int kn = snprintf(kline, sizeof(kline), "<%d>%.*s", level == LOG_ERR ? 3 : level == LOG_WARN ? 4 : 6,
				  n, line);
		if (write(kmsg_fd, kline, (size_t)(kn < (int)sizeof(kline) ? kn : (int)sizeof(kline) - 1)) < 0) {
			/* same */
		}
	}
	errno = saved;
}
