# @title Reporting: the tables, figures and verdicts of a network and its twin
# Shared cell: edit tools/snippets/report_pair.py and run tools/stamp_notebooks.py.
# Every function here prints or draws from the records alone, with the statistics
# cell's intervals and verdicts. The judged accuracy (last_three) and summarise are the
# chapter's own, defined where it teaches them. A quick run prints `quick` (its
# quick_run_note) in place of every interval, verdict, power, equivalence and
# projection; its tables and figures say that they are not a result.
import scipy.stats
from matplotlib.ticker import MaxNLocator

PAIR_COLOURS = {"ResNet, published": "tab:blue", "PlainNet, published": "tab:orange",
                "ResNet, modern": "tab:green", "PlainNet, modern": "tab:red"}
# The spreads between seeds that power() is read at, in points.
ASSUMED_SPREADS = (0.25, 0.5, 1.0, 1.5, 2.0)


def print_published(published):
    # What the papers report, as a table: every value labelled published.
    rows = [
        ("the article (one run per network)",
         "ResNet - PlainNet, validation accuracy, final epoch",
         f"{published['article_gap']:+.2f} points"),
        ("", f"{published['article_epochs']} epochs, Adam, batch 128, on a K80",
         f"about {published['article_minutes_k80']} min per model"),
        ("He et al. 2016, Table 6", f"ResNet-110 test error, "
         f"{published['he_runs']} runs: best; mean ± sd",
         f"{published['he_best']:.2f} %; {published['he_mean']:.2f} ± "
         f"{published['he_sd']:.2f} %"),
        ("He et al. 2016b, Table 2", "ResNet-110 test error, batch normalisation after "
         "the addition (theirs before it)", f"{published['he_bn_after_add']:.2f} % "
         f"({published['he_bn_before_add']:.2f} %)"),
        ("Page 2018, part 4", f"a 9-layer residual network, {published['page_epochs']}"
         f" epochs, one V100", f"{published['page_accuracy']} % test accuracy in "
         f"{published['page_seconds']} s"),
    ]
    print("What the papers report (published values, not measured by this book)")
    for source, what, value in rows:
        if source:
            print(f"  {source}")
        print(f"    {what}: {value}")


def print_runs(runs):
    for run in runs:
        print(f"{run['key']:<28}{run['fit_seconds']:6.0f} s, "
              f"{run['images_per_second']:7.0f} img/s, final val acc "
              f"{100 * run['history']['val_accuracy'][-1]:5.2f} %, compiled: "
              f"{run['jit_compile']}")


def group_configs(runs):
    # The runs by configuration, in the chapter's order; a configuration with no run
    # yet (a file cut short, a reader run) is left out.
    configs = {}
    for network, name in (("resnet30", "ResNet"), ("plainnet30", "PlainNet")):
        for recipe in ("published", "modern"):
            configs[f"{name}, {recipe}"] = [run for run in runs
                                           if run["network"] == network
                                           and run["recipe"] == recipe]
    order = ["ResNet, published", "PlainNet, published", "ResNet, modern",
             "PlainNet, modern"]
    return {label: configs[label] for label in order if configs[label]}


def print_configs(configs, title, quick):
    print(result_title(title, quick))
    for label, group in configs.items():
        print(f"  {label:<20} seeds {[run['seed'] for run in group]}, "
              f"{group[0]['epochs']} epoch(s), {group[0]['steps_per_epoch']} steps of "
              f"{group[0]['batch_size']}, {group[0]['machine']['device']}, "
              f"{group[0]['machine']['precision']}")


def mean_sd(values, scale=100):
    # "mean ± sd" over seeds; one run prints its value and "(1 run)", never a nan.
    mean, spread = summarise(values)
    if len(values) < 2:
        return f"{scale * mean:.2f} (1 run)"
    return f"{scale * mean:.2f} ± {scale * spread:.2f}"


def plot_curves(configs, labels, title, quick):
    # Accuracy and loss per epoch: mean over seeds, band = min to max over seeds.
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, metric in zip(axes, ("accuracy", "loss")):
        for label in labels:
            for prefix, style in (("val_", "-"), ("", "--")):
                curves = np.array([run["history"][prefix + metric]
                                   for run in configs[label]])
                epochs = np.arange(1, curves.shape[1] + 1)
                part = "validation" if prefix else "training"
                axis.plot(epochs, curves.mean(axis=0), style, marker="o",
                          markersize=3, color=PAIR_COLOURS[label],
                          label=f"{label}, {part}")
                if prefix:
                    axis.fill_between(epochs, curves.min(axis=0), curves.max(axis=0),
                                      color=PAIR_COLOURS[label], alpha=0.2)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
    axes[0].set_title("Accuracy (mean of seeds; band: min to max)")
    axes[1].set_title("Cross-entropy loss")
    axes[1].legend(fontsize=8)
    figure.suptitle(result_title(title, quick))
    figure.tight_layout()
    plt.show()


