/* test_gemm_tune.c - CLBlast tuning entries (host/core/gemm_tune.c, gemm.c): the first matching
 * line of a kernel is the one found; a malformed line is refused naming FILE:LINE; values that
 * break CLBlast's tiling rules or the device's limits are refused; the shipped database parses
 * and its entries pass their checks. On a device: an entry from AUTOREC_CLBLAST_TUNING is
 * applied and GEMMs stay right; a bad entry leaves CLBlast's parameters with a note and the run
 * goes on; the fallback to CLBlast's generic parameters gives right GEMMs; "off" applies none.
 * Criterion runs each test in its own process, so one test's overrides never reach another. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

TestSuite(gemm_tune, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static const ar_gemm_device pocl = {"The pocl project", "pthread-skylake-avx512-Intel(R) Xeon(R) "
                                    "Processor @ 2.60GHz", "3.1+debian", 4096, 4 << 20};

#define DIRECT_OK "KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=0 PADB=0 VWMD=2 VWND=2 WGD=16"

Test(gemm_tune, first_matching_entry_of_the_kernel_wins) {
    const char *db = "# comment line\n"
                     "XgemmDirect | Mesa* | * | * | " DIRECT_OK "\n"
                     "\n"
                     "GemmRoutine | The pocl project | pthread-* | 3.1* | XGEMM_MIN_INDIRECT_SIZE=128\n"
                     "XgemmDirect | The pocl project | pthread-* | 3.1* | " DIRECT_OK "  # a comment\n"
                     "XgemmDirect | * | * | * | KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 "
                     "PADB=1 VWMD=1 VWND=1 WGD=32\n";
    ar_gemm_params p;
    int found = 0;
    cr_assert_eq(ar_gemm_tuning_find(db, "db.txt", &pocl, "XgemmDirect", &p, &found), AR_OK,
                 "%s", ar_last_error());
    cr_assert_eq(found, 1);
    cr_assert_str_eq(p.origin, "db.txt:5");
    cr_assert_eq(ar_gemm_param(&p, "WGD"), 16);
    cr_assert_eq(ar_gemm_param(&p, "VWMD"), 2);
    cr_assert_eq(p.n, 10);
    cr_assert_eq(ar_gemm_tuning_find(db, "db.txt", &pocl, "GemmRoutine", &p, &found), AR_OK);
    cr_assert(found && ar_gemm_param(&p, "XGEMM_MIN_INDIRECT_SIZE") == 128);
    cr_assert_eq(ar_gemm_tuning_find(db, "db.txt", &pocl, "Xgemm", &p, &found), AR_OK);
    cr_assert_eq(found, 0, "no Xgemm line");
    ar_gemm_device other = pocl;
    other.driver = "4.0"; /* the pocl lines want 3.1*: the catch-all line is next */
    cr_assert_eq(ar_gemm_tuning_find(db, "db.txt", &other, "XgemmDirect", &p, &found), AR_OK);
    cr_assert(found && !strcmp(p.origin, "db.txt:6") && ar_gemm_param(&p, "WGD") == 32);
}

/* bench/clblast_tune.sh's escaped names ('[' as "[[]", '*' as "[*]", '?' as "[?]", '\\' doubled;
 * tests/test_clblast_tune.sh) match the name itself and not what the raw name as a pattern would. */
Test(gemm_tune, escaped_names_match_only_themselves) {
    const char *db = "GemmRoutine | A[*]B[?]C\\\\D | Intel(R) UHD Graphics 620 [[]0x5917] | * | "
                     "XGEMM_MIN_INDIRECT_SIZE=64\n";
    ar_gemm_device d = pocl;
    d.platform = "A*B?C\\D", d.device = "Intel(R) UHD Graphics 620 [0x5917]";
    ar_gemm_params p;
    int found = 0;
    cr_assert_eq(ar_gemm_tuning_find(db, "u", &d, "GemmRoutine", &p, &found), AR_OK);
    cr_assert_eq(found, 1);
    d.platform = "AxB?C\\D";
    cr_assert_eq(ar_gemm_tuning_find(db, "u", &d, "GemmRoutine", &p, &found), AR_OK);
    cr_assert_eq(found, 0);
}

/* Text with one bad line at line 2 must be refused whatever kernel is asked for. */
static void refused(const char *line, ar_status want, const char *says) {
    char db[1024];
    snprintf(db, sizeof db, "GemmRoutine | * | * | * | XGEMM_MIN_INDIRECT_SIZE=64\n%s\n", line);
    ar_gemm_params p;
    int found = 1;
    ar_status st = ar_gemm_tuning_find(db, "user.txt", &pocl, "XgemmDirect", &p, &found);
    cr_assert_eq(st, want, "'%s' gave %d: %s", line, st, ar_last_error());
    cr_assert_eq(found, 0);
    cr_assert(strstr(ar_last_error(), "user.txt:2"), "%s", ar_last_error());
    cr_assert(strstr(ar_last_error(), says), "'%s' does not say '%s'", ar_last_error(), says);
}

