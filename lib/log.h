/* Logging: one line per message, to stderr and optionally /dev/kmsg (PID 1). */
#ifndef KDC_LOG_H
#define KDC_LOG_H

enum log_level { LOG_ERR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DEBUG = 4 };

void log_set_level(int level);
int log_get_level(void);
/* Also copy messages at or above LOG_WARN..LOG_INFO to this fd (e.g. /dev/kmsg); -1 off. */
void log_set_kmsg(int fd);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
