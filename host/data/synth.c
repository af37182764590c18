/* synth.c - synthetic ratings files: a low-rank model with a popularity skew, written as
 * u.data ("user\titem\trating\ttimestamp") for tests and for benchmarks at MovieLens-10M and
 * Netflix scale.
 *
 * The model: x = mu + b_u + b_i + p_u . q_i + noise on a 1..5 scale, with Gaussian factors and
 * biases, so that a collaborative-filtering model clearly beats the global mean; x is mapped
 * linearly onto the configured scale (rating_min..rating_max, by rating_step: 1..5 whole stars
 * by default, 0.5..5 half stars like the later MovieLens releases) and rounded to the nearest
 * level, clamped to the scale. On the default scale that is clamp(round(x), 1, 5).
 * Which pairs are observed follows a Zipf-like law on both sides: the user at activity rank r
 * rates about r^-skew of the ratings, the item at popularity rank r is picked with weight
 * r^-skew, and the ranks are shuffled over the ids (id order is not popularity order). By
 * default that choice ignores the ratings (missing completely at random); ar_synth_config.mnar
 * makes users pick what they expect to like, as real users do (see keep_prob()).
 *
 * Memory stays bounded at Netflix scale (480k users, 100M ratings): the pairs are never held.
 * Each user's degree is fixed first (summing exactly to the requested count), then the users
 * are streamed in id order: each draws its distinct items from the popularity distribution
 * with an alias table (rejecting repeats with a per-item marker) and its lines go out through
 * a large buffer. Every user draws from its own generator keyed by (seed, user), so the file
 * depends only on the config. */
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The shape of MovieLens 100K, so that a config left at its defaults is a familiar size. */
void ar_synth_config_default(ar_synth_config *c) {
    c->users = 943;
    c->items = 1682;
    c->ratings = 100000;
    c->seed = 1;
    c->rank = 10;
    c->noise = 0.5f;
    c->popularity_skew = 1.0f;
    c->rating_min = 1.0f;
    c->rating_max = 5.0f;
    c->rating_step = 1.0f;
    c->mnar = 0.0f;
}

enum {
    SYNTH_MIN_DEGREE = 20,          /* MovieLens keeps only users with at least 20 ratings */
    SYNTH_BUF = 4 << 20,            /* output buffer: few, large write(2) calls */
    SYNTH_LINE_MAX = 64,            /* longest line: 3 x 10 digits, a level, 4 separators */
    SYNTH_MAX_LEVELS = 101,         /* rating levels on a scale: (max - min) / step + 1 */
    SYNTH_LABEL_MAX = 15,           /* a level as text: "%.6g" and its NUL */
};
#define SYNTH_MU 3.5                /* global mean, about MovieLens' */
#define SYNTH_SD_USER_BIAS 0.35
#define SYNTH_SD_ITEM_BIAS 0.45
#define SYNTH_SD_DOT 0.7            /* standard deviation of p_u . q_i */
#define SYNTH_T0 874724710ull       /* the first timestamp of MovieLens 100K */
#define SYNTH_SPAN 315360000ull     /* timestamps spread over ten years */

/* Stream tags, so that the generators of different purposes never coincide. */
enum { TAG_USER_PERM = 1, TAG_ITEM_PERM, TAG_ITEM, TAG_USER };

/* A generator for (seed, tag, index): splitmix64 of a mixed key. */
static ar_rng stream(uint64_t seed, uint64_t tag, uint64_t index) {
    ar_rng r = {seed ^ (tag * 0xD1B54A32D192ED03ull)};
    r.s = ar_rng_next(&r) ^ (index * 0x9E3779B97F4A7C15ull);
    r.s = ar_rng_next(&r);
    return r;
}

/* Box-Muller keeping the second value: half the log/sqrt/cos calls per Gaussian. */
typedef struct { ar_rng r; int has; double spare; } gauss;

static double gauss_next(gauss *g) {
    if (g->has) {
        g->has = 0;
        return g->spare;
    }
    double u1 = ((double)(ar_rng_next(&g->r) >> 11) + 0.5) * 0x1.0p-53; /* (0, 1): log finite */
    double u2 = ar_rng_uniform(&g->r);
    double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
    g->spare = rad * sin(th);
    g->has = 1;
    return rad * cos(th);
}