def print_accuracy_table(configs, runs, quick):
    print(result_title("Validation accuracy (%) over seeds", quick))
    print(f"{'configuration':<21}{'n':>3}{'last 3 epochs':>16}{'final epoch':>16}"
          f"{'best epoch':>16}{'clean train':>16}{'params':>12}{'s/epoch':>9}"
          f"{'img/s':>8}")
    for name, group in configs.items():
        cells = [judged(group), [run["history"]["val_accuracy"][-1] for run in group],
                 [max(run["history"]["val_accuracy"]) for run in group],
                 [run["clean"]["train_accuracy"] for run in group]]
        print(f"{name:<21}{len(group):>3}"
              + "".join(f"{mean_sd(values):>16}" for values in cells)
              + f"{group[0]['parameters']:>12,}"
              f"{np.mean([run['steady_epoch_seconds'] for run in group]):>9.1f}"
              f"{np.mean([run['images_per_second'] for run in group]):>8.0f}")
    machine = runs[0]["machine"]
    print("device:", ", ".join(sorted({run["machine"]["device"] for run in runs})),
          "|", machine["backend"], "|", machine["precision"], "| Keras",
          machine["keras"])


def judged(group):
    return [last_three(run) for run in group]


def final_epoch(run):
    return run["history"]["val_accuracy"][-1]


def one_pair_interval(groups):
    """(centre, half-width, dof) of the 95 % prediction interval for the gap of one
    more pair of runs (first group minus second), from runs of both; None with fewer
    than two runs in a group or no spread."""
    groups = [np.asarray(group, dtype=float) for group in groups]
    if min(len(group) for group in groups) < 2:
        return None
    error = math.sqrt(sum(group.var(ddof=1) * (1 + 1 / len(group))
                          for group in groups))
    if error == 0:
        return None
    dof = min(len(group) for group in groups) - 1
    return float(groups[0].mean() - groups[1].mean()), t_critical(dof) * error, dof


def interval_against(value, centre, half, what):
    # Whether `value` (points) lies in centre ± half, with the interval's width.
    low, high = 100 * (centre - half), 100 * (centre + half)
    where = "inside" if low <= value <= high else "outside"
    return (f"{what} {value:+.2f} points, is {where} the 95 % prediction interval "
            f"{low:+.2f} to {high:+.2f} (width {high - low:.2f} points)")


def print_power(first, second, published, quick):
    seeds = min(len(first), len(second))
    gap = published["article_gap"]
    if quick:
        print(f"power to find a true gap of {gap} points: {quick}")
        return
    if seeds < 2:
        print(f"power to find a true gap of {gap} points: one run per network has "
              "no spread between seeds of its own (the verdict below reads a "
              "published one)")
        return
    spread = math.sqrt((np.var(judged(first), ddof=1)
                        + np.var(judged(second), ddof=1)) / 2)
    print(f"spread between seeds (pooled standard deviation): {100 * spread:.2f} "
          "points")
    # power() counts 2n - 2 degrees of freedom, the most Welch's test can have, and
    # the spread of a few seeds is itself uncertain: read it over a range of spreads.
    for assumed in ASSUMED_SPREADS:
        print(f"power to find a true gap of {gap} points with {seeds} seeds each if "
              f"the spread is {assumed:.2f} points: "
              f"{power(gap / 100, assumed / 100, seeds):.0%}")


def print_rule(published):
    # The equivalence rule, fixed before any run; printed in every run size, since it
    # is a rule, not a result.
    print("rule fixed before the runs: the gap is smaller than the article's when the "
          "upper bound")
    print(f"  of its 95 % interval lies below {published['article_gap']:+.2f} points, "
          "larger when the lower bound lies above it,")
    print("  and left open otherwise")


