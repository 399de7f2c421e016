# @title Statistics for a few seeds
# Shared cell: edit tools/snippets/stats.py and run tools/stamp_notebooks.py.
# Small statistics for few seeds: the interval of a difference (Welch), of a
# straight-line trend, the power of the test, and verdicts with three outcomes that a
# quick run never gives. Quantiles and power are exact, from SciPy's t and noncentral
# t distributions (SciPy ships with Colab and Kaggle).
import math

import scipy.stats


def t_critical(dof, confidence=0.95):
    # Two-sided critical value of Student's t for `dof` degrees of freedom, which may
    # be fractional (Welch's); at least one degree of freedom.
    return float(scipy.stats.t.ppf(0.5 + confidence / 2, max(dof, 1)))


def welch(first, second):
    """Difference of means (first - second) with its 95 % interval, or no interval
    where a group has fewer than two values or no spread."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    result = {"difference": float(a.mean() - b.mean()), "n": (len(a), len(b)),
              "error": math.nan, "dof": math.nan, "low": math.nan, "high": math.nan}
    if len(a) < 2 or len(b) < 2:
        return result
    var_a, var_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if var_a + var_b == 0:
        return result
    dof = (var_a + var_b) ** 2 / (var_a ** 2 / (len(a) - 1) + var_b ** 2 / (len(b) - 1))
    error = math.sqrt(var_a + var_b)
    half = t_critical(dof) * error
    result.update(error=error, dof=dof, low=result["difference"] - half,
                  high=result["difference"] + half)
    return result


def mean_interval(values):
    # Mean of paired differences (or of any sample) with its 95 % interval.
    values = np.asarray(values, dtype=float)
    result = {"difference": float(values.mean()), "n": (len(values),),
              "error": math.nan, "dof": math.nan, "low": math.nan, "high": math.nan}
    if len(values) < 2 or values.std() == 0:
        return result
    error = float(values.std(ddof=1) / math.sqrt(len(values)))
    half = t_critical(len(values) - 1) * error
    result.update(error=error, dof=len(values) - 1, low=result["difference"] - half,
                  high=result["difference"] + half)
    return result


def trend(x, y):
    """Least-squares slope of y on x with its 95 % interval (n - 2 degrees of
    freedom), from every point, several seeds per x included."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    result = {"difference": float(slope), "n": (len(x),), "error": math.nan,
              "dof": len(x) - 2, "low": math.nan, "high": math.nan}
    residuals = y - (slope * x + intercept)
    spread = ((x - x.mean()) ** 2).sum()
    if len(x) > 2 and spread > 0 and residuals.any():
        error = math.sqrt((residuals ** 2).sum() / (len(x) - 2) / spread)
        half = t_critical(len(x) - 2) * error
        result.update(error=error, low=slope - half, high=slope + half)
    return result


def power(effect, spread, per_group):
    """Chance that the two-sided t test at 95 % finds a true difference `effect`
    between two groups of `per_group` seeds with between-seed spread `spread`: the
    noncentral t distribution with 2 per_group - 2 degrees of freedom (exact for
    equal spreads, the design this book plans)."""
    if not spread > 0 or per_group < 2:
        return math.nan
    dof = 2 * per_group - 2
    shift = abs(effect) / (spread * math.sqrt(2 / per_group))
    critical = t_critical(dof)
    # The far tail, P(T < -critical), is written as P(T > critical) with the shift
    # negated: SciPy's nct.cdf returns nan there for large shifts (4 dof, shift 12).
    return float(scipy.stats.nct.sf(critical, dof, shift)
                 + scipy.stats.nct.sf(critical, dof, -shift))


def quick_run_note(images, epochs):
    # What a quick run prints in place of every interval, verdict, power line and
    # projection: its numbers only show that the code runs.
    unit = "epoch" if epochs == 1 else "epochs"
    return f"not computed (quick run: {images:,} images, {epochs} {unit})"


def verdict(result, above, below, quick):
    """Three outcomes from the interval: `above` if it lies above zero, `below` if
    below, else undecided; never a verdict from a quick run or without an interval.
    `quick` is False, or what a quick run prints instead (quick_run_note)."""
    if quick:
        return quick if isinstance(quick, str) else "not computed (quick run)"
    if not math.isfinite(result["low"]):
        return "undecided (no interval: too few seeds or no spread)"
    if result["low"] > 0:
        return above
    if result["high"] < 0:
        return below
    return "undecided (the interval contains zero)"


def interval_text(result, scale=100, unit=" points"):
    if not math.isfinite(result["low"]):
        return f"{scale * result['difference']:+.2f}{unit} (no interval)"
    return (f"{scale * result['difference']:+.2f}{unit}, 95 % interval "
            f"{scale * result['low']:+.2f} to {scale * result['high']:+.2f}")


def result_title(title, quick):
    # A figure's or table's title; a quick run's says that it is not a result.
    return f"{title} [quick run, not a result]" if quick else title


def equivalence(result, margin, name, quick, scale=100, unit=" points"):
    """The rule fixed before any run, beside the three-way verdict: "smaller than
    `name`" when the upper bound of the 95 % interval lies below `margin`, "larger"
    when its lower bound lies above it, else undecided; never from a quick run."""
    if quick:
        return quick if isinstance(quick, str) else "not computed (quick run)"
    if not math.isfinite(result["low"]):
        return "undecided (no interval: too few seeds or no spread)"
    bound = f"{scale * margin:+.2f}{unit}"
    low, high = scale * result["low"], scale * result["high"]
    if result["high"] < margin:
        return f"smaller than {name} {bound} (upper bound {high:+.2f})"
    if result["low"] > margin:
        return f"larger than {name} {bound} (lower bound {low:+.2f})"
    return f"undecided against {name} {bound} (the interval contains it)"
