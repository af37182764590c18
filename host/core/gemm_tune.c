/* gemm_tune.c - the CLBlast tuning database: reading its lines, finding the entry for a device,
 * checking an entry before CLBlast sees it (gemm.c applies it with CLBlastOverrideParameters).
 *
 * Format (docs/devices.md#tuned-clblast), one entry a line, '#' starts a comment:
 *
 *   KERNEL | PLATFORM | DEVICE | DRIVER | NAME=VALUE NAME=VALUE ...
 *
 * KERNEL is Xgemm (the indirect GEMM), XgemmDirect or GemmRoutine (XGEMM_MIN_INDIRECT_SIZE,
 * the m*n*k from which CLBlast switches from the direct to the indirect kernel); PLATFORM,
 * DEVICE and DRIVER are fnmatch(3) patterns over CL_PLATFORM_VENDOR, CL_DEVICE_NAME and
 * CL_DRIVER_VERSION, surrounding blanks ignored. The first matching line of a kernel wins.
 *
 * Why the checks: CLBlast takes any values and builds a kernel from them. Values that break
 * the kernels' divisibility rules give a build failure at the first GEMM or, worse, wrong
 * results, so an entry is held to the rules of CLBlast 1.5.3's own tuners
 * (src/tuning/kernels/xgemm.hpp, xgemm_direct.hpp: sizes are powers of two, divisions exact) and
 * to the device's work-group size and local memory before it is applied. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
    const char *kernel;
    const char *names[AR_GEMM_TUNE_MAX];
} kernel_spec;

/* Every parameter each kernel needs: CLBlastOverrideParameters refuses an incomplete set. */
static const kernel_spec specs[] = {
    {"Xgemm", {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG",
               "SA", "SB", "STRM", "STRN", "VWM", "VWN"}},
    {"XgemmDirect", {"KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "PADA", "PADB", "VWMD",
                     "VWND", "WGD"}},
    {"GemmRoutine", {"XGEMM_MIN_INDIRECT_SIZE"}},
};
#define N_SPECS (sizeof specs / sizeof specs[0])

static const kernel_spec *spec_of(const char *kernel) {
    for (size_t i = 0; i < N_SPECS; i++)
        if (!strcmp(specs[i].kernel, kernel)) return &specs[i];
    return NULL;
}

size_t ar_gemm_param(const ar_gemm_params *p, const char *name) {
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->name[i], name)) return p->value[i];
    return 0;
}

/* Cuts s at the next '|' (or its end) and trims blanks; *s moves past the separator. */
static char *next_field(char **s) {
    char *f = *s, *bar = strchr(f, '|');
    if (bar) *bar = 0, *s = bar + 1;
    else *s = f + strlen(f);
    while (isspace((unsigned char)*f)) f++;
    char *e = f + strlen(f);
    while (e > f && isspace((unsigned char)e[-1])) *--e = 0;
    return f;
}

/* "NAME=VALUE ..." into p; every parameter of the kernel exactly once, nothing else. */
static ar_status parse_values(char *s, const kernel_spec *k, ar_gemm_params *p, const char *at) {
    p->n = 0;
    for (char *save = NULL, *tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '='), *end;
        if (!eq || eq == tok) return ar_fail(AR_ERR_PARSE, "%s: '%s' is not NAME=VALUE", at, tok);
        *eq = 0;
        errno = 0; /* a digit first: strtoull would also take blanks, '+' and '-' */
        unsigned long long v = strtoull(eq + 1, &end, 10);
        if (*end || !isdigit((unsigned char)eq[1]) || errno == ERANGE || v > SIZE_MAX)
            return ar_fail(AR_ERR_PARSE, "%s: %s=%s is not a non-negative integer", at, tok, eq + 1);
        int known = 0;
        for (int i = 0; i < AR_GEMM_TUNE_MAX && k->names[i]; i++) known |= !strcmp(k->names[i], tok);
        if (!known) return ar_fail(AR_ERR_PARSE, "%s: %s is not a parameter of %s", at, tok, k->kernel);
        for (int i = 0; i < p->n; i++)
            if (!strcmp(p->name[i], tok)) return ar_fail(AR_ERR_PARSE, "%s: %s given twice", at, tok);
        snprintf(p->name[p->n], sizeof p->name[0], "%s", tok);
        p->value[p->n++] = (size_t)v;
    }
    for (int i = 0; i < AR_GEMM_TUNE_MAX && k->names[i]; i++) {
        int present = 0;
        for (int j = 0; j < p->n; j++) present |= !strcmp(p->name[j], k->names[i]);
        if (!present) return ar_fail(AR_ERR_PARSE, "%s: %s misses %s", at, k->kernel, k->names[i]);
    }
    return AR_OK;
}

