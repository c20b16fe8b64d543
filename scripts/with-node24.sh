#!/usr/bin/env sh
# Runs a command with Node.js 24 first on PATH. Spillway targets Node 24 LTS; machines that ship an
# older Node get the official binary from the npm registry's node-linux-<arch> package, installed once
# into .spillway/node (no install scripts involved).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 24 ]; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "spillway: no Node 24 package for $(uname -m); install Node 24 and retry" >&2; exit 1 ;;
  esac
  prefix="$root/.spillway/node"
  bin="$prefix/node_modules/node-linux-$arch/bin"
  if [ ! -x "$bin/node" ]; then
    echo "spillway: Node $major found, installing Node 24 into .spillway/node" >&2
    npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "node-linux-$arch@24" >&2
  fi
  PATH="$bin:$PATH"
  export PATH
fi
exec "$@"
