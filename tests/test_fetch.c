/* test_fetch.c - ar_movielens_locate against a tiny HTTP/1.0 server on 127.0.0.1.
 *
 * Each test gets a fresh XDG_CACHE_HOME and, where it downloads, a server child process that
 * serves zips built here with libarchive. The tests that use the real MovieLens 100K files
 * ($AUTOREC_DATA) skip without them; the others use synthetic bytes.
 */
#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ---- per-test directories and environment --------------------------------------------------- */

static char home[] = "/tmp/autorec-test-fetch-XXXXXX";
static char cache[96];           /* $XDG_CACHE_HOME/autorec */
static const char *shared_data;  /* the ml-100k directory from $AUTOREC_DATA, or NULL */

static pid_t server = -1;
static int server_port;
static int count_fd = -1;        /* the server writes one byte here per request */
static int n_requests;

static pid_t home_owner; /* the test's process: a forked child's exit leaves home alone */

static void rm_home(void) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (system(cmd) != 0) fprintf(stderr, "test_fetch: could not remove %s\n", home);
}

static void home_at_exit(void) {
    if (getpid() == home_owner) rm_home();
}

static void setup(void) {
    cr_assert(mkdtemp(home), "mkdtemp failed");
    /* a test that ends by exit() (a skip, a death test) skips .fini: home would stay in /tmp */
    home_owner = getpid();
    atexit(home_at_exit);
    char xdg[64];
    snprintf(xdg, sizeof xdg, "%s/xdg", home);
    snprintf(cache, sizeof cache, "%s/autorec", xdg);
    setenv("XDG_CACHE_HOME", xdg, 1);
    const char *d = getenv("AUTOREC_DATA");
    shared_data = d && *d ? strdup(d) : NULL;
    unsetenv("AUTOREC_DATA");
    unsetenv("AUTOREC_MIRROR");
}

static void teardown(void) {
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
    }
    rm_home();
    home_owner = 0; /* removed: nothing left for home_at_exit */
}
TestSuite(fetch, .init = setup, .fini = teardown);

/* ---- the HTTP/1.0 server -------------------------------------------------------------------- */

enum { SERVE, TRUNCATE, STALL };
typedef struct {
    const char *path;
    const char *body;
    size_t len;
    int mode; /* SERVE; TRUNCATE: half the body, then close; STALL: half, then wait forever */
} route;

static void send_all(int fd, const void *p, size_t n) {
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void serve_one(int c, const route *routes, size_t n, int count) {
    char req[8192];
    size_t got = 0;
    while (got < sizeof req - 1) {
        ssize_t r = read(c, req + got, sizeof req - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[got] = '\0';
    send_all(count, "r", 1);
    char path[1024] = "";
    sscanf(req, "GET %1023s", path);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(path, routes[i].path) != 0) continue;
        char head[256];
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.0 200 OK\r\nContent-Type: application/zip\r\n"
                          "Content-Length: %zu\r\n\r\n", routes[i].len);
        send_all(c, head, (size_t)hl);
        send_all(c, routes[i].body, routes[i].mode == SERVE ? routes[i].len : routes[i].len / 2);
        if (routes[i].mode == STALL) pause();
        return;
    }
    const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
    send_all(c, nf, sizeof nf - 1);
}

/* Starts the server on a free port and points AUTOREC_MIRROR at it. */
static void serve(const route *routes, size_t n) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    cr_assert(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
    cr_assert(listen(s, 16) == 0);
    cr_assert(getsockname(s, (struct sockaddr *)&a, &al) == 0);
    server_port = ntohs(a.sin_port);
    int p[2];
    cr_assert(pipe(p) == 0);
    if (count_fd >= 0) close(count_fd);
    n_requests = 0;
    server = fork();
    cr_assert(server >= 0);
    if (server == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        signal(SIGPIPE, SIG_IGN);         /* a client may hang up early */
        close(p[0]);
        for (;;) {
            int c = accept(s, NULL, NULL);
            if (c < 0) continue;
            serve_one(c, routes, n, p[1]);
            close(c);
        }
    }
    close(s);
    close(p[1]);
    count_fd = p[0];
    fcntl(count_fd, F_SETFL, O_NONBLOCK);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", server_port);
    setenv("AUTOREC_MIRROR", url, 1);
}

/* Requests the server has seen so far (it counts before it answers). */
static int requests(void) {
    char buf[64];
    ssize_t r;
    while ((r = read(count_fd, buf, sizeof buf)) > 0) n_requests += (int)r;
    return n_requests;
}

