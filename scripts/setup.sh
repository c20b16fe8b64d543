#!/usr/bin/env sh
# `npm run setup`: `npm ci` under Node 24 (arguments go to npm ci), then the compiled build, which
# bin/spillway.js runs while it matches the sources (decision 0026). A dry run installs nothing, so
# there is nothing to build after it.
set -eu
cd "$(dirname "$0")/.."
sh scripts/with-node24.sh npm ci --no-audit --no-fund "$@"
case " $* " in
  *" --dry-run "*) exit 0 ;;
esac
sh scripts/with-node24.sh npm run build
