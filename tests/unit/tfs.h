/* Files for tests: fake sysfs trees and inputs under a temporary directory. */
#ifndef KDC_TFS_H
#define KDC_TFS_H

#include <stddef.h>

/* DIR/NAME with TEXT, making the directories on the way. */
void t_put(const char *dir, const char *name, const char *text);
/* DIR/NAME with LEN bytes of DATA, making the directories on the way. */
void t_put_bytes(const char *dir, const char *name, const void *data, size_t len);
void t_rm_rf(const char *dir);

#endif
