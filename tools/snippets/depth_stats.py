# Shared cell: edit tools/snippets/depth_stats.py and run tools/stamp_notebooks.py.
# What this chapter adds to the shared statistics: the growth of the gap with depth
# from one fit with robust (HC3) errors, Holm's rule for the primary verdicts, and the
# interval of single runs from a seed-to-seed spread known beforehand.
def gap_growth_hc3(depths, resnet, errors):
    # Fit error = a + b depth + c resnet + d resnet depth; the gap (plain minus
    # ResNet) is -c - d depth, so it grows by -d per layer. HC3 standard error: each
    # run's squared residual, inflated by its leverage, stands for its own variance.
    depths, resnet = np.asarray(depths, float), np.asarray(resnet, float)
    errors = np.asarray(errors, float)
    result = {"difference": math.nan, "n": (len(errors),), "error": math.nan,
              "dof": len(errors) - 4, "low": math.nan, "high": math.nan}
    if len(set(depths)) < 2:
        return result
    x = np.column_stack([np.ones_like(depths), depths, resnet, resnet * depths])
    bread = np.linalg.pinv(x.T @ x)
    coefficients = bread @ x.T @ errors
    result["difference"] = float(-coefficients[3])
    residuals = errors - x @ coefficients
    leverage = np.einsum("ij,jk,ik->i", x, bread, x)
    exact = np.abs(residuals).max() <= 1e-9 * max(1.0, np.abs(errors).max())
    if len(errors) <= 4 or leverage.max() > 1 - 1e-9 or exact:
        return result
    weights = (residuals / (1 - leverage)) ** 2
    covariance = bread @ (x.T * weights) @ x @ bread
    error = math.sqrt(covariance[3, 3])
    half = t_critical(len(errors) - 4) * error
    result.update(error=error, low=result["difference"] - half,
                  high=result["difference"] + half)
    return result


def single_runs(difference, spread, runs, dof=math.inf):
    # A sum of +-1 x mean errors, `runs` = the sum of 1/n over the means, with its 95 %
    # interval from a spread known beforehand (normal; Student's t with `dof`).
    error = spread * math.sqrt(runs)
    half = t_critical(dof) * error
    return {"difference": difference, "n": (runs,), "error": error, "dof": dof,
            "low": difference - half, "high": difference + half}


def p_value(result):
    # Two-sided p of "no difference" from an interval's result; 1 without one.
    if not math.isfinite(result["error"]) or result["error"] == 0:
        return 1.0
    return float(2 * scipy.stats.t.sf(abs(result["difference"]) / result["error"],
                                      max(result["dof"], 1)))


def holm(p_values, alpha=0.05):
    # Holm's rule: which hypotheses are rejected at family-wise error `alpha`.
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    rejected = [False] * len(p_values)
    for rank, index in enumerate(order):
        if p_values[index] > alpha / (len(p_values) - rank):
            break
        rejected[index] = True
    return rejected
