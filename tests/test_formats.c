/* test_formats.c - every rating file format, format detection, bad lines per format, skipping,
 * rating ranges, exact number parsing, titles files, and finding files in a dataset directory.
 * All data here is synthetic, written by the tests. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

TestSuite(formats, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* Parses text with options o and checks the triples against want (n of them). */
static void expect(const char *text, const ar_load_options *o, ar_format fmt, size_t n,
                   const int64_t (*want)[2], const float *rating) {
    ar_ratings *r = NULL;
    ar_status st = ar_ratings_parse(text, strlen(text), "mem", o, &r);
    cr_assert_eq(st, AR_OK, "parse failed: %s\n--- input ---\n%s", ar_last_error(), text);
    cr_assert_eq(ar_ratings_format(r), fmt, "format %s, want %s",
                 ar_format_name(ar_ratings_format(r)), ar_format_name(fmt));
    cr_assert_eq(ar_ratings_count(r), n, "%zu ratings, want %zu", ar_ratings_count(r), n);
    for (size_t k = 0; k < n; k++) {
        int64_t u, i;
        float v;
        ar_ratings_get(r, k, &u, &i, &v);
        cr_assert(u == want[k][0] && i == want[k][1] && v == rating[k],
                  "rating %zu: (%lld, %lld, %g), want (%lld, %lld, %g)", k, (long long)u,
                  (long long)i, (double)v, (long long)want[k][0], (long long)want[k][1],
                  (double)rating[k]);
    }
    ar_ratings_free(r);
}

static const int64_t ids2[][2] = {{1, 10}, {2, 20}};

Test(formats, detects_each_movielens_format) {
    const float r1[] = {5, 3.5f};
    expect("1\t10\t5\t881250949\n2\t20\t3.5\t891717742\n", NULL, AR_FORMAT_TAB, 2, ids2, r1);
    expect("1::10::5::978300760\n2::20::3.5::978302109\n", NULL, AR_FORMAT_DAT, 2, ids2, r1);
    expect("userId,movieId,rating,timestamp\n1,10,5.0,964982703\n2,20,3.5,964981247\n", NULL,
           AR_FORMAT_ML_CSV, 2, ids2, r1);
}

Test(formats, generic_csv_tsv_with_header_or_columns) {
    const float r1[] = {4, 2.5f};
    /* header names map the columns, in any order, with any delimiter */
    expect("item;user;score\n10;1;4\n20;2;2.5\n", NULL, AR_FORMAT_CSV, 2, ids2, r1);
    expect("user_id|book_id|rating\n1|10|4\n2|20|2.5\n", NULL, AR_FORMAT_CSV, 2, ids2, r1);
    expect("user\titem\trating\n1\t10\t4\n2\t20\t2.5\n", NULL, AR_FORMAT_CSV, 2, ids2, r1);
    /* no header: user,item,rating; quoted fields */
    expect("\"1\",\"10\",\"4\"\n2,20,2.5\n", NULL, AR_FORMAT_CSV, 2, ids2, r1);
    /* --columns gives the roles; other columns are read past */
    ar_load_options o;
    ar_load_options_default(&o);
    o.columns = "rating,_,item,user";
    expect("4,x,10,1\n2.5,y,20,2\n", &o, AR_FORMAT_CSV, 2, ids2, r1);
    /* a header is still read past with --columns */
    expect("a,b,c,d\n4,x,10,1\n2.5,y,20,2\n", &o, AR_FORMAT_CSV, 2, ids2, r1);
    /* forced format and delimiter */
    o.columns = NULL;
    o.format = AR_FORMAT_CSV;
    o.delimiter = ' ';
    expect("1 10 4\n2 20 2.5\n", &o, AR_FORMAT_CSV, 2, ids2, r1);
}

/* ar_column_role: the roles a header line's names give, for tables held in memory (the Python
 * package's DataFrames); the library's version string. */
Test(formats, column_roles_and_version) {
    cr_assert_str_eq(ar_column_role("userId"), "user");
    cr_assert_str_eq(ar_column_role("USER_ID"), "user");
    cr_assert_str_eq(ar_column_role("movie_id"), "item");
    cr_assert_str_eq(ar_column_role("isbn"), "item");
    cr_assert_str_eq(ar_column_role("Stars"), "rating");
    cr_assert_str_eq(ar_column_role("ts"), "timestamp");
    cr_assert_null(ar_column_role("genre"));
    cr_assert_null(ar_column_role("user_"));
    cr_assert_null(ar_column_role(""));
    cr_assert_null(ar_column_role(NULL));
    cr_assert_str_eq(ar_version(), AR_VERSION_STRING);
}

