#!/usr/bin/env bash
# The self-training loop without a window, as a nightly job would script it: on a flattened copy of
# part of ../shared/datasets/hymenoptera (no class folders, so nothing leaks the answer), a stand-in
# person labels from a key file kept on the side. status, suggest, review, round, accept, audit,
# label-issues and export must each exit 0, and the exported labels must mostly agree with the key.
#
#   test/loop.sh                 (npm run test:loop; LOOP_PER_CLASS=N images per class, default 30)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${STUDIO_SHARED_DIR:-$ROOT/../shared}"
SRC="$SHARED/datasets/hymenoptera/pool"
PER_CLASS="${LOOP_PER_CLASS:-30}"
[ -d "$SRC" ] || { echo "loop: no dataset at $SRC (set STUDIO_SHARED_DIR)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/studio-loop-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
IMAGES="$WORK/images"
KEY="$WORK/key.csv"
# The run's project data and settings stay in the temp folder, never in the user's app data.
export STUDIO_DATA_DIR="$WORK/appdata"
mkdir -p "$IMAGES" "$STUDIO_DATA_DIR"
# The teacher on the CPU: the same everywhere, and no GPU provider's failed attempt in the log.
echo '{"provider":"cpu"}' >"$STUDIO_DATA_DIR/settings.json"

# Flatten: each image under a name made from a hash, its class only in the key.
echo "path,class" >"$KEY"
for cls in ants bees; do
  # sed reads to the end (head would close the pipe early, and pipefail would count that as a failure)
  find "$SRC/$cls" -maxdepth 1 -type f | LC_ALL=C sort | sed -n "1,${PER_CLASS}p" | while read -r f; do
    name="$(printf '%s' "$cls/$(basename "$f")" | sha1sum | cut -c1-16).${f##*.}"
    cp "$f" "$IMAGES/$name"
    echo "$name,$cls" >>"$KEY"
  done
done

start=$SECONDS
cli() {
  echo "+ cli $*" >&2
  node --import tsx "$ROOT/main/cli.ts" "$@"
}

# The stand-in person: fills the decision column of a CSV the CLI wrote, from the key. `label`: the
# true class; `verdict`: accept when the proposed class is right, else the right class (a correction).
fill() {
  node -e '
    const fs = require("node:fs")
    const [mode, input, key, out] = process.argv.slice(1)
    const truth = new Map(fs.readFileSync(key, "utf8").trim().split("\n").slice(1).map((l) => l.split(",")))
    const [head, ...rows] = fs.readFileSync(input, "utf8").trim().split("\n").map((l) => l.split(","))
    const col = (name) => head.indexOf(name)
    const filled = rows.map((r) => {
      const right = truth.get(r[col("path")])
      if (!right) throw new Error(`${r[col("path")]} is not in the key`)
      r[col("decision")] = mode === "label" ? right : r[col("proposed")] === right ? "accept" : right
      return r.join(",")
    })
    fs.writeFileSync(out, [head.join(","), ...filled].join("\n") + "\n")
  ' "$@"
}

cli status "$IMAGES" --json >"$WORK/status-0.json"
node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (s.images !== 2 * +process.argv[2]) throw new Error(`status: ${s.images} images, expected ${2 * process.argv[2]}`)' "$WORK/status-0.json" "$PER_CLASS"

# Seed labels: label what suggest proposes until both classes have some (k-means++ usually covers both at once).
for pass in 1 2 3; do
  cli suggest "$IMAGES" --count 8 --out "$WORK/suggest-$pass.csv" >/dev/null
  fill label "$WORK/suggest-$pass.csv" "$KEY" "$WORK/seeds-$pass.csv"
  cli review "$IMAGES" --in "$WORK/seeds-$pass.csv" --create-classes
  cli status "$IMAGES" --json >"$WORK/status-seeded.json"
  if node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.exit(s.classes.length === 2 && s.classes.every((c) => c.counts.human > 0) ? 0 : 1)' "$WORK/status-seeded.json"; then break; fi
  [ "$pass" -lt 3 ] || { echo "loop: three passes of suggestions never covered both classes" >&2; exit 1; }
done

cli round "$IMAGES" --json >"$WORK/round-1.json"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).rounds[0]; if (r.status !== "done" || !(r.proposals > 0)) throw new Error(`round: ${JSON.stringify(r)}`)' "$WORK/round-1.json"
cli accept "$IMAGES" --above 0.9
cli round "$IMAGES" --rounds 2 --accept-above 0.9

cli audit "$IMAGES" --draw 5 --out "$WORK/audit.csv"
fill verdict "$WORK/audit.csv" "$KEY" "$WORK/verdicts.csv"
cli audit "$IMAGES" --in "$WORK/verdicts.csv" --json >"$WORK/audit.json"
node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!a.report.classes.some((c) => c.checked > 0)) throw new Error("audit: no verdict counted")' "$WORK/audit.json"

cli label-issues "$IMAGES" --out "$WORK/issues.csv"
cli status "$IMAGES"
cli export "$IMAGES" --format csv --out "$WORK/labels.csv"

# The exported labels (seed labels, accepted proposals, audit corrections) against the key.
node -e '
  const fs = require("node:fs")
  const [labels, key, perClass] = process.argv.slice(1)
  const truth = new Map(fs.readFileSync(key, "utf8").trim().split("\n").slice(1).map((l) => l.split(",")))
  const rows = fs.readFileSync(labels, "utf8").trim().split(/\r?\n/).slice(1).map((l) => l.split(","))
  const right = rows.filter(([p, c]) => truth.get(p) === c).length
  const share = right / rows.length
  console.log(`exported ${rows.length} labels of ${2 * perClass} images, ${right} agree with the key (${(100 * share).toFixed(1)}%)`)
  if (rows.length < perClass / 2) throw new Error("too few labels exported: the loop accepted almost nothing")
  if (!(share >= 0.8)) throw new Error("fewer than 80% of the exported labels agree with the key")
' "$WORK/labels.csv" "$KEY" "$PER_CLASS"
echo "loop: every verb exited 0 in $((SECONDS - start)) s"