Test(gemm_tune, malformed_lines_are_refused_naming_file_and_line) {
    refused("Xgemmdirect | * | * | * | WGD=16", AR_ERR_PARSE, "unknown kernel");
    refused("XgemmDirect | * | * | " DIRECT_OK, AR_ERR_PARSE, "expected KERNEL");
    refused("XgemmDirect | * | * | * | KWID=2 MDIMAD=8", AR_ERR_PARSE, "misses");
    refused("XgemmDirect | * | * | * | " DIRECT_OK " WGD=16", AR_ERR_PARSE, "twice");
    refused("XgemmDirect | * | * | * | " DIRECT_OK " MWG=16", AR_ERR_PARSE, "not a parameter");
    refused("XgemmDirect | * | * | * | KWID=-2", AR_ERR_PARSE, "non-negative integer");
    refused("XgemmDirect | * | * | * | KWID", AR_ERR_PARSE, "NAME=VALUE");
    refused("XgemmDirect | * | * | * | KWID=+2", AR_ERR_PARSE, "non-negative integer");
    refused("XgemmDirect | * | * | * | KWID=99999999999999999999", AR_ERR_PARSE,
            "non-negative integer");
    refused("XgemmDirect | * | * | * | " DIRECT_OK " | garbage", AR_ERR_PARSE, "expected KERNEL");
    refused("XgemmDirect | * | * | * | " DIRECT_OK " |", AR_ERR_PARSE, "expected KERNEL");
}

Test(gemm_tune, values_breaking_clblast_rules_or_device_limits_are_refused) {
    refused("XgemmDirect | * | * | * | KWID=32 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=0 PADB=0 "
            "VWMD=2 VWND=2 WGD=16", AR_ERR_INVALID_ARG, "tiling rules");
    refused("XgemmDirect | * | * | * | KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=0 PADB=0 "
            "VWMD=3 VWND=2 WGD=16", AR_ERR_INVALID_ARG, "VWMD");
    refused("XgemmDirect | * | * | * | KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=0 PADB=0 "
            "VWMD=2 VWND=2 WGD=0", AR_ERR_INVALID_ARG, "WGD=0 is not a power of two");
    /* WGD = 6 is a multiple of MDIMCD*NDIMCD/MDIMAD = 4/3 = 1 in integers: wrong results */
    refused("XgemmDirect | * | * | * | KWID=2 MDIMAD=3 MDIMCD=2 NDIMBD=2 NDIMCD=2 PADA=0 PADB=0 "
            "VWMD=1 VWND=1 WGD=6", AR_ERR_INVALID_ARG, "is not a power of two");
    /* powers of two, but MDIMAD = 8 does not divide MDIMCD*NDIMCD = 4 */
    refused("XgemmDirect | * | * | * | KWID=2 MDIMAD=8 MDIMCD=2 NDIMBD=2 NDIMCD=2 PADA=0 PADB=0 "
            "VWMD=1 VWND=1 WGD=16", AR_ERR_INVALID_ARG, "tiling rules");
    /* 4 * 2 * WGD^2 wraps to 0 in 64 bits: refused by the bound, not passed as 0 bytes */
    refused("XgemmDirect | * | * | * | KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=0 PADB=0 "
            "VWMD=4 VWND=1 WGD=2147483648", AR_ERR_INVALID_ARG, "WGD=2147483648 is not a power");
    ar_gemm_device small = pocl;
    small.max_wg = 32, small.local_mem = 1024;
    ar_gemm_params p;
    int found = 0;
    const char *db = "XgemmDirect | * | * | * | " DIRECT_OK "\n";
    cr_assert_eq(ar_gemm_tuning_find(db, "u", &small, "XgemmDirect", &p, &found),
                 AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "work-group"), "%s", ar_last_error());
    small.max_wg = 64; /* 8 x 8 fits; 2 x 16 x 16 floats = 2 KB of local memory do not */
    cr_assert_eq(ar_gemm_tuning_find(db, "u", &small, "XgemmDirect", &p, &found),
                 AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "local memory"), "%s", ar_last_error());
    const char *xg = "Xgemm | * | * | * | GEMMK=0 KREG=1 KWG=32 KWI=2 MDIMA=8 MDIMC=8 MWG=32 "
                     "NDIMB=16 NDIMC=16 NWG=32 SA=1 SB=1 STRM=0 STRN=0 VWM=4 VWN=3\n";
    cr_assert_eq(ar_gemm_tuning_find(xg, "u", &pocl, "Xgemm", &p, &found), AR_ERR_INVALID_ARG);
    /* KWG = 2 is a multiple of MDIMC*NDIMC/MDIMA = 4/3 = 1 in integers: wrong results */
    xg = "Xgemm | * | * | * | GEMMK=0 KREG=1 KWG=2 KWI=1 MDIMA=3 MDIMC=2 MWG=6 NDIMB=2 NDIMC=2 "
         "NWG=2 SA=1 SB=1 STRM=0 STRN=0 VWM=1 VWN=1\n";
    cr_assert_eq(ar_gemm_tuning_find(xg, "u", &pocl, "Xgemm", &p, &found), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "is not a power of two"), "%s", ar_last_error());
    /* powers of two, but MDIMA = 8 does not divide MDIMC*NDIMC = 4 */
    xg = "Xgemm | * | * | * | GEMMK=0 KREG=1 KWG=8 KWI=1 MDIMA=8 MDIMC=2 MWG=8 NDIMB=2 NDIMC=2 "
         "NWG=8 SA=1 SB=1 STRM=0 STRN=0 VWM=1 VWN=1\n";
    cr_assert_eq(ar_gemm_tuning_find(xg, "u", &pocl, "Xgemm", &p, &found), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "tiling rules"), "%s", ar_last_error());
}