/* What the bad-input decisions of docs/data.md accept. */
Test(formats, decimal_ratings_blanks_and_quotes) {
    static const struct { const char *text, *columns; ar_format fmt; float r[2]; } cases[] = {
        /* exponents, a tiny but normal float, a zero however written, the 1e9 bound itself */
        {"1\t10\t4e0\n2\t20\t2.5E-1\n", NULL, AR_FORMAT_TAB, {4, 0.25f}},
        {"1\t10\t1e-30\n2\t20\t-0.0e-999\n", NULL, AR_FORMAT_TAB, {1e-30f, 0}},
        {"1\t10\t1e9\n2\t20\t-1000000000\n", NULL, AR_FORMAT_TAB, {1e9f, -1e9f}},
        /* tab files: blanks at the ends are ignored, spaces around one tab are one separator */
        {"\t1 \t 10\t4\t\n2   20\t0.25 \t\n", NULL, AR_FORMAT_TAB, {4, 0.25f}},
        /* quoted fields hold the delimiter and doubled quotes (here in columns read past) */
        {"1,10,4,\"good, \"\"really\"\"\"\n2,\"20\" ,0.25,\"\"\n", "user,item,rating,comment",
         AR_FORMAT_CSV, {4, 0.25f}},
        {"\"user\",\"movie_id\",\"rating\",\"a, b\"\n1,10,4,x\n2,20,0.25,y\n", NULL, AR_FORMAT_CSV,
         {4, 0.25f}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ar_load_options o;
        ar_load_options_default(&o);
        o.columns = cases[k].columns;
        expect(cases[k].text, &o, cases[k].fmt, 2, ids2, cases[k].r);
    }
}

Test(formats, bom_crlf_blank_lines_and_spaces) {
    const float r1[] = {5, 3};
    expect("\xEF\xBB\xBF" "1::10::5::1\r\n\r\n  \n2::20::3::2\r\n", NULL, AR_FORMAT_DAT, 2, ids2,
           r1);
    expect("\xEF\xBB\xBF" "userId,movieId,rating,timestamp\r\n1,10,5,1\r\n2,20,3,2", NULL,
           AR_FORMAT_ML_CSV, 2, ids2, r1);
    expect("\n\n 1  10 \t 5\n2 20 3\n", NULL, AR_FORMAT_TAB, 2, ids2, r1);
}

/* Each malformed input must be AR_ERR_PARSE naming name:line and the problem. */
Test(formats, malformed_lines_in_every_format) {
    static const struct { const char *text; int line; const char *words; } cases[] = {
        {"1::2::3::4\n1::2\n", 2, "fields"},
        {"1::2::3::4\n5::x::3::4\n", 2, "item id 'x' is not an integer"},
        {"1::2::3::4\n-5::2::3::4\n", 2, "user id '-5' is negative"},
        {"1::2::3::4\n5::99999999999::3::4\n", 2, "larger than"},
        {"1::2::3::4\n5::2::7::4\n", 2, "outside the scale 0.5..5"},
        {"1::2::3::4\n5::2::nan::4\n", 2, "not a finite number"},
        {"1::2::3::4\n5::2::3::-4\n", 2, "timestamp"},
        {"userId,movieId,rating,timestamp\n1,2,3.5,4\n1,2,3.5\n", 3, "fields"},
        {"userId,movieId,rating,timestamp\n1,2,0.25,4\n", 2, "outside the scale"},
        {"userId,movieId,rating,timestamp\n1,,3,4\n", 2, "item id is empty"},
        {"user,item,rating\n1,2,3\n1,2\n", 3, "expected 3 fields"},
        {"user,item,rating\n1,2,3\n1,2,inf\n", 3, "not a finite number"},
        {"a,b,c\n1,2,3\n", 1, "header"},
        /* found by the fuzzer: fewer columns than user, item, rating */
        {"a,b\n1,2\n", 1, "header"},
        {"1,2\n", 1, "at least 3 fields"},
        {"1\t2\t3\n1\t2\t1e999\n", 2, "rating 1e999 is out of range (|r| <= 1e9"},
        {"1\t2\t3\n1\t2\t3\t4\t5\n", 2, "found 5"},
        {"1\t2\t3\n1\t2\t3e10\n", 2, "rating 3e10 is out of range (|r| <= 1e9"},
        {"1\t2\t3\n\xff\xfe\t2\t3\n", 2, "user id"},
        /* the bad-input decisions of docs/data.md: finite but too large is out of range ... */
        {"1\t2\t3\n1\t2\t1e40\n", 2, "rating 1e40 is out of range (|r| <= 1e9"},
        {"1::2::3::4\n5::2::1e40::4\n", 2, "rating 1e40 is outside the scale 0.5..5"},
        /* ... a rating is a decimal number (no hex floats, no lone exponent) ... */
        {"1\t2\t3\n1\t2\t0x1p3\n", 2, "rating '0x1p3' is not a decimal number"},
        {"1\t2\t3\n1\t2\t1e\n", 2, "rating '1e' is not a decimal number"},
        {"1\t2\t3\n1\t2\t1.2.3\n", 2, "not a decimal number"},
        {"1\t2\t3\n1\t2\t-\n", 2, "not a decimal number"},
        /* ... nonzero but too small for a normal float is out of range, not 0 ... */
        {"1\t2\t3\n1\t2\t1e-400\n", 2, "rating 1e-400 is out of range: nonzero"},
        {"1\t2\t3\n1\t2\t1e-40\n", 2, "rating 1e-40 is out of range: nonzero"},
        /* ... two tabs in a row enclose an empty field (the timestamp is no rating) ... */
        {"1\t2\t3\t4\n1\t1\t\t88\n", 2, "rating is empty (two tabs in a row"},
        {"1\t2\t3\n1\t\t2\t3\n", 2, "item id is empty (two tabs in a row"},
        /* ... and RFC 4180 quotes: the delimiter inside quotes does not split */
        {"user,item,rating\n1,2,3\n1,\"2,3\",4\n", 3, "item id '2,3' is not an integer"},
        {"user,item,rating\n1,2,\"3,5\"\n", 2, "rating '3,5' is not a decimal number"},
        {"user,item,rating\n1,\"2,3\n", 2, "quoted field is not closed on its line"},
        {"user,item,rating\n1,\"2\"x,3\n", 2, "text after a quoted field's closing quote"},
        {"\"user,item,rating\n", 1, "quoted field is not closed"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ar_ratings *r = NULL;
        ar_status st = ar_ratings_parse(cases[k].text, strlen(cases[k].text), "f.txt", NULL, &r);
        char want[64];
        snprintf(want, sizeof want, "f.txt:%d:", cases[k].line);
        cr_assert_eq(st, AR_ERR_PARSE, "case %zu: status %d (%s)", k, st, ar_last_error());
        cr_assert(strstr(ar_last_error(), want), "case %zu: '%s' lacks '%s'", k, ar_last_error(),
                  want);
        cr_assert(strstr(ar_last_error(), cases[k].words), "case %zu: '%s' lacks '%s'", k,
                  ar_last_error(), cases[k].words);
        cr_assert_null(r);
    }
}

Test(formats, empty_header_only_and_nul_bytes) {
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_parse("", 0, "e", NULL, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "no ratings"), "%s", ar_last_error());
    cr_assert_eq(ar_ratings_parse("\n \r\n", 4, "e", NULL, &r), AR_ERR_PARSE);
    const char *h = "userId,movieId,rating,timestamp\n";
    cr_assert_eq(ar_ratings_parse(h, strlen(h), "h", NULL, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "no ratings"), "%s", ar_last_error());
    const char bin[] = "1\t2\t3\n4\t5\0\t6\n7\t8\t9\n";
    cr_assert_eq(ar_ratings_parse(bin, sizeof bin - 1, "b", NULL, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "b:2:") && strstr(ar_last_error(), "NUL"), "%s",
              ar_last_error());
    /* skip_bad skips a line with a NUL byte like any malformed line, also before a header */
    ar_load_options s;
    ar_load_options_default(&s);
    s.skip_bad = 1;
    const char *first = NULL;
    cr_assert_eq(ar_ratings_parse(bin, sizeof bin - 1, "b", &s, &r), AR_OK, "%s", ar_last_error());
    cr_assert(ar_ratings_count(r) == 2 && ar_ratings_skipped(r, &first) == 1);
    cr_assert(strstr(first, "b:2:") && strstr(first, "NUL"), "%s", first);
    ar_ratings_free(r);
    const char hdr[] = "\n\0\x01\n\n\0::\nuser;item;rating\n1;2;3\n";
    cr_assert_eq(ar_ratings_parse(hdr, sizeof hdr - 1, "h", &s, &r), AR_OK, "%s", ar_last_error());
    cr_assert(ar_ratings_count(r) == 1 && ar_ratings_format(r) == AR_FORMAT_CSV);
    cr_assert(ar_ratings_skipped(r, &first) == 2 && strstr(first, "h:2:"), "%s", first);
    ar_ratings_free(r);
    cr_assert_eq(ar_ratings_parse(hdr, 8, "h", &s, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "2 malformed lines skipped") &&
              strstr(ar_last_error(), "h:2: contains a NUL byte"), "%s", ar_last_error());
    /* a ratings.csv that lacks its header */
    ar_load_options o;
    ar_load_options_default(&o);
    o.format = AR_FORMAT_ML_CSV;
    cr_assert_eq(ar_ratings_parse("1,2,3,4\n", 8, "m", &o, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "m:1:") && strstr(ar_last_error(), "header"));
}

Test(formats, skip_bad_counts_and_keeps_the_rest) {
    const char *text = "1::10::5::1\n1::x::3::1\nshort\n2::20::3.5::2\n3::30::9::3\n";
    ar_load_options o;
    ar_load_options_default(&o);
    o.skip_bad = 1;
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_parse(text, strlen(text), "s", &o, &r), AR_OK, "%s", ar_last_error());
    const char *first = NULL;
    cr_assert_eq(ar_ratings_count(r), 2);
    cr_assert_eq(ar_ratings_skipped(r, &first), 3);
    cr_assert(first && strstr(first, "s:2:") && strstr(first, "item id"), "%s", first);
    ar_ratings_free(r);
    /* nothing good: still an error, with the count */
    cr_assert_eq(ar_ratings_parse("a\nb\n", 4, "s", &o, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "no valid ratings") && strstr(ar_last_error(), "2 malformed"),
              "%s", ar_last_error());
}