/* ---- zips ----------------------------------------------------------------------------------- */

/* A zip of the shared ml-100k directory (tu_ml100k_zip); skips the test without it. */
static char *shared_zip(size_t *len, int alter) {
    if (!shared_data)
        cr_skip_test("MovieLens 100K not found: set AUTOREC_DATA to the ml-100k directory");
    return tu_ml100k_zip(shared_data, alter, NULL, len);
}

static const char synth_udata[] = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n";

/* A well-formed ml-100k-like zip whose u.data is not the real one. */
static char *synthetic_zip(size_t *len) {
    const tu_zip_entry e[] = {{"ml-100k/", NULL, 0},
                              {"ml-100k/u.data", synth_udata, sizeof synth_udata - 1},
                              {"ml-100k/README", "not the real thing\n", 19}};
    return tu_make_zip(e, 3, len);
}

/* ---- assertions ----------------------------------------------------------------------------- */

/* The names in dir other than . and .. (0 when dir does not exist). */
static int entries(const char *dir, char *first, size_t first_len) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n++ == 0 && first) snprintf(first, first_len, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

static void assert_cache_empty(void) {
    char first[256] = "";
    cr_assert_eq(entries(cache, first, sizeof first), 0, "the cache holds '%s'", first);
}

static void assert_has(const char *what) {
    cr_assert(strstr(ar_last_error(), what), "message '%s' lacks '%s'", ar_last_error(), what);
}

/* The error of a failed download must say where hand-downloaded files go. */
static void assert_says_where(const char *name, const char *ratings) {
    char want[400];
    snprintf(want, sizeof want, "%s/%s/%s", cache, name, ratings);
    assert_has(want);
    assert_has("AUTOREC_DATA");
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

/* ---- tests ---------------------------------------------------------------------------------- */

Test(fetch, table_and_unknown_names) {
    const ar_movielens_info *m = ar_movielens_find("ML-1M");
    cr_assert(m && strcmp(m->name, "ml-1m") == 0 && strcmp(m->ratings_file, "ratings.dat") == 0);
    cr_assert(m->n_ratings == 1000209 && m->rating_min == 1 && m->rating_max == 5);
    m = ar_movielens_find("ml-10m");
    cr_assert(m && strcmp(m->zip, "ml-10m.zip") == 0 && m->rating_min == 0.5f);
    m = ar_movielens_find("ml-latest-small");
    cr_assert(m && strcmp(m->ratings_file, "ratings.csv") == 0 && m->n_ratings == 100836);
    m = ar_movielens_find("ml-100k");
    cr_assert(m && strcmp(m->ratings_file, "u.data") == 0 && m->n_ratings == 100000);
    cr_assert_null(ar_movielens_find("ml-20m"));

    char dir[512];
    cr_assert_eq(ar_movielens_locate("ml-20m", 1, dir, sizeof dir), AR_ERR_INVALID_ARG);
    assert_has("ml-20m");
    assert_has("ml-1m");
    assert_has("ml-latest-small");
}

Test(fetch, good_zip_is_cached_and_reused) {
    size_t len;
    char *zip = shared_zip(&len, 0);
    route r[] = {{"/ml-100k.zip", zip, len, SERVE}};
    serve(r, 1);
    char dir[512], want[400];
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_OK, "%s",
                 ar_last_error());
    snprintf(want, sizeof want, "%s/ml-100k", cache);
    cr_assert_str_eq(dir, want);
    cr_assert_eq(requests(), 1);

    char p[600];
    size_t a, b;
    snprintf(p, sizeof p, "%s/u.data", shared_data);
    char *orig = tu_slurp(p, &a);
    snprintf(p, sizeof p, "%s/u.data", dir);
    char *got = tu_slurp(p, &b);
    cr_assert(a == b && memcmp(orig, got, a) == 0, "the cached u.data differs");
    snprintf(p, sizeof p, "%s/u1.base", dir);
    cr_assert(access(p, R_OK) == 0, "u1.base was not extracted");
    /* Only the entry: no temporaries left behind. */
    char first[256];
    cr_assert_eq(entries(cache, first, sizeof first), 1, "the cache holds more than ml-100k");

    /* A second locate is a cache hit: no request. */
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_OK, "%s",
                 ar_last_error());
    cr_assert_str_eq(dir, want);
    cr_assert_eq(requests(), 1);
    free(orig);
    free(got);
    free(zip);
}

