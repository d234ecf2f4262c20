/* Personalities not built yet. Each file that implements one removes it here. */
#include "capture/cmds.h"
#include "lib/log.h"

static int not_yet(const char *what)
{
	log_err("'%s' is not implemented in this build", what);
	return 2;
}

int load_main(int argc, char **argv)
{
	return not_yet("load");
}

int unload_main(int argc, char **argv)
{
	return not_yet("unload");
}