Test(formats, rating_range_option) {
    ar_load_options o;
    ar_load_options_default(&o);
    ar_ratings *r = NULL;
    /* generic files accept any finite scale by default, e.g. -10..10 (Jester) */
    const char *jester = "1\t2\t-9.5\n1\t3\t10\n";
    cr_assert_eq(ar_ratings_parse(jester, strlen(jester), "j", &o, &r), AR_OK, "%s",
                 ar_last_error());
    ar_ratings_free(r);
    o.rating_min = 1, o.rating_max = 5;
    cr_assert_eq(ar_ratings_parse("1\t2\t3\n1\t3\t6\n", 12, "j", &o, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "j:2:") && strstr(ar_last_error(), "1..5"), "%s",
              ar_last_error());
    /* a range wider than MovieLens' lets a dat file through */
    o.rating_min = 0, o.rating_max = 10;
    cr_assert_eq(ar_ratings_parse("1::2::7::0\n", 11, "d", &o, &r), AR_OK, "%s", ar_last_error());
    ar_ratings_free(r);
    o.rating_max = NAN;
    cr_assert_eq(ar_ratings_parse("1::2::7::0\n", 11, "d", &o, &r), AR_ERR_INVALID_ARG);
}

Test(formats, bad_options_are_invalid_arguments) {
    ar_load_options o;
    ar_load_options_default(&o);
    ar_ratings *r = NULL;
    o.columns = "user,item";
    cr_assert_eq(ar_ratings_parse("1,2,3\n", 6, "c", &o, &r), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_load_options.columns"), "%s", ar_last_error());
    o.columns = "user,item,rating,rating";
    cr_assert_eq(ar_ratings_parse("1,2,3,4\n", 8, "c", &o, &r), AR_ERR_INVALID_ARG);
    o.columns = "user,item,rating";
    cr_assert_eq(ar_ratings_parse("1::2::3::4\n", 11, "c", &o, &r), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "csv"), "%s", ar_last_error());
    ar_format f;
    cr_assert_eq(ar_format_parse("parquet", &f), AR_ERR_INVALID_ARG);
    cr_assert(ar_format_parse("TSV", &f) == AR_OK && f == AR_FORMAT_TAB);
    cr_assert(ar_format_parse("ml-csv", &f) == AR_OK && f == AR_FORMAT_ML_CSV);
}

