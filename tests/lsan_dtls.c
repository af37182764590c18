/* lsan_dtls.c - the LeakSanitizer crash ci/sanitize.sh works around with
 * intercept_tls_get_addr=0 (see the comment there), made certain: a dlopen'd module's dynamic
 * TLS block placed 16 bytes into a page. GCC 12's __tls_get_addr interceptor then takes the 16
 * bytes before the block (ASan's chunk header) for a glibc < 2.25 {size, start} header, and at
 * exit LeakSanitizer scans that bogus range and its tracer dies ("Tracer caught signal 11",
 * google/sanitizers#1322). Exits 0 when LeakSanitizer survives; 77 (skipped) when the block
 * could not be placed (another allocator); argv[1]: the module (lsan_dtls_tls.c). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    void *lib = argc == 2 ? dlopen(argv[1], RTLD_NOW) : NULL;
    long *(*touch)(void) = lib ? (long *(*)(void))dlsym(lib, "lsan_dtls_touch") : NULL;
    if (!touch) return fprintf(stderr, "lsan_dtls: usage: lsan_dtls MODULE (%s)\n", dlerror()), 2;
    /* ASan hands out 8-byte blocks of a size class in address order, 32 bytes apart: stop
     * after the one that ends a page, so the next, glibc's TLS block, starts 16 bytes in */
    static void *keep[512]; /* kept reachable: no leak of ours */
    int n = 0;
    do keep[n] = malloc(8);
    while (((uintptr_t)keep[n++] & 4095) != 4096 - 16 && n < 512);
    uintptr_t at = (uintptr_t)touch();
    if ((at & 4095) != 16) {
        fprintf(stderr, "lsan_dtls: the TLS block is at page offset %u, not 16: skipped\n",
                (unsigned)(at & 4095));
        return 77;
    }
    fprintf(stderr, "lsan_dtls: the TLS block is 16 bytes into a page; LeakSanitizer runs at "
                    "exit (it dies here without intercept_tls_get_addr=0 on GCC 12)\n");
    return 0;
}
