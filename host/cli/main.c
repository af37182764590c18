/* main.c - the autorec executable. */
#include "cli.h"

int main(int argc, char **argv) { return ar_cli_main(argc, argv); }
