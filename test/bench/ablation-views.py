#!/usr/bin/env python3
"""Collects the views ablation (eval --json runs, one per dataset and switch set) into one table:
test/bench/results/ablation-views.json. Usage: ablation-views.py RUNS_DIR OUT.json [NOTES.json]
(NOTES.json: free-form notes of the session, e.g. timings measured apart and what was not run).
Each run is RUNS_DIR/<dataset>-<config>.json from
  npx tsx main/cli.ts eval <dataset> --k 4 --trials 5 --no-peers --review-share 0 --set <switches> --json ...
"""
import json, os, sys

runs, out = sys.argv[1], sys.argv[2]
notes = json.load(open(sys.argv[3])) if len(sys.argv) > 3 else None
DATASETS = ['hymenoptera', 'fashion-mnist-small', 'cifar10-small']
# recipe 1 (augment.ts version 1: crops of 40-100 % of the area, 20 % jitter) and the shipped
# recipe 2 (80-100 %, 10 %); views=2 each
SWITCHES = {'tta': 'views=2,testTimeViews=true', 'student': 'views=2,studentViews=true,studentDropout=0.2', 'both': 'views=2,testTimeViews=true,studentViews=true,studentDropout=0.2'}
CONFIGS = ['base', 'tta', 'student', 'both', 'lighttta', 'lightstudent', 'lightboth']

def last(rows, method):
    rs = [r for r in rows if r['method'] == method and r['k'] == 4]
    r = max(rs, key=lambda r: r['round']) if rs else None
    return None if r is None else {'mean': round(100 * r['accuracy_mean'], 2), 'sd': round(100 * r['accuracy_std'], 2)}

table = {}
for ds in DATASETS:
    for cfg in CONFIGS:
        # <ds>-<cfg>.json: 5 trials; <ds>-<cfg>-t3.json: 3 (trial t draws seed t, so runs of 3 pair up)
        found = [(f, t) for f, t in ((os.path.join(runs, f'{ds}-{cfg}.json'), 5), (os.path.join(runs, f'{ds}-{cfg}-t3.json'), 3)) if os.path.exists(f)]
        if not found:
            continue
        f, trials = found[0]
        d = json.load(open(f))
        table.setdefault(ds, {})[cfg] = {
            'trials': trials,
            'set': {'views': d.get('views', 0), **d.get('settings', {})},
            'no_review': last(d['results'], 'no_review'),
            'suggested_seeds': last(d['results'], 'suggested_seeds'),
            'seed_only': last(d['results'], 'seed_only'),
            'full_pool': last(d['results'], 'full_pool'),
            'seconds': d.get('seconds'),
        }
verdict = {}
for cfg in CONFIGS[1:]:
    deltas = {ds: round(table[ds][cfg]['no_review']['mean'] - table[ds]['base']['no_review']['mean'], 2) for ds in table if cfg in table[ds] and 'base' in table[ds] and table[ds][cfg]['trials'] == table[ds]['base']['trials']}
    complete = len(deltas) == len(DATASETS)
    on = complete and all(v > 0 for v in deltas.values()) and all(v >= -1 for v in deltas.values())
    # one dataset where it does not help is enough to keep it off, measured on all three or not
    verdict[cfg] = {'no_review_delta_points': deltas, 'default_on': on, 'complete': complete, 'no_gain_on': [ds for ds, v in deltas.items() if v <= 0]}
json.dump({
    'what': 'views and noise (issue 14 item 4): each switch alone and together against the defaults; no review, k = 4, 5 trials, last round; test accuracy %',
    'command': 'nice -n 10 npx tsx main/cli.ts eval /work/shared/datasets/<name> --k 4 --trials 5 --no-peers --review-share 0 --set <set> --json F',
    'configs': {'base': 'views=0 (the defaults)', **{k: f'recipe 1, {v}' for k, v in SWITCHES.items()}, **{f'light{k}': f'recipe 2 (shipped), {v}' for k, v in SWITCHES.items()}},
    'recipes': {'1': {'flip': 0.5, 'scale': [0.4, 1], 'ratio': [0.75, 1.333], 'jitter': 0.2}, '2': {'flip': 0.5, 'scale': [0.8, 1], 'ratio': [0.75, 1.333], 'jitter': 0.1}},
    'rule': 'on by default only what helps on all three datasets at k = 4 and hurts nowhere by more than one point (issue 14 item 6)',
    'results': table,
    'verdict': verdict,
    **({'notes': notes} if notes else {}),
}, open(out, 'w'), indent=1)
print(json.dumps(verdict, indent=1))