/* $AUTOREC_DATA as the dataset directory, or as a directory holding ml-100k/: no network. */
Test(fetch, autorec_data_needs_no_request) {
    serve(NULL, 0);
    char parent[400], ds[450], p[500], dir[512];
    snprintf(parent, sizeof parent, "%s/data", home);
    snprintf(ds, sizeof ds, "%s/ml-100k", parent);
    cr_assert(mkdir(parent, 0755) == 0 && mkdir(ds, 0755) == 0);
    snprintf(p, sizeof p, "%s/u.data", ds);
    write_text(p, synth_udata);

    setenv("AUTOREC_DATA", ds, 1);
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_OK, "%s",
                 ar_last_error());
    cr_assert_str_eq(dir, ds);
    setenv("AUTOREC_DATA", parent, 1);
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_OK, "%s",
                 ar_last_error());
    cr_assert_str_eq(dir, ds);
    if (shared_data) {
        setenv("AUTOREC_DATA", shared_data, 1);
        cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_OK, "%s",
                     ar_last_error());
        cr_assert_str_eq(dir, shared_data);
    }
    cr_assert_eq(requests(), 0);
    assert_cache_empty();

    /* AUTOREC_DATA without the dataset's ratings file does not count. */
    setenv("AUTOREC_DATA", ds, 1);
    cr_assert_eq(ar_movielens_locate("ml-1m", 1, dir, sizeof dir), AR_ERR_IO);
    cr_assert_eq(requests(), 1);
}

Test(fetch, altered_ratings_are_refused) {
    size_t len;
    char *zip = synthetic_zip(&len);
    route r[] = {{"/ml-100k.zip", zip, len, SERVE}};
    serve(r, 1);
    char dir[512];
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_ERR_IO);
    assert_has("SHA-256");
    assert_has("u.data");
    assert_says_where("ml-100k", "u.data");
    assert_cache_empty();
    free(zip);
}

Test(fetch, one_altered_byte_is_refused) {
    size_t len;
    char *zip = shared_zip(&len, 1);
    route r[] = {{"/ml-100k.zip", zip, len, SERVE}};
    serve(r, 1);
    char dir[512];
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_ERR_IO);
    assert_has("SHA-256");
    assert_has("06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490");
    assert_cache_empty();
    free(zip);
}

/* The other datasets pin the zip's checksum, checked before anything is extracted. */
Test(fetch, zip_checksum_mismatch_is_refused) {
    size_t len;
    const tu_zip_entry e[] = {{"ml-1m/ratings.dat", "1::1::5::978300760\n", 19}};
    char *zip = tu_make_zip(e, 1, &len);
    route r[] = {{"/ml-1m.zip", zip, len, SERVE}};
    serve(r, 1);
    char dir[512];
    cr_assert_eq(ar_movielens_locate("ml-1m", 1, dir, sizeof dir), AR_ERR_IO);
    assert_has("MD5");
    assert_has("c4d9eecfca2ab87c1945afe126590906");
    assert_says_where("ml-1m", "ratings.dat");
    assert_cache_empty();
    free(zip);
}

Test(fetch, truncated_transfer_leaves_nothing) {
    size_t len;
    char *zip = synthetic_zip(&len);
    route r[] = {{"/ml-100k.zip", zip, len, TRUNCATE}};
    serve(r, 1);
    char dir[512], url[128];
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_ERR_IO);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ml-100k.zip", server_port);
    assert_has(url);
    assert_has("curl");
    assert_says_where("ml-100k", "u.data");
    assert_cache_empty();
    cr_assert_eq(requests(), 1);
    free(zip);
}

Test(fetch, http_404_names_status_and_url) {
    serve(NULL, 0);
    char dir[512], url[128];
    cr_assert_eq(ar_movielens_locate("ml-latest-small", 1, dir, sizeof dir), AR_ERR_IO);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ml-latest-small.zip", server_port);
    assert_has(url);
    assert_has("404");
    assert_says_where("ml-latest-small", "ratings.csv");
    assert_cache_empty();
}

