/* pstore records (/sys/fs/pstore: the dying kernel's log kept by ramoops, EFI
 * or ERST when a crash could not be dumped) moved next to the dumps, as
 * systemd-pstore does: copied into <base>/pstore-<date>/, synced, and only
 * then removed from pstore, which frees the backend's space for the next crash. */
#ifndef KDC_PSTORE_H
#define KDC_PSTORE_H

#include <stddef.h>

#define PSTORE_DIR "/sys/fs/pstore"
#define PSTORE_RECORD_MAX (16u << 20) /* larger than any backend's record */

/* Move the records of SRC into a new directory under BASE (its path into DIR).
 * Returns how many were moved (0: nothing there, no directory made) or -errno
 * after a message; a record whose copy failed stays in SRC. */
int pstore_move(const char *src, const char *base, char *dir, size_t n);

#endif