def print_gap_test(first, second, published, quick, book=(), names=("the ResNet",
                                                                    "PlainNet")):
    """The gap first - second (judged accuracy and final epoch): its interval, the
    three-way verdict and, beside it, the equivalence rule against the article's
    gap; then where one more pair would fall. With one run per network (a reader
    run), the pair is judged against a prediction interval for one more pair:
    from the book's published runs (`book`) when it has two or more per network,
    else from the published spread between seeds. Returns the gaps."""
    margin = published["article_gap"] / 100
    above, below = f"{names[0]} is ahead", f"{names[1]} is ahead"
    label = f"{names[0][4:] if names[0].startswith('the ') else names[0]} - {names[1]}"
    gaps = {}
    print_rule(published)
    print_power(first, second, published, quick)
    if min(len(first), len(second)) < 2 and not quick:
        return print_one_pair(first, second, published, book, above, below, label)
    for which, pick in (("last three epochs", last_three),
                        ("final epoch", final_epoch)):
        gaps[which] = welch([pick(run) for run in first],
                            [pick(run) for run in second])
        shown = quick or interval_text(gaps[which])
        print(f"{label}, validation accuracy ({which}): {shown}")
        print(f"  verdict: {verdict(gaps[which], above, below, quick)}")
        print("  against the article's gap (rule fixed before the runs): "
              + equivalence(gaps[which], margin, "the article's", quick))
    # The article's number is one pair of runs at the final epoch: set it against
    # where a single new pair would fall, not against the interval of a mean.
    reach = one_pair_interval([[final_epoch(run) for run in group]
                               for group in (first, second)])
    if quick:
        print(f"one more pair of runs at the final epoch: {quick}")
    elif reach is None:
        print("one more pair of runs at the final epoch: no prediction interval "
              "(fewer than two runs per network, or no spread)")
    else:
        print(interval_against(published["article_gap"], reach[0], reach[1],
                               "the article's single pair,"))
    return gaps


def print_one_pair(first, second, published, book, above, below, label):
    # One pair: its gap against the noise that one more pair would show.
    gap = last_three(first[0]) - last_three(second[0])
    theirs = [[last_three(r) for r in book if r["network"] == run["network"]
               and r["recipe"] == run["recipe"]] for run in (first[0], second[0])]
    reach = one_pair_interval(theirs)
    if reach is not None:
        half = reach[1]
        source = (f"the book's published runs ({len(theirs[0])} and "
                  f"{len(theirs[1])} seeds), t with {reach[2]} degrees of freedom")
    else:
        spread = published["he_sd"] / 100  # taken as known: the normal quantile
        half = scipy.stats.norm.ppf(0.975) * math.sqrt(2) * spread
        source = (f"the published spread between seeds, {published['he_sd']} points "
                  f"(He et al. 2016, Table 6: ResNet-110, {published['he_runs']} "
                  "runs, its full schedule; 20 epochs of Adam are likely noisier, so "
                  "this interval is likely too narrow)")
    result = {"difference": gap, "n": (1, 1),
              "error": half / scipy.stats.norm.ppf(0.975), "dof": math.inf,
              "low": gap - half, "high": gap + half}
    print(f"{label}, one pair (seed {first[0]['seed']}), validation accuracy (last "
          f"three epochs): {100 * gap:+.2f} points")
    print(f"  one more pair's gap would fall within ±{100 * half:.2f} points of the "
          f"true gap (95 % prediction interval, width {200 * half:.2f} points), "
          f"from {source}")
    print(f"  so the true gap lies in {100 * result['low']:+.2f} to "
          f"{100 * result['high']:+.2f} points")
    print(f"  verdict: {verdict(result, above, below, False)}")
    print("  against the article's gap (rule fixed before the runs): "
          + equivalence(result, published["article_gap"] / 100, "the article's",
                        False))
    if reach is not None:
        print("  " + interval_against(100 * gap, reach[0], reach[1], "your pair,"))
    return {"last three epochs": result}


