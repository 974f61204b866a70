"""The independent side of test/statistics.test.ts: scipy's answers for the cases on stdin (JSON),
written to stdout as JSON in the same order.

  mannWhitney:     scipy.stats.mannwhitneyu(a, b) with its defaults (two-sided, method='auto').
  medianIntervals: scipy.stats.quantile_test(x, p=0.5).confidence_interval(confidence), the
                   equal-tailed binomial order-statistic interval; null where scipy gives nan.
  ratioIntervals:  the set of ratios r for which mannwhitneyu(a / r, b) is not significant at alpha,
                   found by trying one r in every gap between the distinct pairwise ratios a_i / b_j
                   (and beyond both ends). It knows nothing of Moses's order statistics or of a
                   critical count: if the module's interval is the inverted test, they agree.
"""
import json
import math
import sys

import numpy as np
from scipy import stats


def mann_whitney(case):
    result = stats.mannwhitneyu(case["a"], case["b"])
    return {"u": float(result.statistic), "p": float(result.pvalue)}


def median_interval(case):
    x = case["x"]
    ci = stats.quantile_test(x, q=x[0], p=0.5).confidence_interval(case["confidence"])
    low, high = float(ci.low), float(ci.high)
    return None if math.isnan(low) or math.isnan(high) else {"low": low, "high": high}


def ratio_interval(case):
    a, b, alpha = np.array(case["a"]), np.array(case["b"]), case["alpha"]
    ratios = np.unique(np.divide.outer(a, b))  # sorted, distinct
    # gap g lies between ratios[g-1] and ratios[g]; gap 0 below them all, the last above them all
    inside = np.sqrt(ratios[:-1] * ratios[1:])
    candidates = np.concatenate([[ratios[0] / 2], inside, [ratios[-1] * 2]])
    accepted = [g for g, r in enumerate(candidates) if stats.mannwhitneyu(a / r, b).pvalue > alpha]
    contiguous = accepted == list(range(accepted[0], accepted[-1] + 1))
    if accepted[0] == 0 or accepted[-1] == len(candidates) - 1:
        return {"interval": None, "contiguous": contiguous}
    low, high = float(ratios[accepted[0] - 1]), float(ratios[accepted[-1]])
    return {"interval": {"low": low, "high": high}, "contiguous": contiguous}


cases = json.load(sys.stdin)
json.dump(
    {
        "mannWhitney": [mann_whitney(case) for case in cases.get("mannWhitney", [])],
        "medianIntervals": [median_interval(case) for case in cases.get("medianIntervals", [])],
        "ratioIntervals": [ratio_interval(case) for case in cases.get("ratioIntervals", [])],
    },
    sys.stdout,
)