/* The fast rating parser must give what strtod gives, for every common decimal form. */
Test(formats, ratings_parse_exactly_like_strtod) {
    ar_rng rng = {tu_seed()};
    char text[64 * 2000], *p = text;
    float want[2000];
    for (int k = 0; k < 2000; k++) {
        char num[40];
        switch (k % 4) {
        case 0: snprintf(num, sizeof num, "%d", (int)(ar_rng_next(&rng) % 11)); break;
        case 1: snprintf(num, sizeof num, "%.1f", ar_rng_uniform(&rng) * 5); break;
        case 2: snprintf(num, sizeof num, "%.7f", ar_rng_uniform(&rng) * 10 - 5); break;
        default: snprintf(num, sizeof num, "%.17g", ar_rng_uniform(&rng) * 1e6); break;
        }
        want[k] = (float)strtod(num, NULL);
        p += sprintf(p, "%d\t1\t%s\n", k, num);
    }
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_parse(text, (size_t)(p - text), "n", NULL, &r), AR_OK, "%s",
                 ar_last_error());
    for (int k = 0; k < 2000; k++) {
        float v;
        ar_ratings_get(r, (size_t)k, NULL, NULL, &v);
        cr_assert(v == want[k], "line %d: %.9g, strtod gives %.9g", k + 1, (double)v,
                  (double)want[k]);
    }
    ar_ratings_free(r);
}