/* One line: 0 blank or comment, 1 an entry in *e (fields point into line). */
typedef struct {
    char *kernel, *platform, *device, *driver, *values;
} entry;

static ar_status split_line(char *line, entry *e, int *is_entry, const char *at) {
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    *is_entry = *s != 0;
    if (!*is_entry) return AR_OK;
    int bars = 0; /* exactly five fields: a sixth would otherwise be dropped unseen */
    for (const char *c = s; *c; c++) bars += *c == '|';
    e->kernel = next_field(&s);
    e->platform = next_field(&s);
    e->device = next_field(&s);
    e->driver = next_field(&s);
    e->values = next_field(&s);
    if (bars != 4 || !*e->values)
        return ar_fail(AR_ERR_PARSE, "%s: expected KERNEL | PLATFORM | DEVICE | DRIVER | "
                       "NAME=VALUE ...", at);
    if (!spec_of(e->kernel))
        return ar_fail(AR_ERR_PARSE, "%s: unknown kernel '%s' (Xgemm, XgemmDirect or GemmRoutine)",
                       at, e->kernel);
    return AR_OK;
}

static int matches(const entry *e, const ar_gemm_device *d) {
    return !fnmatch(e->platform, d->platform, 0) && !fnmatch(e->device, d->device, 0) &&
           !fnmatch(e->driver, d->driver, 0);
}

ar_status ar_gemm_tuning_find(const char *text, const char *origin, const ar_gemm_device *dev,
                              const char *kernel, ar_gemm_params *out, int *found) {
    *found = 0;
    char *copy = strdup(text), at[sizeof out->origin];
    if (!copy) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    ar_status st = AR_OK;
    int lineno = 0;
    /* Every line is parsed, so that a typo anywhere in a file is reported, not only in the
     * entry that happens to match. */
    for (char *p = copy, *line; st == AR_OK && (line = strsep(&p, "\n")) != NULL;) {
        entry e;
        int is_entry;
        snprintf(at, sizeof at, "%s:%d", origin, ++lineno);
        st = split_line(line, &e, &is_entry, at);
        if (st != AR_OK || !is_entry) continue;
        ar_gemm_params p = {0};
        st = parse_values(e.values, spec_of(e.kernel), &p, at);
        if (st != AR_OK || *found || strcmp(e.kernel, kernel) || !matches(&e, dev)) continue;
        snprintf(p.kernel, sizeof p.kernel, "%s", e.kernel);
        snprintf(p.origin, sizeof p.origin, "%s", at);
        *out = p;
        *found = 1;
    }
    free(copy);
    if (st == AR_OK && *found) st = ar_gemm_params_check(out, dev);
    if (st != AR_OK) *found = 0;
    return st;
}

#define P(name) ar_gemm_param(p, name)
#define MULT(x, y) ((y) != 0 && (x) % (y) == 0)

/* Each named parameter a power of two from 1 to max: CLBlast's tuners only try powers of two,
 * and the bound keeps the products in the checks far from overflowing (a wrapped product would
 * pass them). names ends with NULL. */
static ar_status powers_of_two(const ar_gemm_params *p, const char *const *names, size_t max) {
    for (; *names; names++) {
        size_t v = P(*names);
        if (!v || (v & (v - 1)) || v > max)
            return ar_fail(AR_ERR_INVALID_ARG, "%s: %s %s=%zu is not a power of two from 1 to %zu",
                           p->origin, p->kernel, *names, v, max);
    }
    return AR_OK;
}

#define MAX_SIZE 1024 /* tiles and work-group sides: well above what CLBlast's tuners try */
#define MAX_VECTOR 16 /* OpenCL's widest vector type */

