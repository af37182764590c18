/* lsan_dtls_tls.c - the module lsan_dtls.c loads with dlopen: 8 bytes of TLS, as
 * libclang-cpp.so.15 (PoCL's compiler) has. glibc allocates a dlopen'd module's TLS block with
 * malloc(8) when a thread first touches it. */
__thread long lsan_dtls_word;

long *lsan_dtls_touch(void) {
    lsan_dtls_word++;
    return &lsan_dtls_word;
}