Test(gemm_tune, shipped_database_parses_and_its_entries_pass_their_checks) {
    static const char *const kernels[] = {"Xgemm", "XgemmDirect", "GemmRoutine"};
    const ar_gemm_device nothing = {"no such platform", "no such device", "0", 4096, 1 << 20};
    ar_gemm_params p;
    int found = 0, any = 0;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(ar_gemm_tuning_find(ar_clblast_db, "shipped", &nothing, kernels[i], &p,
                                         &found), AR_OK, "%s", ar_last_error());
        cr_assert_eq(found, 0);
        /* the device the entries were tuned on, with limits a GPU has (256, 32 KB) */
        ar_gemm_device gpu_limits = pocl;
        gpu_limits.max_wg = 256, gpu_limits.local_mem = 32768;
        cr_assert_eq(ar_gemm_tuning_find(ar_clblast_db, "shipped", &gpu_limits, kernels[i], &p,
                                         &found), AR_OK, "%s", ar_last_error());
        any += found;
    }
    cr_assert(any >= 1, "the shipped database has no entry for PoCL 3.1 on the VM's CPU");
}

/* C = A B^T (A m x k, B n x k) on the device through ar_gemm, checked against the host. */
static void check_gemm(ar_ctx *c, int m, int n, int k) {
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)n * k);
    float *got = malloc(sizeof(float) * (size_t)m * n), *ref = malloc(sizeof(float) * (size_t)m * n);
    ar_rng rng = {tu_seed()};
    tu_fill(a, (size_t)m * k, -1, 1, &rng);
    tu_fill(b, (size_t)n * k, -1, 1, &rng);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int l = 0; l < k; l++) s += (double)a[i * k + l] * b[j * k + l];
            ref[i * n + j] = (float)s;
        }
    cl_mem da = tu_buffer(c, (size_t)m * k, a), db = tu_buffer(c, (size_t)n * k, b);
    cl_mem dc = tu_buffer(c, (size_t)m * n, NULL);
    cr_assert_eq(ar_gemm(c, 0, 1, (size_t)m, (size_t)n, (size_t)k, 1.0f, da, 0, (size_t)k, db, 0,
                         (size_t)k, 0.0f, dc, 0, (size_t)n), AR_OK, "%s", ar_last_error());
    tu_read(c, dc, (size_t)m * n, got);
    tu_compare("gemm", got, ref, (size_t)m * n, 1e-4 * k, 1e-4);
    clReleaseMemObject(da), clReleaseMemObject(db), clReleaseMemObject(dc);
    free(a), free(b), free(got), free(ref);
}

/* A context with AUTOREC_CLBLAST_TUNING set to a file holding text. */
static ar_ctx *ctx_with(const char *text) {
    setenv("AUTOREC_CLBLAST_TUNING", tu_write_file("tuning.txt", text), 1);
    return tu_ctx();
}

