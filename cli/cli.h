/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The entryguard command's subcommands; each returns the process exit code. */
#ifndef ENTRYGUARD_CLI_H
#define ENTRYGUARD_CLI_H

/* Exit codes: 0 success, 1 the input was judged bad (invalid config,
 * unparsable address), 2 usage error. */
#define EG_EXIT_OK      0
#define EG_EXIT_INVALID 1
#define EG_EXIT_USAGE   2

/* argv[0] is the subcommand's name. */
int eg_cli_classify(int argc, char **argv);
int eg_cli_check_config(int argc, char **argv);
int eg_cli_status(int argc, char **argv);
int eg_cli_alerts(int argc, char **argv);

#endif
