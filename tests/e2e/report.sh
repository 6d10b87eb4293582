#!/usr/bin/env bash
# `netwarden report` (issue 5 point 2):
#  1. two recorded inspections of one prepared tree (weak, then partly fixed),
#     an audit store with records 100 days old, a config with [unit];
#  2. zh and en reports in md, html and pdf; the PDF converted with pdftotext
#     must carry every section heading, the finding counts (as the results
#     JSON says), the rectification counts and Chinese text; the HTML is one
#     file with no external reference; every format agrees on the counts;
#  3. --compare with an explicit id; --inspection by id and by path;
#  4. bad input: unknown inspection id, no inspection yet, unwritable output,
#     corrupt results JSON, bad --lang/--format -> one clear line, exit 2.
# The pages are also rendered to PNG in $T/png (NW_KEEP_PNG=DIR keeps a copy).
# Usage: report.sh NETWARDEN SRCDIR
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
# fontconfig/cairo caches are process-lifetime by design (see tests/lsan.supp)
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
NOW=2026-11-21T12:00:00Z

for tool in pdftotext pdftoppm python3; do
    if ! command -v $tool >/dev/null; then echo "SKIP report: $tool missing"; exit 0; fi
done

san() { # no sanitizer report in a stderr file
    if grep -q -E "AddressSanitizer|runtime error|LeakSanitizer" "$1"; then
        echo "FAIL $2: sanitizer report"; cat "$1"; fail=1
    fi
}
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

prepare() { # prepare TREE DEST: copy a tree and apply its .modes file
    rm -rf "$2"
    cp -r "$SRC/tests/inspect/roots/$1" "$2"
    grep -v '^#' "$SRC/tests/inspect/roots/$1.modes" | while read -r op a p; do
        [ -z "$op" ] && continue
        case $op in
            mode) chmod "$a" "$2/$p" ;;
            time) touch -d "$a" "$2/$p" ;;
        esac
    done
}

# 1. inspections, store, config
cat >"$T/nw.conf" <<'EOF'
[unit]
name = 某市大数据中心
code = 91110000TEST0001X
leader = 张三
contact = 010-12345678
EOF
D=$T/data
COMMON=(--config "$T/nw.conf" --checks "$SRC/checks" --now "$NOW" -q)
prepare weak "$T/host"
"$NW" inspect "${COMMON[@]}" --local --root "$T/host" --data-dir "$D" --out "$T/i1.json" 2>"$T/i1.err"
san "$T/i1.err" inspect1
# partly fixed: sshd and login.defs from the hardened tree
cp "$SRC/tests/inspect/roots/hardened/etc/ssh/sshd_config" "$T/host/etc/ssh/sshd_config"
cp "$SRC/tests/inspect/roots/hardened/etc/login.defs" "$T/host/etc/login.defs"
"$NW" inspect "${COMMON[@]}" --local --root "$T/host" --data-dir "$D" --out "$T/i2.json" 2>"$T/i2.err"
san "$T/i2.err" inspect2
ID1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["id"])' "$T/i1.json")
ID2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["id"])' "$T/i2.json")
read -r FAIL FIXED NEW STILL < <(python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); c=d["comparison"]
print(d["summary"]["fail"], c["fixed"], c["new"], c["still_open"])' "$T/i2.json")
if [ "$ID1" != "$ID2" ] && [ "$FIXED" -gt 0 ] && [ "$STILL" -gt 0 ]; then
    ok "two inspections: $ID1, $ID2 ($FAIL fail: $FIXED fixed, $NEW new, $STILL still open)"
else bad "inspections: $ID1 $ID2 fixed=$FIXED still=$STILL"; fi
printf '{"timestamp":"2026-08-13T10:00:00.000000+00:00","event_type":"flow","src_ip":"10.0.0.1"}\n{"timestamp":"2026-11-20T10:00:00.000000+00:00","event_type":"flow","src_ip":"10.0.0.2"}\n' >"$T/rec.json"
"$NW" import --config /dev/null --store "$D/store" --now "$NOW" "$T/rec.json" >"$T/imp.out" 2>&1 \
    || { bad "import: $(cat "$T/imp.out")"; }