Test(formats, load_ex_reads_files_and_names_them) {
    const char *p = tu_write_file("r.csv", "item,user,rating\n10,1,4\n");
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_load_ex(p, NULL, &r), AR_OK, "%s", ar_last_error());
    int64_t u, i;
    ar_ratings_get(r, 0, &u, &i, NULL);
    cr_assert(u == 1 && i == 10);
    ar_ratings_free(r);
    p = tu_write_file("bad.csv", "item,user,rating\n10,1,4\n10,1\n");
    cr_assert_eq(ar_ratings_load_ex(p, NULL, &r), AR_ERR_PARSE);
    char want[300];
    snprintf(want, sizeof want, "%s:3:", p);
    cr_assert(strstr(ar_last_error(), want), "%s", ar_last_error());
    cr_assert_eq(ar_ratings_load(tu_tmpdir(), &r), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "directory"), "%s", ar_last_error());
}

/* Regular files only: an endless device, a FIFO with no writer and a directory are refused up
 * front, by every reader, without reading (alarm: a reader that blocks or reads on fails). */
Test(formats, only_regular_files_are_read) {
    alarm(20);
    const char *fifo = tu_path("fifo");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {"/dev/zero", fifo, tu_tmpdir()};
    const char *kinds[] = {"is a character device", "is a FIFO", "is a directory"};
    for (int k = 0; k < 3; k++) {
        ar_ratings *r = NULL;
        ar_titles *t = NULL;
        ar_checkpoint *c = NULL;
        char *buf = NULL;
        size_t len = 0;
        double t0 = ar_time_seconds();
        cr_assert_eq(ar_ratings_load(paths[k], &r), AR_ERR_IO, "%s", paths[k]);
        cr_assert(strstr(ar_last_error(), kinds[k]), "%s", ar_last_error());
        cr_assert_eq(ar_titles_load(paths[k], &t), AR_ERR_IO);
        cr_assert(strstr(ar_last_error(), kinds[k]), "%s", ar_last_error());
        cr_assert_eq(ar_checkpoint_read(paths[k], &c), AR_ERR_IO);
        cr_assert(strstr(ar_last_error(), kinds[k]), "%s", ar_last_error());
        cr_assert_eq(ar_read_file(paths[k], &buf, &len), AR_ERR_IO);
        cr_assert(k == 2 || strstr(ar_last_error(), "regular files only"), "%s", ar_last_error());
        cr_assert(!r && !t && !c && !buf);
        cr_assert_lt(ar_time_seconds() - t0, 1.0, "%s took %.2f s", paths[k],
                     ar_time_seconds() - t0);
    }
    /* a regular file that starts binary is refused at its first line, not scanned whole: a
     * sparse 16 GiB file of zeros (no disk space used) */
    FILE *f = fopen(tu_path("sparse"), "wb");
    cr_assert(f && ftruncate(fileno(f), (off_t)16 << 30) == 0);
    fclose(f);
    ar_ratings *r = NULL;
    double t0 = ar_time_seconds();
    cr_assert_eq(ar_ratings_load(tu_path("sparse"), &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "sparse:1: contains a NUL byte"), "%s", ar_last_error());
    cr_assert_lt(ar_time_seconds() - t0, 1.0, "took %.2f s", ar_time_seconds() - t0);
}

