"""The independent side of test/bench-soak-slope.test.ts: scipy.stats.linregress's slope for each
case on stdin (JSON: a list of {"x": [...], "y": [...]}), written to stdout as a JSON list in the
same order.
"""
import json
import sys

from scipy import stats

cases = json.load(sys.stdin)
json.dump([float(stats.linregress(case["x"], case["y"]).slope) for case in cases], sys.stdout)
