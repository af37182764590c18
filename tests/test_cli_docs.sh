#!/usr/bin/env bash
# test_cli_docs.sh AUTOREC DOC - DOC (docs/cli.md) is what `AUTOREC help --markdown` prints: the
# command-line reference is generated from the option tables, never edited by hand.
set -euo pipefail
bin=$1
doc=$2
if ! "$bin" help --markdown | diff -u "$doc" -; then
    echo "test_cli_docs.sh: $doc differs from the option tables; regenerate it with:" >&2
    echo "  $bin help --markdown > $doc" >&2
    exit 1
fi
echo "test_cli_docs.sh: $doc is up to date"