static ar_status check_xgemm(const ar_gemm_params *p, const ar_gemm_device *d) {
    const char *at = p->origin;
    size_t mdimc = P("MDIMC"), ndimc = P("NDIMC"), mdima = P("MDIMA"), ndimb = P("NDIMB");
    size_t mwg = P("MWG"), nwg = P("NWG"), kwg = P("KWG"), vwm = P("VWM"), vwn = P("VWN");
    if (P("GEMMK") > 1 || P("SA") > 1 || P("SB") > 1 || P("STRM") > 1 || P("STRN") > 1)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: Xgemm GEMMK, SA, SB, STRM and STRN are 0 or 1", at);
    static const char *const sizes[] = {"MWG", "NWG", "KWG", "MDIMC", "NDIMC", "MDIMA", "NDIMB",
                                        "KWI", "KREG", NULL};
    static const char *const vectors[] = {"VWM", "VWN", NULL};
    ar_status st = powers_of_two(p, sizes, MAX_SIZE);
    if (st != AR_OK || (st = powers_of_two(p, vectors, MAX_VECTOR)) != AR_OK) return st;
    int ok = MULT(kwg, P("KWI")) && MULT(mwg, mdimc * vwm) && MULT(nwg, ndimc * vwn) &&
             MULT(mwg, mdima * vwm) && MULT(nwg, ndimb * vwn);
    /* KWG a multiple of MDIMC*NDIMC/MDIMA, an exact quotient: a truncated one lets through
     * tiles the kernel loads wrongly */
    if (P("GEMMK") == 0)
        ok = ok && MULT(mdimc * ndimc, mdima) && MULT(mdimc * ndimc, ndimb) &&
             MULT(kwg, mdimc * ndimc / mdima) && MULT(kwg, mdimc * ndimc / ndimb);
    else
        ok = ok && MULT(P("KREG"), vwn) && mdimc == mdima && ndimc == ndimb;
    if (!ok)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: Xgemm values break CLBlast's tiling rules (e.g. "
                       "MWG a multiple of MDIMC*VWM and of MDIMA*VWM, KWG of KWI)", at);
    if (mdimc * ndimc > d->max_wg)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: Xgemm work-group MDIMC*NDIMC = %zu exceeds the "
                       "device's %zu", at, mdimc * ndimc, d->max_wg);
    uint64_t local = 4 * ((uint64_t)P("SA") * kwg * mwg + (uint64_t)P("SB") * kwg * nwg);
    if (local > d->local_mem)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: Xgemm needs %llu bytes of local memory, the "
                       "device has %llu", at, (unsigned long long)local,
                       (unsigned long long)d->local_mem);
    return AR_OK;
}

static ar_status check_direct(const ar_gemm_params *p, const ar_gemm_device *d) {
    const char *at = p->origin;
    size_t wgd = P("WGD"), mdimc = P("MDIMCD"), ndimc = P("NDIMCD"), mdima = P("MDIMAD");
    size_t ndimb = P("NDIMBD"), vwm = P("VWMD"), vwn = P("VWND");
    if (P("PADA") > 1 || P("PADB") > 1)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: XgemmDirect PADA and PADB are 0 or 1", at);
    static const char *const sizes[] = {"WGD", "MDIMCD", "NDIMCD", "MDIMAD", "NDIMBD", "KWID",
                                        NULL};
    static const char *const vectors[] = {"VWMD", "VWND", NULL};
    ar_status st = powers_of_two(p, sizes, MAX_SIZE);
    if (st != AR_OK || (st = powers_of_two(p, vectors, MAX_VECTOR)) != AR_OK) return st;
    /* as in check_xgemm, the quotients exact */
    int ok = MULT(wgd, P("KWID")) && MULT(wgd, mdimc * vwm) && MULT(wgd, ndimc * vwn) &&
             MULT(wgd, mdima * vwm) && MULT(wgd, ndimb * vwn) && MULT(mdimc * ndimc, mdima) &&
             MULT(mdimc * ndimc, ndimb) && MULT(wgd, mdimc * ndimc / mdima) &&
             MULT(wgd, mdimc * ndimc / ndimb);
    if (!ok)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: XgemmDirect values break CLBlast's tiling rules "
                       "(e.g. WGD a multiple of KWID, MDIMCD*VWMD and NDIMCD*VWND)", at);
    if (mdimc * ndimc > d->max_wg)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: XgemmDirect work-group MDIMCD*NDIMCD = %zu "
                       "exceeds the device's %zu", at, mdimc * ndimc, d->max_wg);
    uint64_t local = 4 * ((uint64_t)wgd * (wgd + P("PADA")) + (uint64_t)wgd * (wgd + P("PADB")));
    if (local > d->local_mem)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: XgemmDirect needs %llu bytes of local memory, "
                       "the device has %llu", at, (unsigned long long)local,
                       (unsigned long long)d->local_mem);
    return AR_OK;
}

ar_status ar_gemm_params_check(const ar_gemm_params *p, const ar_gemm_device *d) {
    if (!strcmp(p->kernel, "Xgemm")) return check_xgemm(p, d);
    if (!strcmp(p->kernel, "XgemmDirect")) return check_direct(p, d);
    if (P("XGEMM_MIN_INDIRECT_SIZE") == 0)
        return ar_fail(AR_ERR_INVALID_ARG, "%s: XGEMM_MIN_INDIRECT_SIZE must be >= 1", p->origin);
    return AR_OK;
}
