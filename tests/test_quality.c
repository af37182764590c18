/* test_quality.c - the README's quality claim, checked: `autorec train --data $AUTOREC_DATA`
 * with default settings on MovieLens 100K u1.base / u1.test reaches test RMSE <= 0.905 within
 * its default 60 epochs. Skips, saying why, when the data is not there. */
#include <string.h>
#include <unistd.h>

#include "testutil.h"

Test(quality, default_run_on_movielens_u1, .timeout = 1800) {
    const char *d = getenv("AUTOREC_DATA");
    char base[4096];
    snprintf(base, sizeof base, "%s/u1.base", d ? d : "");
    if (!d || access(base, R_OK) != 0)
        cr_skip_test("MovieLens 100K not found: set AUTOREC_DATA to the ml-100k directory");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' train --data '%s' --json 2>&1", AUTOREC_BIN, d);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char line[4096], last[4096] = "";
    while (fgets(line, sizeof line, p)) {
        fputs(line, stderr);
        if (line[0] == '{') snprintf(last, sizeof last, "%s", line);
    }
    int status = pclose(p);
    cr_assert_eq(status, 0, "autorec train failed");
    double test_rmse = tu_json_number(last, "test_rmse");
    double epochs = tu_json_number(last, "epochs");
    cr_assert(epochs == 60, "epochs %g in %s", epochs, last);
    cr_assert(test_rmse <= 0.905, "final test RMSE %.4f > 0.905", test_rmse);
}
