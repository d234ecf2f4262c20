#include <stddef.h>

#include "vmcore/arch.h"

const struct arch_ops *arch_find(unsigned e_machine)
{
	static const struct arch_ops *const all[] = { &arch_x86_64, &arch_arm64 };

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i]->e_machine == e_machine) {
			return all[i];
		}
	}
	return NULL;
}
