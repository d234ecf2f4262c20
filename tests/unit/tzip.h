/* Compressed test data for the unit tests. */
#ifndef KDC_TZIP_H
#define KDC_TZIP_H

#include <stddef.h>

/* IN as one gzip stream into OUT (CAP bytes): its length, 0 when it does not fit. */
size_t t_gzip(const void *in, size_t len, void *out, size_t cap);

#endif