def plot_beside_papers(configs, gaps, published, quick):
    """Left, the gap ResNet - PlainNet under each recipe with its 95 % interval,
    beside the article's published gap; right, every seed's judged accuracy, beside
    Page's published accuracy of a fast recipe (another network)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.axhline(0, color="grey", linewidth=0.8)
    left.scatter([0], [published["article_gap"]], marker="*", s=150, color="tab:red",
                 zorder=3, label="the article (published, one pair)")
    for position, result in enumerate(gaps.values(), start=1):
        if quick or not result:
            continue
        low, high = result["low"], result["high"]
        left.scatter([position], [100 * result["difference"]], color="black",
                     zorder=3, label="this book: mean gap, 95 % interval"
                     if position == 1 else None)
        if math.isfinite(low):
            left.vlines(position, 100 * low, 100 * high, color="black")
    left.set_xticks(range(len(gaps) + 1),
                    ["article"] + [f"book, {recipe}" for recipe in gaps], fontsize=9)
    left.set_xlim(-0.6, len(gaps) + 0.6)
    left.set_ylabel("ResNet - PlainNet (points)")
    left.set_title("The gap", fontsize=10)
    left.legend(fontsize=8)
    for position, (name, group) in enumerate(configs.items()):
        values = 100 * np.array(judged(group))
        right.scatter(np.full(len(values), position), values,
                      color=PAIR_COLOURS[name], zorder=3)
        right.hlines(values.mean(), position - 0.25, position + 0.25,
                     color=PAIR_COLOURS[name], linewidth=2)
    right.axhline(published["page_accuracy"], color="tab:red", linestyle="--",
                  label=f"Page 2018 (published): {published['page_accuracy']} % in "
                  f"{published['page_epochs']} epochs, another network")
    right.set_xticks(range(len(configs)), list(configs), fontsize=8)
    right.set_xlim(-0.6, len(configs) - 0.4)
    right.set_ylabel("validation accuracy, last 3 epochs (%)")
    right.set_title("Every seed (bar: mean)", fontsize=10)
    right.legend(fontsize=8, loc="best")
    for axis in (left, right):
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(result_title("This book's runs beside the published values", quick))
    figure.tight_layout()
    plt.show()


def clean_at(group, epoch, key):
    return [run["clean_during"][key][run["clean_during"]["epochs"].index(epoch)]
            for run in group]


def print_parting(first, second, quick):
    """The gap at every epoch, the first epoch from which its interval stays above
    zero, and whether one network fits the training set better, at the end and after
    the early epochs of the clean evaluations."""
    print(result_title("ResNet - PlainNet validation accuracy per epoch", quick))
    if quick:
        print(f"per-epoch intervals and the epoch the curves part for good: {quick}")
    elif min(len(first), len(second)) < 2:
        print("per-epoch intervals and the epoch the curves part for good: none with "
              "one run per network (no spread between seeds)")
    else:
        ahead = []
        print("epoch  gap (points)   95 % interval")
        curves = [np.array([run["history"]["val_accuracy"] for run in group])
                  for group in (first, second)]
        for epoch in range(curves[0].shape[1]):
            result = welch(curves[0][:, epoch], curves[1][:, epoch])
            ahead.append(bool(math.isfinite(result["low"]) and result["low"] > 0))
            interval = (f"{100 * result['low']:+7.2f} to {100 * result['high']:+6.2f}"
                        if math.isfinite(result["low"]) else "   (no interval)")
            print(f"{epoch + 1:>5}{100 * result['difference']:>+14.2f}   {interval}")
        parted = [e + 1 for e in range(len(ahead)) if all(ahead[e:])]
        print("curves part for good at epoch:", parted[0] if parted else
              "none (the interval does not stay above zero)")
    fits = ("the ResNet fits the training set better",
            "PlainNet fits the training set better")
    for key, name in (("train_accuracy", "clean training accuracy"),
                      ("train_loss", "clean training loss")):
        result = welch([run["clean"][key] for run in first],
                       [run["clean"][key] for run in second])
        scale, unit = (100, " points") if "accuracy" in key else (1, "")
        print(f"ResNet - PlainNet, {name}: "
              f"{quick or interval_text(result, scale, unit)}")
        better, worse = fits if "accuracy" in key else fits[::-1]
        print(f"  verdict: {verdict(result, better, worse, quick)}")
    epochs = sorted(set.intersection(*(set(run["clean_during"]["epochs"])
                                       for run in first + second)))
    print("ResNet - PlainNet, clean training loss after early epochs "
          "(accuracy in brackets):")
    for epoch in epochs:
        loss = welch(clean_at(first, epoch, "train_loss"),
                     clean_at(second, epoch, "train_loss"))
        accuracy = welch(clean_at(first, epoch, "train_accuracy"),
                         clean_at(second, epoch, "train_accuracy"))
        shown = quick or (f"{interval_text(loss, 1, '')} "
                          f"({interval_text(accuracy, 100, ' points')})")
        print(f"  epoch {epoch:>2}: {shown}")
        print(f"    verdict: {verdict(loss, fits[1], fits[0], quick)}")


def speed(run):
    work = run_flops(run["flops_per_image"], 1,
                     run["steps_per_epoch"] * run["batch_size"],
                     run["experiment"]["settings"]["test_images"])
    peak, _ = peak_tflops(run["machine"]["device"])
    achieved = work / run["steady_epoch_seconds"] / 1e12
    return {"images_per_second": run["images_per_second"],
            "achieved_tflops": achieved, "fraction": achieved / peak if peak else None}


def print_speed(configs, runs, published, quick, full=(20, 50_000)):
    """Images per second and achieved TFLOP/s of each configuration on each device,
    the fraction of the device's peak, and the time of the published protocol's
    20 epochs at that speed, beside the article's K80."""
    epochs, images = full
    print(result_title("Speed of each configuration on each device", quick))
    for device in sorted({run["machine"]["device"] for run in runs}):
        peak, number_format = peak_tflops(device)
        print(f"{device}: peak {peak} TFLOP/s dense {number_format} (spec sheet)"
              if peak else f"{device}: no peak known, fraction of peak not computed")
        for name, group in configs.items():
            speeds = [speed(run) for run in group if run["machine"]["device"] == device]
            if not speeds:
                continue
            rate = np.mean([s["images_per_second"] for s in speeds])
            line = (f"  {name:<21}{rate:>8.0f} img/s "
                    f"{np.mean([s['achieved_tflops'] for s in speeds]):>8.3f} TFLOP/s")
            if peak:
                line += f" = {np.mean([s['fraction'] for s in speeds]):.1%} of peak"
            print(line)
            minutes = epochs * images / rate / 60
            k80 = published["article_minutes_k80"]
            projected = (f"{minutes:.1f} min ({k80} min on the article's K80: "
                         f"{k80 / minutes:.2f}x)")
            print(f"  {'':<21}{epochs} epochs x {images:,} images at this speed: "
                  + (quick or projected))
    compiles = [run["compile_seconds"] for run in runs if run["compile_seconds"]]
    if compiles:
        print(f"compile time (first epoch's excess over the others): median "
              f"{np.median(compiles):.1f} s, range {min(compiles):.1f} to "
              f"{max(compiles):.1f} s")


