#include "cli/cli.h"
int eg_cli_classify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
