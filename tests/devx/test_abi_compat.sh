#!/bin/sh
# An app built against an older clams-c still runs against this one (the ABI
# policy in include/clams/clams.h). The example apps of the baseline commit
# (tests/devx/abi-baseline) are compiled with that commit's headers only, then
# run against the library installed from this build:
#  - `--describe` must list exactly the parameters their old source declares,
#    which the library can only read right with the old element sizes;
#  - file mode must produce valid MMIF with their view in it.
#   test_abi_compat.sh BUILD_DIR ROOT CC SANITIZE
set -eu
build=$1 root=$2 cc=$3 sanitize=$4
base=$(grep -v '^#' "$root/tests/devx/abi-baseline" | head -n1)
fail() { echo "FAIL: $*" >&2; exit 1; }
if ! git -C "$root" cat-file -e "$base^{commit}" 2>/dev/null; then
    echo "skip: the baseline commit $base is not in this clone (shallow?)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/devx_abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
xflags=""
[ "$sanitize" = ON ] && xflags="-fsanitize=address,undefined -fno-omit-frame-pointer"

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "install"; }
libdir=$(cd "$tmp/prefix" && ls -d lib*/pkgconfig | head -n1 | xargs dirname)
mkdir "$tmp/old"
git -C "$root" archive "$base" include examples/tokenizer examples/tutorial-app | tar -x -C "$tmp/old"
sample=$root/tests/devx/data/text.mmif

for app in tokenizer tutorial-app; do
    src=$tmp/old/examples/$app/main.c
    # shellcheck disable=SC2046
    $cc $xflags -D_GNU_SOURCE -o "$tmp/$app" "$tmp/old/examples/$app"/*.c -I"$tmp/old/include" $(pkg-config --cflags jansson) \
        -L"$tmp/prefix/$libdir" -Wl,-rpath,"$tmp/prefix/$libdir" -lclams \
        $(pkg-config --libs jansson) || fail "$app at $base does not build"
    nm -D "$tmp/$app" | grep -q ' U clams_main$' || fail "$app does not use the ABI 0 entry point"
    "$tmp/$app" --describe >"$tmp/$app.json" || fail "$app --describe"
    python3 - "$src" "$tmp/$app.json" <<'PY' || fail "$app: parameters read wrong"
import json, re, sys
src = open(sys.argv[1]).read()
table = src[src.index("clams_param_spec_t params[]"):]
table = table[:table.index("};")]
declared = re.findall(r'\.name\s*=\s*"([^"]+)"', table)
described = [p["name"] for p in json.load(open(sys.argv[2]))["parameters"]]
universal = ["pretty", "runningTime", "hwFetch", "tfSamplingMode"]
if described != declared + universal:
    sys.exit(f"declared {declared} + universal, described {described}")
print(f"ok: {len(declared)} parameters as declared")
PY
done
"$tmp/tokenizer" annotate "$sample" "$tmp/tok.mmif" || fail "old tokenizer run"
"$tmp/tutorial-app" annotate "$sample" "$tmp/kw.mmif" --param keywords=the || fail "old tutorial-app run"
for f in tok kw; do
    "$build/bin/clams" validate "$tmp/$f.mmif" || fail "$f.mmif is not valid MMIF"
done
grep -q '"http://apps.clams.ai/tokenizer/' "$tmp/tok.mmif" || fail "no tokenizer view"
grep -q 'Token/v1' "$tmp/tok.mmif" || fail "no tokens"
grep -Eq '"keyword": ?"the"' "$tmp/kw.mmif" || fail "no keyword spans"
echo "ok: the apps of $base run against this libclams"