/* ---- titles ------------------------------------------------------------------------------- */

Test(formats, titles_in_each_format) {
    /* u.item is Latin-1: 0xE9 is e-acute and must come out as UTF-8 */
    const char uitem[] = "1|Caf\xe9 Society (1995)|01-Jan-1995||http://x|0|1\n2|Two (1996)|||\n";
    const char dat[] = "1::Toy Tale (1995)::Animation|Comedy\r\n7::Seven::Drama\n";
    const char csv[] = "movieId,title,genres\n1,Plain (2000),Drama\n"
                       "11,\"President, The \"\"Great\"\" (1995)\",Comedy|Drama\n";
    ar_titles *t = NULL;
    cr_assert_eq(ar_titles_parse(uitem, sizeof uitem - 1, "u.item", &t), AR_OK, "%s",
                 ar_last_error());
    cr_assert_eq(ar_titles_count(t), 2);
    cr_assert_str_eq(ar_titles_get(t, 1), "Caf\xc3\xa9 Society (1995)");
    cr_assert_str_eq(ar_titles_get(t, 2), "Two (1996)");
    cr_assert_null(ar_titles_get(t, 3));
    ar_titles_free(t);
    cr_assert_eq(ar_titles_parse(dat, sizeof dat - 1, "movies.dat", &t), AR_OK, "%s",
                 ar_last_error());
    cr_assert_str_eq(ar_titles_get(t, 1), "Toy Tale (1995)");
    cr_assert_str_eq(ar_titles_get(t, 7), "Seven");
    ar_titles_free(t);
    cr_assert_eq(ar_titles_parse(csv, sizeof csv - 1, "movies.csv", &t), AR_OK, "%s",
                 ar_last_error());
    cr_assert_str_eq(ar_titles_get(t, 11), "President, The \"Great\" (1995)");
    cr_assert_str_eq(ar_titles_get(t, 1), "Plain (2000)");
    ar_titles_free(t);
}

Test(formats, bad_titles_files) {
    static const struct { const char *text; const char *words; } cases[] = {
        {"1|A\n1|B\n", "t:2: item 1 already has a title (line 1)"},
        {"1|A\nx|B\n", "t:2: expected an item id"},
        {"movieId,title,genres\n1,\"open,Drama\n", "t:2: unterminated"},
        {"just words\n", "t:1: not a titles file"},
        {"", "no titles"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ar_titles *t = NULL;
        cr_assert_eq(ar_titles_parse(cases[k].text, strlen(cases[k].text), "t", &t),
                     AR_ERR_PARSE, "case %zu", k);
        cr_assert(strstr(ar_last_error(), cases[k].words), "case %zu: '%s' lacks '%s'", k,
                  ar_last_error(), cases[k].words);
    }
}

/* ---- finding files ------------------------------------------------------------------------ */

Test(formats, finds_ratings_and_titles_in_directories) {
    char sub[300], path[4096];
    /* a zip extracted as is: the files sit in one subdirectory */
    snprintf(sub, sizeof sub, "%s/ml-10M100K", tu_tmpdir());
    cr_assert(mkdir(sub, 0755) == 0);
    tu_write_file("ml-10M100K/ratings.dat", "1::2::3::4\n");
    tu_write_file("ml-10M100K/movies.dat", "2::Two::Drama\n");
    cr_assert_eq(ar_ratings_find(tu_tmpdir(), path, sizeof path), AR_OK, "%s", ar_last_error());
    cr_assert(strstr(path, "ml-10M100K/ratings.dat"), "%s", path);
    char titles[4096];
    cr_assert(ar_titles_find(path, titles, sizeof titles));
    cr_assert(strstr(titles, "ml-10M100K/movies.dat"), "%s", titles);
    /* the directory's own file wins */
    tu_write_file("u.data", "1\t2\t3\n");
    cr_assert_eq(ar_ratings_find(tu_tmpdir(), path, sizeof path), AR_OK);
    cr_assert(strstr(path, "/u.data"), "%s", path);
    cr_assert(!ar_titles_find(path, titles, sizeof titles));
    /* nothing there */
    snprintf(sub, sizeof sub, "%s/empty", tu_tmpdir());
    cr_assert(mkdir(sub, 0755) == 0);
    cr_assert_eq(ar_ratings_find(sub, path, sizeof path), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "u.data") && strstr(ar_last_error(), "ratings.csv"), "%s",
              ar_last_error());
}