/* No network and no data: the message says exactly where to put the files. */
Test(fetch, connection_refused_says_where_to_put_files) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    cr_assert(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    cr_assert(getsockname(s, (struct sockaddr *)&a, &al) == 0);
    close(s); /* bound, never listened, closed: nothing answers on this port */
    char url[64], dir[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    setenv("AUTOREC_MIRROR", url, 1);
    cr_assert_eq(ar_movielens_locate("ml-1m", 1, dir, sizeof dir), AR_ERR_IO);
    assert_has("ml-1m.zip");
    assert_has("curl");
    assert_says_where("ml-1m", "ratings.dat");
    assert_cache_empty();
}

Test(fetch, download_off_says_where_to_put_files) {
    serve(NULL, 0);
    char dir[512];
    cr_assert_eq(ar_movielens_locate("ml-10m", 0, dir, sizeof dir), AR_ERR_IO);
    assert_says_where("ml-10m", "ratings.dat");
    cr_assert_eq(requests(), 0);
    assert_cache_empty();
}

Test(fetch, unsafe_paths_are_refused) {
    static const char *bad[] = {"ml-100k/../../evil", "../evil", "/tmp/autorec-fetch-evil"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        size_t len;
        const tu_zip_entry e[] = {{"ml-100k/", NULL, 0},
                                  {bad[k], "gotcha\n", 7},
                                  {"ml-100k/u.data", synth_udata, sizeof synth_udata - 1}};
        char *zip = tu_make_zip(e, 3, &len);
        route r[] = {{"/ml-100k.zip", zip, len, SERVE}};
        serve(r, 1);
        char dir[512], p[400];
        cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_ERR_IO);
        assert_has("unsafe path");
        assert_cache_empty();
        /* Where the entry would have landed, from the extraction directory. */
        snprintf(p, sizeof p, "%s/evil", cache);
        cr_assert(access(p, F_OK) != 0, "%s was written", p);
        snprintf(p, sizeof p, "%s/xdg/evil", home);
        cr_assert(access(p, F_OK) != 0, "%s was written", p);
        cr_assert(access("/tmp/autorec-fetch-evil", F_OK) != 0, "an absolute path was written");
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        server = -1;
        free(zip);
    }
}

/* Temporaries of a dead process go on the next locate; those of a live one stay. */
Test(fetch, stale_temporaries_are_removed) {
    pid_t dead = fork();
    cr_assert(dead >= 0);
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    char p[500], dir[512];
    snprintf(p, sizeof p, "mkdir -p '%s/.ml-100k.tmp-%ld-aBcDeF/sub' '%s/.ml-1m.tmp-%ld-xyzxyz'",
             cache, (long)dead, cache, (long)getpid());
    cr_assert(system(p) == 0);
    snprintf(p, sizeof p, "%s/.ml-100k.tmp-%ld-aBcDeF/sub/u.data", cache, (long)dead);
    write_text(p, synth_udata);
    snprintf(p, sizeof p, "%s/.ml-10m.zip.part-%ld-QwErTy", cache, (long)dead);
    write_text(p, "partial");
    serve(NULL, 0);
    cr_assert_eq(ar_movielens_locate("ml-100k", 1, dir, sizeof dir), AR_ERR_IO); /* 404 */
    char first[256] = "";
    cr_assert_eq(entries(cache, first, sizeof first), 1);
    char live[64];
    snprintf(live, sizeof live, ".ml-1m.tmp-%ld-xyzxyz", (long)getpid());
    cr_assert_str_eq(first, live, "the live process's temporary must stay");
}

/* SIGINT during the transfer: temporaries removed, then the signal ends the process. */
Test(fetch, interrupted_download_leaves_nothing) {
    size_t len;
    char *zip = synthetic_zip(&len);
    char *big = malloc(1 << 20);
    memset(big, 'x', 1 << 20);
    memcpy(big, zip, len); /* the size is what matters: half of it arrives, then a stall */
    route r[] = {{"/ml-100k.zip", big, 1 << 20, STALL}};
    serve(r, 1);
    pid_t child = fork();
    cr_assert(child >= 0);
    if (child == 0) {
        signal(SIGINT, SIG_DFL);
        char dir[512];
        ar_movielens_locate("ml-100k", 1, dir, sizeof dir);
        _exit(3); /* reached only if the signal did not end the process */
    }
    /* Wait for the request, then for the part file to hold data. */
    struct pollfd pf = {.fd = count_fd, .events = POLLIN};
    cr_assert(poll(&pf, 1, 10000) == 1, "no request within 10 s");
    char first[256] = "";
    for (int i = 0; i < 100 && entries(cache, first, sizeof first) == 0; i++) usleep(20000);
    cr_assert(strstr(first, ".ml-100k.zip.part-"), "no part file (cache holds '%s')", first);
    usleep(200000);
    kill(child, SIGINT);
    int status = 0, done = 0;
    for (int i = 0; i < 500 && !(done = waitpid(child, &status, WNOHANG) == child); i++)
        usleep(20000);
    if (!done) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        cr_assert_fail("the download did not stop within 10 s of SIGINT");
    }
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT,
              "the child should die of SIGINT (status 0x%x)", status);
    assert_cache_empty();
    free(big);
    free(zip);
}
