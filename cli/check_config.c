#include "cli/cli.h"
int eg_cli_check_config(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
