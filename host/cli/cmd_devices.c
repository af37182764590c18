/* cmd_devices.c - `autorec devices`: the OpenCL platforms and devices, and the device specs that
 * --device and AUTOREC_DEVICE accept. */
#include <stddef.h>
#include <stdlib.h>

#include "cli.h"

typedef struct {
    int ids; /* --ids */
} devices_opts;

static ar_status run_devices(const cli_command *self, void *opts, const cli_parsed *p) {
    (void)self, (void)p; /* nothing but --ids to look at */
    const devices_opts *o = opts;
    ar_status st;
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0;
    st = ar_devices_list(&pl, &np, &dv, &nd);
    for (int d = 0; st == AR_OK && o->ids && d < nd; d++)
        printf("%d:%d\n", dv[d].platform, dv[d].device);
    free(pl);
    free(dv);
    if (st == AR_OK && !o->ids) cli_print_devices(stdout);
    return st;
}

static const cli_option devices_options[] = {
    {.name = "--ids", .kind = CLI_FLAG, .at = offsetof(devices_opts, ids),
     .help = "print only the device ids, one P:D per line (for scripts)"},
};
static const cli_group devices_group = CLI_GROUP("options", devices_options, NULL);
static const cli_use devices_groups[] = {{&devices_group, 0}};

const cli_command cli_cmd_devices = {
    .name = "devices",
    .summary = "list OpenCL platforms and devices",
    .usage = "autorec devices [--ids]",
    .about = "Lists every OpenCL platform and its devices. Each device has an id P:D (platform "
             "P, device D) and a flat index [N]. Anywhere a device is chosen (--device, "
             "AUTOREC_DEVICE) these specs are accepted:\n"
             "  P:D                 platform P, device D, e.g. 0:0\n"
             "  N                   the flat index\n"
             "  cpu|gpu|accelerator the first device of that type\n"
             "  TEXT                the first device whose name (then platform or vendor)\n"
             "                      contains TEXT, case-insensitive, e.g. pthread, llvmpipe,\n"
             "                      rusticl, radeon, nvidia\n"
             "The default is the first GPU, else the first device.",
    CLI_USES(devices_groups),
    .size = sizeof(devices_opts),
    .run = run_devices,
};