# 2. the six reports
R=(--config "$T/nw.conf" --data-dir "$D" --now "$NOW")
for lang in zh en; do
    for fmt in md html pdf; do
        "$NW" report "${R[@]}" --lang $lang --format $fmt --out "$T/r-$lang.$fmt" 2>"$T/r-$lang-$fmt.err"
        rc=$?
        san "$T/r-$lang-$fmt.err" "report $lang $fmt"
        if [ $rc -ne 0 ] || [ ! -s "$T/r-$lang.$fmt" ]; then
            bad "report $lang $fmt: exit $rc"; cat "$T/r-$lang-$fmt.err"
        fi
    done
done
pdftotext "$T/r-zh.pdf" "$T/r-zh.txt" && pdftotext "$T/r-en.pdf" "$T/r-en.txt" || bad "pdftotext"
pages=$(pdfinfo "$T/r-zh.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
if python3 - "$T" "$FAIL" "$FIXED" "$NEW" "$STILL" <<'PY'
import re, sys
t, fail, fixed, new, still = sys.argv[1], *sys.argv[2:]
def flat(s): return re.sub(r"\s+", "", s)
zh = flat(open(f"{t}/r-zh.txt").read())
en = " ".join(open(f"{t}/r-en.txt").read().split())
want_zh = ["网络安全自查报告", "一、基本情况", "二、自查工作开展情况", "三、发现的主要问题和风险分析",
           "四、整改措施及成效", "五、意见和建议", "六、审计系统运行情况", "附录一检查清单", "附录二资产清单",
           "某市大数据中心", "91110000TEST0001X", "张三", "010-12345678",
           f"本次自查共发现问题{fail}项", f"已整改{fixed}项", f"新发现{new}项", f"仍未整改{still}项",
           "按严重程度统计的问题数", "按类别统计的问题数", "历次检查的问题数",
           "完整性校验", "满足", "尚未满足", "第2页/共"]
want_en = ["Network Security Self-Inspection Report", "1. Basic information", "2. Self-inspection work",
           "3. Main problems and risk analysis", "4. Rectification and results",
           "5. Opinions and suggestions", "6. The audit system", "Appendix A. Checklist",
           "Appendix B. Asset list", f"The inspection found {fail} problems",
           f"{fixed} fixed, {new} new, {still} still open", "Findings by severity",
           "Findings per inspection", "Page 2 of"]
miss = [w for w in want_zh if flat(w) not in zh] + [w for w in want_en if w not in en]
if miss:
    print("missing from the PDF text:", miss); sys.exit(1)
# the same counts in md and html
for lang, phrase in (("zh", f"本次自查共发现问题 {fail} 项"), ("en", f"The inspection found {fail} problems")):
    for fmt in ("md", "html"):
        if phrase not in open(f"{t}/r-{lang}.{fmt}", encoding="utf-8").read():
            print(f"r-{lang}.{fmt} lacks {phrase!r}"); sys.exit(1)
PY
then ok "pdf (zh+en, $pages pages): headings, unit, $FAIL findings, $FIXED fixed / $NEW new / $STILL still open, charts, store section, page numbers; md and html agree"
else bad "report contents"; fi
if grep -q "[一-龥]" "$T/r-zh.txt" 2>/dev/null || python3 -c 'import sys; sys.exit(0 if any("\u4e00" <= c <= "\u9fff" for c in open(sys.argv[1]).read()) else 1)' "$T/r-zh.txt"; then
    ok "Chinese text extracted from the PDF"
else bad "no Chinese text in the PDF"; fi
if pdffonts "$T/r-zh.pdf" 2>/dev/null | grep -q -E "CJK|WenQuanYi|Micro"; then
    ok "CJK font embedded: $(pdffonts "$T/r-zh.pdf" | grep -o -E '[A-Z]+\+[A-Za-z-]*CJK[A-Za-z-]*|[A-Z]+\+WenQuanYi[A-Za-z-]*' | head -1)"
else bad "no CJK font in the PDF"; pdffonts "$T/r-zh.pdf"; fi
for lang in zh en; do # evidence may quote URLs as text; only markup may not load anything
    if python3 - "$T/r-$lang.html" <<'PY'
import re, sys
from html.parser import HTMLParser
src = open(sys.argv[1], encoding="utf-8").read()
refs = []
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag in ("link", "script", "img", "iframe", "object", "embed", "base"):
            refs.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "action") and v and not v.startswith("#"):
                refs.append(f"{tag} {k}={v}")
            if k == "style" and v and "url(" in v:
                refs.append(f"{tag} style url(")