Test(gemm_tune, an_entry_from_the_user_file_is_applied_and_gemms_stay_right) {
    /* Direct kernel for every size here (the indirect one from 100000^3 on). */
    ar_ctx *c = ctx_with("XgemmDirect | * | * | * | " DIRECT_OK "\n"
                         "GemmRoutine | * | * | * | XGEMM_MIN_INDIRECT_SIZE=100000\n");
    const char *t = ar_ctx_gemm_tuning(c);
    cr_assert(strstr(t, "XgemmDirect from ") && strstr(t, "tuning.txt:1"), "%s", t);
    cr_assert(strstr(t, "GemmRoutine from ") && strstr(t, "tuning.txt:2"), "%s", t);
    check_gemm(c, 37, 23, 91);
    check_gemm(c, 64, 48, 33);
    /* the fallback a GEMM that fails to build takes: CLBlast's generic parameters, still
     * right (here, not in a test of its own: each CLBlast build costs seconds on PoCL) */
    ar_gemm_untune(c, "test");
    cr_assert(strstr(ar_ctx_gemm_tuning(c), "generic parameters"), "%s", ar_ctx_gemm_tuning(c));
    check_gemm(c, 37, 23, 91);
    ar_ctx_free(c);
}

Test(gemm_tune, a_bad_entry_leaves_clblast_parameters_and_the_run_goes_on) {
    ar_ctx *c = ctx_with("XgemmDirect | * | * | * | KWID=3 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 "
                         "PADA=0 PADB=0 VWMD=2 VWND=2 WGD=16\n");
    const char *t = ar_ctx_gemm_tuning(c);
    cr_assert(strstr(t, "XgemmDirect: CLBlast's own parameters kept") && strstr(t, "tuning.txt:1"),
              "%s", t);
    check_gemm(c, 37, 23, 91);
    ar_ctx_free(c);
}

Test(gemm_tune, a_nul_byte_in_the_file_is_refused_naming_its_line) {
    static const char text[] = "GemmRoutine | * | * | * | XGEMM_MIN_INDIRECT_SIZE=64\n\0garbage\n";
    FILE *f = fopen(tu_path("tuning.txt"), "wb");
    cr_assert(f && fwrite(text, 1, sizeof text - 1, f) == sizeof text - 1 && !fclose(f));
    setenv("AUTOREC_CLBLAST_TUNING", tu_path("tuning.txt"), 1);
    ar_ctx *c = tu_ctx();
    const char *t = ar_ctx_gemm_tuning(c);
    cr_assert(strstr(t, "tuning.txt:2: contains a NUL byte") && !strstr(t, " from "), "%s", t);
    ar_ctx_free(c);
}

Test(gemm_tune, an_unreadable_file_is_a_note_not_a_failure) {
    setenv("AUTOREC_CLBLAST_TUNING", tu_path("missing.txt"), 1);
    ar_ctx *c = tu_ctx();
    cr_assert(strstr(ar_ctx_gemm_tuning(c), "AUTOREC_CLBLAST_TUNING ignored"), "%s",
              ar_ctx_gemm_tuning(c));
    ar_ctx_free(c); /* the shipped entries' GEMMs: gemm_bench_validates */
}

Test(gemm_tune, off_applies_nothing) {
    setenv("AUTOREC_CLBLAST_TUNING", "off", 1);
    ar_ctx *c = tu_ctx();
    cr_assert(strstr(ar_ctx_gemm_tuning(c), "CLBlast defaults"), "%s", ar_ctx_gemm_tuning(c));
    ar_ctx_free(c);
}

/* A buffer over the device's largest allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE, lowered here with
 * AUTOREC_MAX_ALLOC as a GPU's would be) is refused in one line naming the buffer, both sizes and
 * the device, before the driver is asked. */
Test(gemm_tune, a_buffer_over_the_max_allocation_is_refused_by_name) {
    static char out[8192], err[8192];
    cr_assert_eq(tu_run_cli(tu_tmpdir(), "AUTOREC_MAX_ALLOC=1000000", out, err, sizeof out,
                            "train --synthetic 300x200x6000 --epochs 2 --hidden 800 --quiet"), 1,
                 "%s", err);
    cr_assert(strstr(err, "over the device's largest allocation (1000000 bytes, "
                          "CL_DEVICE_MAX_MEM_ALLOC_SIZE)"), "%s", err);
    cr_assert(strstr(err, "needs ") && strstr(err, " bytes"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), strrchr(err, '\n'), "one line: %s", err);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), "AUTOREC_MAX_ALLOC=lots", out, err, sizeof out,
                            "train --synthetic 300x200x6000 --epochs 2 --hidden 8 --quiet"), 2,
                 "%s", err);
    cr_assert(strstr(err, "AUTOREC_MAX_ALLOC"), "%s", err);
}
