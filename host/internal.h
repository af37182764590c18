/* internal.h - the library's internal headers in one include, for the library's own files and
 * the white-box tests; not installed. The command-line tool (host/cli/) never includes it: it
 * uses include/autorec.h alone. */
#ifndef AR_INTERNAL_H
#define AR_INTERNAL_H

#include "core/core.h"
#include "data/data.h"
#include "model/model.h"

#endif /* AR_INTERNAL_H */