def print_recipes(configs, gaps, published, quick):
    """What the modern recipe adds to the ResNet, and whether the shortcuts matter
    under both recipes: the gap ResNet - PlainNet under each, with its verdict.
    Returns those gaps by recipe, for the figure beside the papers."""
    resnet = configs.get("ResNet, modern", [])
    plain = configs.get("PlainNet, modern", [])
    if not resnet:
        print("no run of the modern recipe in the results file (a reader run trains "
              "none)")
        return {"published": gaps.get("last three epochs")}
    gain = welch(judged(resnet), judged(configs["ResNet, published"]))
    print("ResNet, modern - published, validation accuracy (last three epochs): "
          + (quick or interval_text(gain)))
    print("  verdict: " + verdict(gain, "the modern recipe is ahead",
                                  "the published protocol is ahead", quick))
    answers = {"published": gaps.get("last three epochs")}
    if plain:
        answers["modern"] = welch(judged(resnet), judged(plain))
        print("ResNet - PlainNet, modern recipe, validation accuracy (last three "
              "epochs): " + (quick or interval_text(answers["modern"])))
    else:
        print("ResNet - PlainNet, modern recipe: no PlainNet run of the modern recipe "
              "in the results file yet")
    print("do the shortcuts matter (the ResNet ahead of its twin)?")
    for recipe, result in answers.items():
        said = (verdict(result, "yes, the ResNet is ahead", "no, PlainNet is ahead",
                        quick) if result else "no interval (one run per network)")
        print(f"  under the {recipe} recipe: {said}")
    print(f"modern recipe, ResNet's mean over seeds: "
          f"{100 * np.mean(judged(resnet)):.2f} %; a published fast recipe for "
          f"comparison: {published['page_accuracy']} % in {published['page_epochs']} "
          "epochs (Page 2018, another network)")
    return answers


