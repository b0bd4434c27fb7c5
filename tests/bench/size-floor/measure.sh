#!/bin/sh
# Builds the size floor as `cargo xtask build-app` builds the app (the pinned nightly, the
# standard library rebuilt for size, wasm-bindgen, wasm-opt -Oz) and prints its size.
# Run from the repository's root after `cargo xtask setup`: sh tests/bench/size-floor/measure.sh
set -eu
root=$(pwd)
out=${CARGO_TARGET_DIR:-$root/target/size-floor}
cp Cargo.lock tests/bench/size-floor/Cargo.lock
cd tests/bench/size-floor
RUSTUP_TOOLCHAIN=nightly-2026-05-20 CARGO_TARGET_DIR="$out" \
CARGO_UNSTABLE_BUILD_STD=std,panic_abort CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
CARGO_PROFILE_RELEASE_PANIC=abort \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
  cargo build --release --target wasm32-unknown-unknown --quiet
wasm-bindgen "$out/wasm32-unknown-unknown/release/size-floor.wasm" --out-dir "$out/bindgen" --target web
"$root/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/bindgen/size-floor_bg.wasm" -o "$out/floor.wasm"
echo "size floor: wasm $(wc -c < "$out/floor.wasm") bytes, gzip -9 $(gzip -9c "$out/floor.wasm" | wc -c), glue gzip -9 $(gzip -9c "$out/bindgen/size-floor.js" | wc -c)"
