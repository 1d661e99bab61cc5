#!/usr/bin/env bash
# The linux-arm64 prebuild, for GPU nodes built on Grace (GH200, GB200): cross-builds the addon and the
# simulated GPU with Debian's cross compiler into prebuilds/linux-arm64/ (stripped), then runs the NVML
# contract tests (test/nvml-contract.test.ts, as written) on them with Debian's arm64 Node under
# qemu-user. N-API is stable across Node versions, so Debian's Node 18 loads what any later Node
# would; vitest needs Node 20 and x64-only native transforms here, so the test runs on node:test
# through test/arm64/vitest-shim.mjs. Needs Debian: as root it installs g++-aarch64-linux-gnu and
# qemu-user where missing, adds the arm64 architecture to dpkg, and downloads (never installs) the
# arm64 nodejs packages. Run after `npm ci` (the repository's node_modules). Used by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "arm64-check: $* missing; install with: apt-get install $*" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || apt_install g++-aarch64-linux-gnu binutils-aarch64-linux-gnu
command -v qemu-aarch64 >/dev/null 2>&1 || apt_install qemu-user

echo "== arm64-check: cross-building the addon and the simulated GPU (aarch64-linux-gnu-g++)"
mkdir -p "$work/src/node_modules"
cp -r "$root/binding.gyp" "$root/native" "$work/src/"
ln -s "$root/node_modules/node-addon-api" "$work/src/node_modules/node-addon-api"
nodedir=$(cd "$root" && npm config get nodedir)
nodedir_flag=()
if [ -d "$nodedir/include/node" ]; then nodedir_flag=(--nodedir="$nodedir"); fi
(cd "$work/src" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild --arch=arm64 "${nodedir_flag[@]}" -j 2 >"$work/build.log" 2>&1) ||
  { cat "$work/build.log" >&2; exit 1; }
dest="$root/prebuilds/linux-arm64"
mkdir -p "$dest"
for file in wattscope.node libwattscope_simgpu.so libwattscope_simgpu_legacy.so; do
  aarch64-linux-gnu-strip -o "$dest/$file" "$work/src/build/Release/$file"
  machine=$(aarch64-linux-gnu-readelf -h "$dest/$file" | sed -n 's/^ *Machine: *//p')
  [ "$machine" = "AArch64" ] || { echo "arm64-check: $dest/$file is built for '$machine', not AArch64" >&2; exit 1; }
  echo "prebuilds/linux-arm64/$file: $machine, $(stat -c %s "$dest/$file") bytes"
done

echo "== arm64-check: Debian's arm64 Node, unpacked for qemu-user"
dpkg --print-foreign-architectures | grep -qx arm64 || { [ "$(id -u)" -eq 0 ] && dpkg --add-architecture arm64 && apt-get update -qq; }
mkdir -p "$work/debs" "$work/arm64"
chmod 0755 "$work" && chmod 0777 "$work/debs" # apt-get download runs as _apt where it can
(cd "$work/debs" && apt-get download -qq nodejs:arm64 libnode108:arm64 libuv1:arm64 libc-ares2:arm64 libicu72:arm64 libssl3:arm64 \
  libnghttp2-14:arm64 libbrotli1:arm64 zlib1g:arm64 libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 node-acorn node-cjs-module-lexer \
  node-undici)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/arm64"; done
arm64_node=(qemu-aarch64 -L "$work/arm64" "$work/arm64/usr/bin/node")
"${arm64_node[@]}" -e 'if (process.arch !== "arm64") process.exit(1); console.log(`node ${process.version} ${process.arch} (N-API ${process.versions.napi}) under qemu-user`)'

echo "== arm64-check: the NVML contract tests on prebuilds/linux-arm64 (PREBUILDS_ONLY=1)"
tests="$work/tests"
node "$root/node_modules/typescript/bin/tsc" --noCheck --outDir "$tests" --rootDir "$root" --module NodeNext --moduleResolution NodeNext \
  --target ES2022 --lib ES2023,ESNext.Disposable --types node --skipLibCheck --esModuleInterop "$root/test/nvml-contract.test.ts"
cp "$root/test/arm64/vitest-shim.mjs" "$tests/test/vitest-shim.js"
sed -i "s#from 'vitest'#from './vitest-shim.js'#" "$tests/test/nvml-contract.test.js"
grep -q "from './vitest-shim.js'" "$tests/test/nvml-contract.test.js"
echo '{ "type": "module" }' >"$tests/package.json"
ln -s "$root/node_modules" "$tests/node_modules"
ln -s "$root/prebuilds" "$tests/prebuilds"
PREBUILDS_ONLY=1 "${arm64_node[@]}" "$tests/test/nvml-contract.test.js" | tee "$work/contract.tap"
grep -q '^# fail 0$' "$work/contract.tap"
grep -q '^# pass [1-9]' "$work/contract.tap"
echo "arm64-check: $(grep -E '^# (pass|skipped)' "$work/contract.tap" | tr '\n' ' ')"
