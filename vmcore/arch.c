#include <stddef.h>
#include <stdio.h>

#include "vmcore/arch.h"

static const struct arch_ops *const all[] = { &arch_x86_64, &arch_arm64 };

const struct arch_ops *arch_find(unsigned e_machine)
{
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i]->e_machine == e_machine) {
			return all[i];
		}
	}
	return NULL;
}

void arch_names(char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]) && len < n; i++) {
		int k = snprintf(buf + len, n - len, "%s%s (EM %u)", i ? ", " : "", all[i]->machine,
				 all[i]->e_machine);

		len += k > 0 ? (size_t)k : 0;
	}
}