P().feed(src)
css = "".join(re.findall(r"<style>(.*?)</style>", src, re.S))
if "url(" in css or "@import" in css: refs.append("css url()/@import")
if refs: print("external references:", refs[:5]); sys.exit(1)
for want in ("<style>", "<svg ", "@media print", "break-before:page"):
    if want not in src: print("lacks", want); sys.exit(1)
PY
    then ok "html $lang: one file, inline CSS and SVG, print CSS, no external reference"
    else bad "html $lang"; fi
done
mkdir -p "$T/png"
pdftoppm -png -r 60 "$T/r-zh.pdf" "$T/png/zh" && pdftoppm -png -r 60 "$T/r-en.pdf" "$T/png/en" \
    && ok "rendered $(ls "$T/png" | wc -l) PNG pages" || bad "pdftoppm"
if [ -n "${NW_KEEP_PNG:-}" ]; then mkdir -p "$NW_KEEP_PNG" && cp "$T"/png/*.png "$T"/r-* "$NW_KEEP_PNG"/; fi

# 3. by id, by path, --compare
"$NW" report "${R[@]}" --inspection "$ID2" --compare "$ID2" --lang en -o "$T/self.md" 2>"$T/self.err"
if grep -q "0 fixed, 0 new, $FAIL still open" "$T/self.md"; then ok "--compare with itself: 0 fixed, 0 new, $FAIL still open"
else bad "--compare self"; cat "$T/self.err"; grep -i "compared" "$T/self.md"; fi
"$NW" report "${R[@]}" --inspection "$T/i2.json" --compare "$ID1" --lang en -o "$T/cmp.md" 2>"$T/cmp.err"
if grep -q "$FIXED fixed, $NEW new, $STILL still open" "$T/cmp.md"; then ok "--inspection FILE --compare ID1: same as the history's comparison"
else bad "--compare ID1"; cat "$T/cmp.err"; fi
"$NW" report "${R[@]}" --inspection "$ID1" --lang en -o "$T/first.md" 2>"$T/first.err"
if grep -q "This is the first recorded inspection" "$T/first.md"; then ok "--inspection ID1: first inspection, nothing to compare"
else bad "--inspection ID1"; cat "$T/first.err"; fi

# 4. bad input: one line, exit 2
expect_err() { # NAME WANT-TEXT ARGS...
    local name=$1 want=$2; shift 2
    "$NW" report "$@" >"$T/e.out" 2>"$T/e.err"
    local rc=$? lines
    san "$T/e.err" "$name"
    lines=$(wc -l <"$T/e.err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$want" "$T/e.err"; then
        ok "$name: $(cat "$T/e.err")"
    else bad "$name: exit $rc, $lines lines:"; cat "$T/e.err"; fi
}
expect_err "unknown id" "no inspection '20990101T000000.000000Z' in $D/inspect; the latest is $ID2" \
    "${R[@]}" --inspection 20990101T000000.000000Z
expect_err "not an id" "'bad id!' is not an inspection id" "${R[@]}" --inspection 'bad id!'
mkdir -p "$T/empty"
expect_err "no inspections yet" "no inspection recorded in $T/empty/inspect yet; run 'netwarden inspect" \
    --config /dev/null --data-dir "$T/empty"
expect_err "unwritable output" "cannot write $T/nodir/r.pdf: No such file or directory; choose another --out" \
    "${R[@]}" --out "$T/nodir/r.pdf"
mkdir -p "$T/corrupt/inspect"
head -c 3000 "$T/i2.json" >"$T/corrupt/inspect/$ID2.json"
expect_err "corrupt results" "$ID2.json: not a usable netwarden inspection results document: not valid JSON" \
    --config /dev/null --data-dir "$T/corrupt" --format pdf --out "$T/c.pdf"
printf '{"schema":"netwarden-inspect/1","run":{"id":"x"},"results":[{"id":"A","verdict":"maybe"}]}' \
    >"$T/corrupt/inspect/$ID2.json"
expect_err "bad verdict" "result 1 (A) has no valid verdict" --config /dev/null --data-dir "$T/corrupt"
expect_err "bad --lang" "--lang is zh or en, not 'fr'" "${R[@]}" --lang fr
expect_err "bad --format" "--format is html, pdf or md, not 'doc'" "${R[@]}" --format doc
[ -e "$T/c.pdf" ] && bad "a failed run left $T/c.pdf"

exit $fail
