#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_bindgen.sh - <vtap/vtap.h> through bindgen (Rust bindings): the
# header must translate without errors and declare the API; where rustc
# exists, tests/rust/vtap_bindgen.rs built against the bindings and the
# build's libvtap runs and checks names, the options-struct pattern and a
# Toeplitz vector.
. "$VTAP_SRCDIR/tests/lib.sh"
need bindgen bindgen
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"
if bindgen "$VTAP_SRCDIR/include/vtap/vtap.h" \
	--allowlist-function 'vtap_.*' --allowlist-type 'vtap_.*' \
	--allowlist-var 'VTAP_.*|vtap_.*' -o "$TMP/vtap.rs" 2>"$TMP/err"; then
	ok "bindgen translates vtap.h"
else
	fail "bindgen vtap.h: $(head -5 "$TMP/err")"
	finish
fi
for f in vtap_dev__open vtap_queue__recv vtap_dev__set_report vtap_steer__set_rss; do
	# Without rustfmt (or where it fails) bindgen leaves "pub fn NAME (".
	check grep -Eq "pub fn $f ?\(" "$TMP/vtap.rs"
done
check grep -q 'pub struct vtap_dev_opts' "$TMP/vtap.rs"
if ! command -v rustc >/dev/null; then
	echo "note: no rustc, the bindings are not compiled"
	finish
fi
# A sanitizer build's libvtap needs the sanitizer runtime first in the
# program, which rustc does not link: the bindings were checked above.
if nm -D --undefined-only "$VTAP_BUILDDIR/src/lib/libvtap.so" | grep -q '__asan_\|__ubsan_'; then
	echo "note: libvtap built with sanitizers, the Rust program is not built"
	finish
fi
if VTAP_BINDINGS=$TMP/vtap.rs rustc --edition 2021 -O \
	-L "$VTAP_BUILDDIR/src/lib" -l vtap \
	"$VTAP_SRCDIR/tests/rust/vtap_bindgen.rs" -o "$TMP/vtap_bindgen" 2>"$TMP/err"; then
	ok "rustc builds against the bindings"
	check env LD_LIBRARY_PATH="$VTAP_BUILDDIR/src/lib" "$TMP/vtap_bindgen"
else
	fail "rustc: $(head -20 "$TMP/err")"
fi
finish
