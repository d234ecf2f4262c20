#include "capture/cmds.h"
#include "lib/log.h"

int collector_main(int argc, char **argv)
{
	log_err("collector not built yet");
	return 1;
}
