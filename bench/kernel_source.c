/* kernel_source.c - prints the kernel program exactly as autorec hands it to a driver (the
 * host's defines, Random123's Philox and the cl/ files; AUTOREC_CL_DIR honoured), so that tools
 * outside a driver can compile it: bench/gpu_isa.py compiles it for AMD and NVIDIA GPUs.
 *
 *   autorec_kernel_source [--type cpu|gpu] [--params LIST] [--options]
 *
 * --type: whose default kernel parameters (host/core/kparams.c; default gpu); --params: fields
 * over those (as $AUTOREC_KERNEL_PARAMS); --options: print the build options (-D...) the
 * parameters give instead of the source.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int usage(void) {
    fprintf(stderr, "usage: autorec_kernel_source [--type cpu|gpu] [--params LIST] [--options]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *type = "gpu", *params = NULL;
    int options = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--type") && i + 1 < argc) type = argv[++i];
        else if (!strcmp(argv[i], "--params") && i + 1 < argc) params = argv[++i];
        else if (!strcmp(argv[i], "--options")) options = 1;
        else return usage();
    }
    if (strcmp(type, "cpu") && strcmp(type, "gpu")) return usage();
    ar_kparams kp;
    ar_kparams_default(&kp, type);
    if (params && ar_kparams_parse(params, &kp) != AR_OK) {
        fprintf(stderr, "autorec_kernel_source: --params: %s\n", ar_last_error());
        return 2;
    }
    if (options) {
        char opts[200];
        ar_kparams_options(&kp, opts, sizeof opts);
        printf("%s\n", opts + (opts[0] == ' '));
        return 0;
    }
    char *src = NULL;
    if (ar_program_source(&src) != AR_OK) {
        fprintf(stderr, "autorec_kernel_source: %s\n", ar_last_error());
        return 1;
    }
    int ok = fputs(src, stdout) >= 0 && fflush(stdout) == 0;
    free(src);
    if (!ok) fprintf(stderr, "autorec_kernel_source: cannot write the source\n");
    return ok ? 0 : 1;
}
