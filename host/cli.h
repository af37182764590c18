/* cli.h - the command-line front end. */
#ifndef AR_CLI_H
#define AR_CLI_H
int ar_cli_main(int argc, char **argv);
#endif