def print_results_table(configs, runs, published, quick):
    print(result_title("Results", quick))
    print(f"{'configuration':<21}{'val acc, last 3 %':>19}{'gap to its twin':>30}"
          f"{'params':>12}{'img/s':>8}{'TFLOP/s':>9}")
    twins = {"ResNet, published": "PlainNet, published",
             "ResNet, modern": "PlainNet, modern"}
    for name, group in configs.items():
        gap = ""
        if name in twins and twins[name] in configs:
            result = welch(judged(group), judged(configs[twins[name]]))
            gap = ("not computed (quick run)" if quick
                   else interval_text(result, unit="").replace("95 % interval ", ""))
        speeds = [speed(run) for run in group]
        print(f"{name:<21}{mean_sd(judged(group)):>19}{gap:>30}"
              f"{group[0]['parameters']:>12,}"
              f"{np.mean([s['images_per_second'] for s in speeds]):>8.0f}"
              f"{np.mean([s['achieved_tflops'] for s in speeds]):>9.3f}")
    article = f"{published['article_gap']:+.2f} (final epoch)"
    print(f"{'the article (published)':<21}{'':>19}{article:>30}"
          f"  K80, about {published['article_minutes_k80']} min per model")
    if quick:
        print(f"gaps and their intervals: {quick}")
    settings = runs[0]["experiment"]["settings"]
    print(f"{settings['epochs']} epoch(s), {settings['train_images']:,} training and "
          f"{settings['test_images']:,} test images, batch {settings['batch_size']}")
    for line in describe_provenance(runs):
        print(line)


def print_beside_book(configs, runs, book, session, quick):
    """Your runs (those of this notebook run that the book's published file does not
    hold) beside the book's: your judged accuracies against the book's mean, spread
    and the range where one more of its runs would fall, then your curves over the
    book's."""
    if quick:
        print(f"your runs beside the book's: {quick}")
        return None
    if not any(run["machine"]["session"] == session for run in runs):
        print("no training in this notebook run: the results are shown as found, not "
              "set beside the book's")
        return None
    published = {(record["key"], record["started"]) for record in book}
    own = [run for run in runs if (run["key"], run["started"]) not in published]
    if not book:
        return None
    if not own:
        print("every run here is one of the book's published runs")
        return None
    print(f"{'configuration':<21}{'yours, last 3 %':>18}{'book, mean ± sd (n)':>23}"
          f"{'book, one more run':>21}")
    panels = []
    for name, group in configs.items():
        theirs = [r for r in book if r["network"] == group[0]["network"]
                  and r["recipe"] == group[0]["recipe"]]
        yours = [run for run in group if run in own]
        if not theirs or not yours:
            continue
        panels.append((name, yours, theirs))
        interval = prediction_interval(judged(theirs))
        outside = ("" if interval is None else " (outside)" if any(
            not interval[0] <= last_three(run) <= interval[1] for run in yours)
            else " (inside)")
        reach = ("one run: none" if interval is None else
                 f"{100 * interval[0]:.2f} to {100 * interval[1]:.2f}")
        print(f"{name:<21}{', '.join(f'{100 * v:.2f}' for v in judged(yours)):>18}"
              f"{f'{mean_sd(judged(theirs))} ({len(theirs)})':>23}{reach:>21}{outside}")
    print("data: yours", own[0]["experiment"]["data"]["name"], "| the book's",
          book[0]["experiment"]["data"]["name"])
    if not panels:
        return None
    figure, outside_counts = draw_beside_book(panels, "val_accuracy",
                                              "validation accuracy (%)")
    figure.suptitle("Your runs beside the book's: validation accuracy")
    figure.tight_layout()
    plt.show()
    for name, count in outside_counts.items():
        print(f"{name}: " + ("the book has one run here, so no band" if count is None
                             else f"{count} of your epochs outside the book's band"))
    return figure


def show_augmented(augmenter, images, draws=2):
    # The images as they are, then `draws` augmented draws of them, one row each.
    figure, axes = plt.subplots(draws + 1, len(images), figsize=(7, 1.9 * (draws + 1)))
    for row in range(draws + 1):
        shown = images if row == 0 else keras.ops.convert_to_numpy(
            augmenter(images, training=True))
        for column, axis in enumerate(axes[row]):
            axis.imshow(np.clip(shown[column], 0, 1))
            axis.axis("off")
        axes[row, 0].set_title("original" if row == 0 else f"augmented, draw {row}",
                               fontsize=9, loc="left")
    figure.suptitle("Training-time augmentation: random flip and shift by up to 4 "
                    "pixels")
    figure.tight_layout()
    plt.show()


def book_runs(runs, results_file, settings, session, quick):
    # The book's published records for these settings, fetched only where a page
    # needs them: a notebook run that trained networks itself, or one pair to judge.
    pairs = min(sum(run["recipe"] == "published" and run["network"] == network
                    for run in runs) for network in ("resnet30", "plainnet30"))
    trained_now = any(run["machine"]["session"] == session for run in runs)
    if quick or not (trained_now or pairs < 2):
        return []
    return fetch_book_results(results_file, settings)