/* A uniformly random permutation of 0..n-1 (Fisher-Yates). */
static void shuffle(int32_t *perm, int64_t n, ar_rng *r) {
    for (int64_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(ar_rng_uniform(r) * (double)(i + 1));
        if (j > i) j = i;
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* The number of rating levels on c's scale (0 when the step does not divide it). */
static int levels(const ar_synth_config *c) {
    double n = ((double)c->rating_max - (double)c->rating_min) / (double)c->rating_step;
    if (!(n >= 0.5 && n < SYNTH_MAX_LEVELS)) return 0;
    return (int)lround(n) + 1;
}

static ar_status validate(const ar_synth_config *c) {
#define CHECK(cond, ...) if (!(cond)) return ar_fail(AR_ERR_INVALID_ARG, __VA_ARGS__)
    /* ids must fit the loader's 32-bit ids */
    CHECK(c->users >= 1 && c->users <= AR_MAX_ID,
          "ar_synth_config.users must be in 1..%lld, got %lld", AR_MAX_ID, (long long)c->users);
    CHECK(c->items >= 1 && c->items <= AR_MAX_ID,
          "ar_synth_config.items must be in 1..%lld, got %lld", AR_MAX_ID, (long long)c->items);
    int64_t max = c->users * c->items / 2; /* no overflow: both below 2^31 */
    CHECK(c->ratings >= 1, "ar_synth_config.ratings must be at least 1, got %lld",
          (long long)c->ratings);
    CHECK(c->ratings <= max, "ar_synth_config.ratings %lld exceeds half of users x items (%lld)",
          (long long)c->ratings, (long long)max);
    CHECK(c->rank >= 1 && c->rank <= 1000, "ar_synth_config.rank must be in 1..1000, got %d",
          c->rank);
    CHECK(isfinite(c->noise) && c->noise >= 0,
          "ar_synth_config.noise must be a finite number >= 0, got %g", (double)c->noise);
    CHECK(isfinite(c->mnar) && c->mnar >= 0 && c->mnar <= 10,
          "ar_synth_config.mnar must be in 0..10, got %g", (double)c->mnar);
    CHECK(isfinite(c->popularity_skew) && c->popularity_skew >= 0 && c->popularity_skew <= 4,
          "ar_synth_config.popularity_skew must be in 0..4, got %g", (double)c->popularity_skew);
    CHECK(isfinite(c->rating_min) && isfinite(c->rating_max) && c->rating_min < c->rating_max &&
          fabsf(c->rating_min) < 1e6f && fabsf(c->rating_max) < 1e6f,
          "ar_synth_config.rating_min and rating_max must be finite with min < max and below "
          "1e6 in size, got %g and %g", (double)c->rating_min, (double)c->rating_max);
    CHECK(isfinite(c->rating_step) && c->rating_step > 0 && levels(c) >= 2 &&
          levels(c) <= SYNTH_MAX_LEVELS &&
          fabs((double)c->rating_min + (levels(c) - 1) * (double)c->rating_step -
               (double)c->rating_max) <= 1e-4 * (double)c->rating_step,
          "ar_synth_config.rating_step must divide rating_max - rating_min into 1..%d steps, "
          "got %g for %g..%g", SYNTH_MAX_LEVELS - 1, (double)c->rating_step,
          (double)c->rating_min, (double)c->rating_max);
#undef CHECK
    return AR_OK;
}

/* Degrees by activity rank (deg[0] is the most active user), summing exactly to n: every user
 * gets min(20, n / users) first, the rest is shared in proportion to (rank + 1)^-skew, and a
 * user's share beyond the cap (half the items, rounded up; users x cap >= n always) goes to
 * the others (water-filling). Returns AR_OK or AR_ERR_OUT_OF_MEMORY. */
static ar_status degrees(int64_t users, int64_t cap, int64_t n, double skew, int32_t *deg) {
    int64_t base = n / users;
    if (base > SYNTH_MIN_DEGREE) base = SYNTH_MIN_DEGREE;
    if (base > cap) base = cap;
    int64_t capx = cap - base, rest = n - users * base;
    for (int64_t r = 0; r < users; r++) deg[r] = (int32_t)base;
    if (rest == 0) return AR_OK;
    /* suffix sums of the weights, so that the remaining weight is exact at every step */
    double *suffix = ar_malloc((size_t)(users + 1) * sizeof *suffix);
    if (!suffix) return AR_ERR_OUT_OF_MEMORY;
    suffix[users] = 0;
    for (int64_t r = users - 1; r >= 0; r--)
        suffix[r] = suffix[r + 1] + pow((double)(r + 1), -skew);
    /* cap the heaviest users while their share exceeds the cap: removing one only raises the
     * others' shares, and weights fall with rank, so the capped users are a prefix */
    int64_t k = 0;
    while (k < users && (double)rest * pow((double)(k + 1), -skew) >= (double)capx * suffix[k]) {
        deg[k] = (int32_t)cap;
        rest -= capx;
        k++;
    }
    int64_t given = 0;
    for (int64_t r = k; r < users; r++) {
        int64_t e = (int64_t)floor((double)rest * pow((double)(r + 1), -skew) / suffix[k]);
        if (e > capx) e = capx; /* only by rounding */
        deg[r] += (int32_t)e;
        given += e;
    }
    free(suffix);
    /* the rounding remainder, one at a time from the most active users on (fewer than the
     * uncapped users, bar rounding; the loop goes round as often as needed) */
    int64_t left = rest - given;
    for (int64_t r = k; left != 0; r = (r + 1 < users) ? r + 1 : k) {
        if (left > 0 && deg[r] < cap) { deg[r]++; left--; }
        else if (left < 0 && deg[r] > base) { deg[r]--; left++; }
    }
    return AR_OK;
}

/* Vose's alias table over n weights: a draw is one 64-bit number, the high half picking a
 * bucket (multiply-shift), the low half deciding between the bucket and its alias against a
 * 32-bit threshold. */
typedef struct { uint32_t *thresh; int32_t *alias; int64_t n; } alias_table;

static ar_status alias_build(alias_table *t, const double *w, int64_t n) {
    t->n = n;
    t->thresh = ar_malloc((size_t)n * sizeof *t->thresh);
    t->alias = ar_malloc((size_t)n * sizeof *t->alias);
    double *p = ar_malloc((size_t)n * sizeof *p);
    int32_t *small = ar_malloc((size_t)n * sizeof *small);
    int32_t *large = ar_malloc((size_t)n * sizeof *large);
    ar_status st = AR_OK;
    if (!t->thresh || !t->alias || !p || !small || !large) {
        st = AR_ERR_OUT_OF_MEMORY;
        goto cleanup;
    }
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += w[i];
    int64_t ns = 0, nl = 0;
    for (int64_t i = 0; i < n; i++) {
        p[i] = w[i] * (double)n / sum;
        if (p[i] < 1.0) small[ns++] = (int32_t)i;
        else large[nl++] = (int32_t)i;
    }
    while (ns > 0 && nl > 0) {
        int32_t s = small[--ns], l = large[nl - 1];
        t->thresh[s] = (uint32_t)(p[s] * 4294967296.0);
        t->alias[s] = l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0) { nl--; small[ns++] = l; }
    }
    /* what is left is 1 up to rounding: the bucket always keeps its own item */
    while (nl > 0) { int32_t l = large[--nl]; t->thresh[l] = UINT32_MAX; t->alias[l] = l; }
    while (ns > 0) { int32_t s = small[--ns]; t->thresh[s] = UINT32_MAX; t->alias[s] = s; }
cleanup:
    free(p);
    free(small);
    free(large);
    return st;
}

static inline int32_t alias_draw(const alias_table *t, ar_rng *r) {
    uint64_t x = ar_rng_next(r);
    int64_t b = (int64_t)(((x >> 32) * (uint64_t)t->n) >> 32);
    return (uint32_t)x < t->thresh[b] ? (int32_t)b : t->alias[b];
}

/* ---- output --------------------------------------------------------------------------------- */

/* Lines gathered in buf and handed to the output (core/file.c) a few MB at a time. */
typedef struct {
    ar_output *out;
    char *buf;
    size_t len;
    ar_status st;             /* the first failed write's, AR_OK while all is well */
} out_buf;

static void out_flush(out_buf *o) {
    if (o->st == AR_OK) o->st = ar_output_write(o->out, o->buf, o->len);
    o->len = 0;
}

/* Decimal digits of v at p; returns the end. Hand-written: printf is the bottleneck at 100M
 * lines. */
static inline char *put_u64(char *p, uint64_t v) {
    char tmp[20];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

/* ---- sampling a user's items ---------------------------------------------------------------- */

/* Missing not at random (ar_synth_config.mnar): whether a user rates an item depends on how
 * much they are expected to like it, as on real rating sites (people watch and rate what they
 * expect to enjoy; Marlin and Zemel, RecSys 2009, measured it on Yahoo! ratings). A drawn item
 * is kept with probability sigmoid(mnar x (a - SYNTH_MU)), a = mu + b_u + b_i + p_u . q_i the
 * user's expected rating of it on the 1..5 model scale, noise left out. */
typedef struct {
    const float *p;           /* (rank) the user's factors */
    const float *q;           /* (items, rank) the items' factors */
    const float *bi;          /* (items) the items' biases */
    double bu;                /* the user's bias */
    double mnar;              /* the selection's slope per rating point; 0: at random */
    int rank;
} selection;

static double keep_prob(const selection *s, int32_t i) {
    const float *qi = s->q + (size_t)i * (size_t)s->rank;
    double a = s->bu + s->bi[i];
    for (int f = 0; f < s->rank; f++) a += (double)s->p[f] * qi[f];
    return 1.0 / (1.0 + exp(-s->mnar * a));
}


typedef struct { double key; int32_t item; } keyed;

static int keyed_cmp(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

/* Draws deg distinct items for user u into pick: successive draws from the popularity law,
 * a repeat rejected through mark[] (mark[i] == u when the user has item i, so it needs no
 * reset). When repeats pile up (a heavy user under a steep skew, whose remaining items carry
 * little weight) the rest is drawn by Efraimidis-Spirakis keys over the items not yet taken,
 * which is the same successive-sampling law without the rejections. With ar_synth_config.mnar
 * the law's weights are popularity x keep_prob(): users pick what they expect to like. */
static void draw_items(uint32_t u, int32_t deg, const alias_table *t, const int32_t *item_rank,
                       double skew, const selection *sel, uint32_t *mark, keyed *scratch,
                       int32_t *pick, ar_rng *r) {
    int32_t got = 0;
    int64_t budget = 8 * (int64_t)deg + 256;
    while (got < deg && budget-- > 0) {
        int32_t i = alias_draw(t, r);
        if (mark[i] == u) continue;
        /* rejection: the kept draws follow popularity x keep_prob (no draw when mnar is 0, so
         * the missing-at-random files stay byte for byte what they were) */
        if (sel->mnar != 0 && ar_rng_uniform(r) >= keep_prob(sel, i)) continue;
        mark[i] = u;
        pick[got++] = i;
    }
    if (got == deg) return;
    int64_t m = 0;
    for (int64_t i = 0; i < t->n; i++) {
        if (mark[i] == u) continue;
        double e = -log(((double)(ar_rng_next(r) >> 11) + 0.5) * 0x1.0p-53); /* Exp(1) */
        /* log(E / w) with w = (rank + 1)^-skew: smallest first is the successive-sampling order */
        scratch[m].key = log(e) + skew * log((double)(item_rank[i] + 1));
        if (sel->mnar != 0) scratch[m].key -= log(keep_prob(sel, i)); /* weight w x keep_prob */
        scratch[m].item = (int32_t)i;
        m++;
    }
    qsort(scratch, (size_t)m, sizeof *scratch, keyed_cmp);
    for (int64_t j = 0; got < deg; j++) {
        mark[scratch[j].item] = u;
        pick[got++] = scratch[j].item;
    }
}

/* ---- the model ------------------------------------------------------------------------------ */

/* What generate() draws from: the model's item side, each user's degree, and scratch memory,
 * O(users + items x rank) in all; the ratings themselves are never held. */
typedef struct {
    int32_t *user_rank;       /* (users) activity rank of each user */
    int32_t *deg;             /* (users) degree by activity rank */
    int32_t *item_rank;       /* (items) popularity rank of each item */
    double *w;                /* (items) popularity weight of each item */
    float *q;                 /* (items, rank) item factors */
    float *bi;                /* (items) item biases */
    float *p;                 /* (rank) the current user's factors */
    uint32_t *mark;           /* (items) the last user (id, from 1) that drew each item */
    keyed *scratch;           /* (items) draw_items' keys */
    int32_t *pick;            /* (half the items, rounded up) the current user's items */
    alias_table t;            /* items by popularity */
    double sd_f;              /* standard deviation of a factor: var(p.q) = rank sd_f^4 */
} synth_model;

static void model_free(synth_model *m) {
    free(m->user_rank);
    free(m->deg);
    free(m->item_rank);
    free(m->w);
    free(m->q);
    free(m->bi);
    free(m->p);
    free(m->mark);
    free(m->scratch);
    free(m->pick);
    free(m->t.thresh);
    free(m->t.alias);
}

/* Allocates m and draws everything but the users' factors and items: the activity and
 * popularity ranks, the degrees, the popularity law's alias table and the items' factors. */
static ar_status model_build(synth_model *m, const ar_synth_config *c) {
    const int64_t U = c->users, I = c->items, cap = (c->items + 1) / 2;
    const int k = c->rank;
    const double skew = c->popularity_skew;
    memset(m, 0, sizeof *m);
    m->sd_f = sqrt(SYNTH_SD_DOT / sqrt((double)k));
    m->user_rank = ar_malloc((size_t)U * sizeof *m->user_rank);
    m->deg = ar_malloc((size_t)U * sizeof *m->deg);
    m->item_rank = ar_malloc((size_t)I * sizeof *m->item_rank);
    m->w = ar_malloc((size_t)I * sizeof *m->w);
    m->q = ar_malloc((size_t)I * (size_t)k * sizeof *m->q);
    m->bi = ar_malloc((size_t)I * sizeof *m->bi);
    m->p = ar_malloc((size_t)k * sizeof *m->p);
    m->mark = calloc((size_t)I, sizeof *m->mark); /* 0 is no user id */
    m->scratch = ar_malloc((size_t)I * sizeof *m->scratch);
    m->pick = ar_malloc((size_t)cap * sizeof *m->pick);
    if (!m->user_rank || !m->deg || !m->item_rank || !m->w || !m->q || !m->bi || !m->p ||
        !m->mark || !m->scratch || !m->pick)
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for %lld users x %lld items",
                       (long long)U, (long long)I);
    ar_rng g0 = stream(c->seed, TAG_USER_PERM, 0);
    shuffle(m->user_rank, U, &g0);
    g0 = stream(c->seed, TAG_ITEM_PERM, 0);
    shuffle(m->item_rank, I, &g0);
    ar_status st = degrees(U, cap, c->ratings, skew, m->deg);
    if (st != AR_OK) return st;
    for (int64_t i = 0; i < I; i++) m->w[i] = pow((double)(m->item_rank[i] + 1), -skew);
    st = alias_build(&m->t, m->w, I);
    if (st != AR_OK) return st;
    for (int64_t i = 0; i < I; i++) {
        gauss g = {stream(c->seed, TAG_ITEM, (uint64_t)i), 0, 0};
        m->bi[i] = (float)(SYNTH_SD_ITEM_BIAS * gauss_next(&g));
        for (int f = 0; f < k; f++) m->q[(size_t)i * k + f] = (float)(m->sd_f * gauss_next(&g));
    }
    return AR_OK;
}

/* ---- the writer ----------------------------------------------------------------------------- */

/* The levels of the rating scale: level k is rating_min + k * rating_step, as a float and as
 * the text the file gets ("%.6g": "3", "3.5"). */
typedef struct {
    int n;                          /* levels */
    double span;                    /* (max - min) / 4: the 1..5 model onto the scale */
    float value[SYNTH_MAX_LEVELS];
    char label[SYNTH_MAX_LEVELS][SYNTH_LABEL_MAX];
} scale;

static void scale_init(scale *sc, const ar_synth_config *c) {
    sc->n = levels(c);
    sc->span = ((double)c->rating_max - (double)c->rating_min) / 4.0;
    for (int k = 0; k < sc->n; k++) {
        double v = (double)c->rating_min + k * (double)c->rating_step;
        if (k == sc->n - 1) v = c->rating_max; /* exactly the maximum, whatever the rounding */
        sc->value[k] = (float)v;
        snprintf(sc->label[k], SYNTH_LABEL_MAX, "%.6g", v);
    }
}

/* The level nearest to the model's x (on 1..5) mapped onto the scale, clamped to it. On the
 * default scale, lround(x - 1): x - 1 is exact, so the levels are those of lround(x). */
static int scale_level(const scale *sc, double x, double step) {
    double t = (x - 1.0) * sc->span / step;
    if (!(t > 0)) return 0;                 /* NaN cannot come, but would go to the minimum */
    if (t >= sc->n - 1) return sc->n - 1;
    return (int)lround(t);
}

/* Sends one rating to the file (o) or appends it to the list (r); 0 when writing the file
 * failed (o->st says why). */
static int emit(out_buf *o, ar_ratings *r, int64_t u, int32_t i, const scale *sc, int level,
                uint64_t ts) {
    if (r) {
        r->user[r->n] = (int32_t)(u + 1);
        r->item[r->n] = i + 1;
        r->rating[r->n] = sc->value[level];
        r->line[r->n] = 0;
        r->n++;
        return 1;
    }
    if (o->len > SYNTH_BUF - SYNTH_LINE_MAX) {
        out_flush(o);
        if (o->st != AR_OK) return 0;
    }
    char *s = o->buf + o->len;
    s = put_u64(s, (uint64_t)u + 1);
    *s++ = '\t';
    s = put_u64(s, (uint64_t)i + 1);
    *s++ = '\t';
    for (const char *t = sc->label[level]; *t; t++) *s++ = *t;
    *s++ = '\t';
    s = put_u64(s, ts);
    *s++ = '\n';
    o->len = (size_t)(s - o->buf);
    return 1;
}

/* generate() sends each rating to a file (o) or appends it to a list (r): one of them is set.
 * Users go in id order, each with its own generator: its bias and factors, its items, then a
 * rating for each item. */
static ar_status generate(const ar_synth_config *c, out_buf *o, ar_ratings *r) {
    const int64_t U = c->users, N = c->ratings;
    const int k = c->rank;
    const double skew = c->popularity_skew, noise = c->noise;
    synth_model m;
    scale sc;
    scale_init(&sc, c);
    ar_status st = model_build(&m, c);
    if (st != AR_OK) goto cleanup;
    uint64_t line = 0;
    for (int64_t u = 0; u < U; u++) {
        int32_t d = m.deg[m.user_rank[u]];
        if (d == 0) continue;
        gauss g = {stream(c->seed, TAG_USER, (uint64_t)u), 0, 0};
        double bu = SYNTH_SD_USER_BIAS * gauss_next(&g);
        for (int f = 0; f < k; f++) m.p[f] = (float)(m.sd_f * gauss_next(&g));
        selection sel = {m.p, m.q, m.bi, bu, c->mnar, k};
        draw_items((uint32_t)(u + 1), d, &m.t, m.item_rank, skew, &sel, m.mark, m.scratch,
                   m.pick, &g.r);
        for (int32_t j = 0; j < d; j++) {
            int32_t i = m.pick[j];
            const float *qi = m.q + (size_t)i * k;
            float dot = 0;
            for (int f = 0; f < k; f++) dot += m.p[f] * qi[f];
            double x = SYNTH_MU + bu + m.bi[i] + dot + noise * gauss_next(&g);
            int level = scale_level(&sc, x, (double)c->rating_step);
            /* increasing over the file, spread over SYNTH_SPAN seconds */
            uint64_t ts = SYNTH_T0 + line * SYNTH_SPAN / (uint64_t)N;
            line++;
            if (!emit(o, r, u, i, &sc, level, ts)) goto cleanup; /* reported by the caller */
        }
    }
    if (o) out_flush(o);
cleanup:
    model_free(&m);
    return st;
}

ar_status ar_synth_write(const ar_synth_config *c, const char *path) {
    ar_status st = validate(c);
    if (st != AR_OK) return st;
    if (!path || !*path)
        return ar_fail(AR_ERR_INVALID_ARG, "no output path: ar_synth_write needs a file name");
    out_buf o = {NULL, ar_malloc(SYNTH_BUF), 0, AR_OK};
    if (!o.buf) return AR_ERR_OUT_OF_MEMORY;
    st = ar_output_open(path, &o.out); /* written whole or not at all (core/file.c) */
    if (st == AR_OK) st = generate(c, &o, NULL);
    if (st == AR_OK) st = o.st;
    if (st == AR_OK) st = ar_output_commit(o.out);
    else ar_output_abort(o.out);
    free(o.buf);
    return st;
}

ar_status ar_synth_ratings(const ar_synth_config *c, ar_ratings **out) {
    *out = NULL;
    ar_status st = validate(c);
    if (st != AR_OK) return st;
    ar_ratings *r = ar_ratings_new_internal(NULL);
    if (!r) return AR_ERR_OUT_OF_MEMORY;
    st = ar_ratings_alloc(r, (size_t)c->ratings);
    if (st == AR_OK) st = generate(c, NULL, r);
    if (st == AR_OK && r->n != (size_t)c->ratings)
        st = ar_fail(AR_ERR_INVALID_ARG, "synthetic data: drew %zu ratings, expected %lld", r->n,
                     (long long)c->ratings);
    if (st != AR_OK) {
        ar_ratings_free(r);
        return st;
    }
    *out = r;
    return AR_OK;
}
