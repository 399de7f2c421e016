# @title Reporting across depth: figures, tables, verdicts
# Shared cell: edit tools/snippets/depth_report.py and run tools/stamp_notebooks.py.
# The code behind chapter 7's results sections, each of which calls one function here
# and shows what it prints or draws. A quick run prints quick_run_note's line in place
# of every interval, verdict and power line, and its figures and tables say "quick
# run". The statistics themselves are in the shared cells above and in depth_stats.
FAMILY_NAMES = {"plain": "Plain", "resnet": "ResNet"}
FAMILY_COLOURS = {"plain": "tab:orange", "resnet": "tab:blue"}
DEPTH_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")
PARTS = {"train": "training", "test": "test"}


def runs_of(runs, family, depth):
    return sorted((run for run in runs
                   if run["family"] == family and run["depth"] == depth),
                  key=lambda run: run["seed"])


def clean_errors(runs, family, depth, part):
    # Clean error ("train" or "test") of every seed, in per cent, in seed order.
    return [100 * (1 - run["clean"][f"{part}_accuracy"])
            for run in runs_of(runs, family, depth)]


def depths_of(runs):
    return sorted({run["depth"] for run in runs})


def network_name(family, depth):
    return f"{FAMILY_NAMES[family]}-{depth}"


def print_runs(runs):
    # A line per run of the plan, from its record.
    for run in runs:
        print(f"{run['network']:<9} seed {run['seed']}: {run['fit_seconds']:6.0f} s, "
              f"{run['images_per_second']:7.0f} img/s, train error "
              f"{100 * (1 - run['clean']['train_accuracy']):5.1f} %, test error "
              f"{100 * (1 - run['clean']['test_accuracy']):5.1f} %, "
              f"compiled: {run['jit_compile']}")


def draw_published(published):
    # He et al.'s residual networks' test error by depth, as their Table 6 gives it.
    depths = sorted(published)
    figure, axis = plt.subplots(figsize=(6.5, 3.6))
    axis.plot(depths, [published[depth] for depth in depths], "k--x", markersize=9,
              label="ResNet, test error (published)")
    for depth in depths:
        axis.annotate(f"{published[depth]:.2f}", (depth, published[depth]),
                      textcoords="offset points", xytext=(0, 8), ha="center")
    axis.margins(y=0.2)
    axis.set_xticks(depths)
    axis.set_xlabel("layers with weights")
    axis.set_ylabel("test error (%)")
    axis.set_title("Published: He et al. 2016, Table 6 (CIFAR-10, about 164 epochs)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    plt.show()


def draw_error_curves(runs, epochs, quick):
    # He et al.'s Figure 6 for these runs: a panel per family, a colour per depth,
    # fit's training error dashed, test error solid (means over seeds).
    depths = depths_of(runs)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for axis, (family, name) in zip(axes, FAMILY_NAMES.items()):
        for depth, colour in zip(depths, DEPTH_COLOURS):
            group = runs_of(runs, family, depth)
            for key, style, label in (("accuracy", "--", None),
                                      ("val_accuracy", "-", f"{name}-{depth}")):
                curve = 100 * np.mean([1 - np.asarray(run["history"][key])
                                       for run in group], axis=0)
                axis.plot(np.arange(1, epochs + 1), curve, style, color=colour,
                          label=label, alpha=0.8 if style == "--" else 1)
        axis.set_title(f"{name} networks")
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(title="solid: test, dashed: training", fontsize=8,
                    title_fontsize=8)
    axes[0].set_ylabel("error (%)")
    figure.suptitle(result_title("Training and test error of plain and residual "
                                 "networks, CIFAR-10 (mean of seeds)", quick))
    figure.tight_layout()
    plt.show()


def draw_error_by_depth(runs, published, epochs, quick):
    # Clean final errors against depth (mean, bars spanning the seeds), both
    # families, with the published ResNet test errors as black crosses.
    depths = depths_of(runs)
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for family, name in FAMILY_NAMES.items():
        for part, style in (("test", "-o"), ("train", "--s")):
            errors = [clean_errors(runs, family, depth, part) for depth in depths]
            means = np.array([np.mean(values) for values in errors])
            spans = np.array([means - [min(v) for v in errors],
                              [max(v) for v in errors] - means])
            axis.errorbar(depths, means, yerr=spans, fmt=style,
                          color=FAMILY_COLOURS[family], capsize=3,
                          label=f"{name}, {PARTS[part]} (this run)")
    known = sorted(published)
    axis.plot(known, [published[depth] for depth in known], "kx", markersize=8,
              label="He et al. ResNet, test (published, 164 epochs)")
    axis.set_xticks(sorted(set(depths) | set(known)))
    axis.set_xlabel("layers with weights")
    axis.set_ylabel("final error (%)")
    axis.set_title(result_title(f"Final error against depth after {epochs} epochs",
                                quick))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    plt.show()


def mean_spread(values):
    # "mean ± standard deviation" over seeds; the mean alone for a single seed.
    if len(values) < 2:
        return f"{np.mean(values):.2f}"
    return f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"


def print_results_table(runs, published, epochs, quick_note):
    # A row per network: parameters, clean errors (mean ± sd over seeds), the
    # published test error; then speed device by device, and where the runs came from.
    print(result_title(f"Results after {epochs} epochs", bool(quick_note)))
    print(f"{'network':<11}{'params':>9}{'train err %':>14}{'test err %':>14}"
          f"{'He et al. % (published)':>25}")
    for family in FAMILY_NAMES:
        for depth in depths_of(runs):
            paper = (f"{published[depth]:.2f}"
                     if family == "resnet" and depth in published else "-")
            print(f"{network_name(family, depth):<11}"
                  f"{runs_of(runs, family, depth)[0]['parameters']:>9,}"
                  f"{mean_spread(clean_errors(runs, family, depth, 'train')):>14}"
                  f"{mean_spread(clean_errors(runs, family, depth, 'test')):>14}"
                  f"{paper:>25}")
    if quick_note:
        print(f"These rows are not results ({quick_note[len('not computed ('):-1]}): "
              "they show that the code runs. Networks trained this little often "
              "predict one class for every image, which makes rows alike; nothing "
              "here says how depth acts.")
    settings = runs[0]["experiment"]["settings"]
    print(f"\n{len(runs)} runs, seeds {sorted({run['seed'] for run in runs})}, "
          f"{settings['epochs']} epochs, {settings['train_images']:,} training / "
          f"{settings['test_images']:,} test images")
    print("\nspeed, device by device:")
    print_speed_by_device(runs, lambda run: network_name(run["family"], run["depth"]))
    for line in describe_provenance(runs):
        print(line)


def seeds_everywhere(runs):
    # The fewest seeds any network of the runs has.
    return min(len(runs_of(runs, run["family"], run["depth"])) for run in runs)


def pooled_spread(records):
    # Seed-to-seed standard deviation of clean errors (points), pooled over every
    # network and both errors with two runs or more: (spread, degrees of freedom).
    squares, dof = 0.0, 0
    for family in FAMILY_NAMES:
        for depth in depths_of(records):
            for part in PARTS:
                values = clean_errors(records, family, depth, part)
                if len(values) > 1:
                    squares += np.var(values, ddof=1) * (len(values) - 1)
                    dof += len(values) - 1
    return (math.sqrt(squares / dof), dof) if dof and squares > 0 else (math.nan, 0)


def seed_spread(runs, stated, stated_source, book=()):
    """The seed-to-seed spread that judges runs of one seed: measured on this run's
    own seeds where every network has two or more, else on the book's published
    runs, else the spread the chapter states (with its source)."""
    for records, source in ((runs, "measured on this run's seeds"),
                            (list(book), "measured on the book's published runs")):
        if records and seeds_everywhere(records) > 1:
            spread, dof = pooled_spread(records)
            if dof:
                return {"spread": spread, "dof": dof,
                        "source": f"{source} (pooled, {dof} degrees of freedom)"}
    return {"spread": stated, "dof": math.inf, "source": stated_source}


def contrast(runs, terms, spread, part):
    # sum(sign * mean clean error of a network): (family, depth, sign) terms. With
    # two seeds or more everywhere, Welch's interval for a difference of two
    # networks; else the interval of single runs from the stated or book's spread.
    means = [sign * np.mean(clean_errors(runs, family, depth, part))
             for family, depth, sign in terms]
    if len(terms) == 2 and seeds_everywhere(runs) > 1:
        (f1, d1, _), (f2, d2, _) = terms
        return welch(clean_errors(runs, f1, d1, part), clean_errors(runs, f2, d2, part))
    count = sum(1 / len(runs_of(runs, family, depth)) for family, depth, _ in terms)
    return single_runs(float(sum(means)), spread["spread"], count, spread["dof"])


def primary_results(runs, spread):
    # The three verdicts the chapter names in advance, as (label, result, above,
    # below): degradation, the growth of the gap, the residual networks' gain.
    low, high = depths_of(runs)[0], depths_of(runs)[-1]
    if seeds_everywhere(runs) > 1:
        growth = gap_growth_hc3(
            [run["depth"] for run in runs], [run["family"] == "resnet" for run in runs],
            [100 * (1 - run["clean"]["train_accuracy"]) for run in runs])
        growth = {**growth, "difference": growth["difference"] * (high - low),
                  "error": growth["error"] * (high - low),
                  "low": growth["low"] * (high - low),
                  "high": growth["high"] * (high - low)}
        how = f"family x depth fit, HC3 errors, {len(runs)} runs"
    else:
        growth = contrast(runs, [("plain", high, 1), ("resnet", high, -1),
                                 ("plain", low, -1), ("resnet", low, 1)],
                          spread, "train")
        how = "single runs"
    return [
        (f"P1 Plain-{high} minus Plain-{low}, training error",
         contrast(runs, [("plain", high, 1), ("plain", low, -1)], spread, "train"),
         "the deeper is worse (degradation)", "the deeper is better"),
        (f"P2 growth of the training-error gap from {low} to {high} layers ({how})",
         growth, "grows with depth", "shrinks with depth"),
        (f"P3 ResNet-{high} minus ResNet-{low}, test error",
         contrast(runs, [("resnet", high, 1), ("resnet", low, -1)], spread, "test"),
         "the deeper is worse", "the deeper is better (as He et al. found)"),
    ]


def judge_depth(runs, spread, quick_note):
    """Print the primary verdicts (Holm-adjusted over the three) and the exploratory
    ones (unadjusted, marked), each with its interval; return the verdicts."""
    primary = primary_results(runs, spread)
    rejected = holm([p_value(result) for _, result, _, _ in primary])
    verdicts = {}
    judged = ("a spread of " + f"{spread['spread']:.2f} points, {spread['source']}"
              if seeds_everywhere(runs) < 2
              else "Welch's intervals over the seeds, and HC3 errors for P2")
    print("Primary verdicts (named in advance, Holm-adjusted over the three at 5 %):")
    if not quick_note:
        print(f"  judged with {judged}")
    for (label, result, above, below), decided in zip(primary, rejected):
        if quick_note:
            outcome = text = quick_note
        else:
            text = interval_text(result, scale=1)
            outcome = (verdict(result, above, below, False) if decided
                       else "undecided (Holm-adjusted)")
            if decided and outcome.startswith("undecided"):
                outcome = above if result["difference"] > 0 else below
        verdicts[label[:2]] = outcome
        print(f"{label}: {text}\n  verdict: {outcome}")
    print("\nExploratory (each at 5 %, not adjusted for the number of lines):")
    for part in PARTS:
        for depth in depths_of(runs):
            gap = contrast(runs, [("plain", depth, 1), ("resnet", depth, -1)], spread,
                           part)
            text = quick_note or interval_text(gap, scale=1)
            outcome = quick_note or verdict(gap, "the ResNet is ahead",
                                            "the plain net is ahead", False)
            print(f"plain minus ResNet {PARTS[part]} error at {depth} layers: {text}"
                  f"\n  verdict: {outcome}")
    if seeds_everywhere(runs) > 1 and len(depths_of(runs)) > 2:
        for family in FAMILY_NAMES:
            for part in PARTS:
                depths = [d for d in depths_of(runs)
                          for _ in clean_errors(runs, family, d, part)]
                errors = [e for d in depths_of(runs)
                          for e in clean_errors(runs, family, d, part)]
                slope = trend(depths, errors)
                text = quick_note or interval_text(slope, scale=10,
                                                   unit=" points per 10 layers")
                outcome = quick_note or verdict(slope, "rises with depth",
                                                "falls with depth", False)
                print(f"{FAMILY_NAMES[family]} {PARTS[part]} error against depth, "
                      f"slope: {text}\n  verdict: {outcome}")
    return verdicts


def print_power(spread, seeds, quick_note, effects=(0.5, 1.0, 2.0)):
    # Power of the full design (seeds per network) to find a true difference between
    # two networks, from the noncentral t (power() of the shared statistics cell).
    if quick_note:
        print(f"power of the {seeds}-seed design: {quick_note}")
        return
    if not spread["spread"] > 0:
        print(f"power of the {seeds}-seed design: not computed (no spread between "
              "seeds to compute it from)")
        return
    print(f"power of {seeds} seeds per network (two-sided test at 95 %), at a spread "
          f"of {spread['spread']:.2f} points ({spread['source']}):")
    for effect in effects:
        chance = power(effect, spread["spread"], seeds)
        print(f"  a true difference of {effect:.1f} points between two networks: "
              f"found {chance:.0%} of the time")


def draw_gaps(runs, spread, quick):
    # The gap at each depth, plain minus ResNet, with its 95 % interval (none drawn
    # where there is none, and none for a quick run).
    depths = depths_of(runs)
    figure, axis = plt.subplots(figsize=(7, 4))
    for offset, (part, colour) in zip((-0.6, 0.6), (("train", "tab:purple"),
                                                    ("test", "tab:green"))):
        gaps = [contrast(runs, [("plain", depth, 1), ("resnet", depth, -1)], spread,
                         part) for depth in depths]
        means = np.array([gap["difference"] for gap in gaps])
        halves = np.array([gap["high"] - gap["difference"] for gap in gaps])
        halves = np.where(np.isfinite(halves) & (not quick), halves, 0)
        axis.errorbar(np.array(depths) + offset, means, yerr=halves, fmt="-o",
                      color=colour, capsize=3, label=f"{PARTS[part]} error")
    axis.axhline(0, color="0.3", linewidth=1)
    axis.set_xticks(depths)
    axis.set_xlabel("layers with weights")
    axis.set_ylabel("plain minus ResNet error (points)")
    axis.set_title(result_title("Gap between the twins against depth (mean, 95 % "
                                "interval)", quick))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    plt.show()


def set_beside_book(runs, results_file, settings, quick, trained_now):
    """Your runs beside the book's published ones: a row per network (your test
    error, the book's mean ± sd, where one more of the book's runs would fall), a
    figure of your test-error curves over the book's band, and the epochs outside it.
    Returns the figure (or None) and the data names of both."""
    if quick:
        print("quick run: not set beside the book's results")
        return None, []
    if not trained_now:
        print("no training in this notebook run: the results are shown as found, not "
              "set beside the book's")
        return None, []
    book = fetch_book_results(results_file, settings)
    published = {(record["key"], record["started"]) for record in book}
    own = [run for run in runs if (run["key"], run["started"]) not in published]
    if not book or not own:
        if book:
            print("every run here is one of the book's published runs")
        return None, []
    print(f"{'network':<11}{'yours, test err %':>19}{'book, mean ± sd (n)':>23}"
          f"{'book, one more run':>21}")
    panels = {}
    for run in own:
        theirs = [r for r in book if (r["family"], r["depth"]) == (run["family"],
                                                                   run["depth"])]
        if not theirs:
            continue
        name = network_name(run["family"], run["depth"])
        panels.setdefault(name, ([], theirs))[0].append(run)
        errors = [100 * (1 - r["clean"]["test_accuracy"]) for r in theirs]
        yours = 100 * (1 - run["clean"]["test_accuracy"])
        interval = prediction_interval(errors)
        reach = "-" if interval is None else f"{interval[0]:.2f} to {interval[1]:.2f}"
        outside = ("" if interval is None or interval[0] <= yours <= interval[1]
                   else " (outside)")
        book_text = f"{mean_spread(errors)} ({len(errors)})"
        print(f"{name:<11}{yours:>19.2f}{book_text:>23}{reach:>21}{outside}")
    names = [records[0]["experiment"]["data"]["name"] for records in (own, book)]
    print("data: yours", names[0], "| the book's", names[1])
    if not panels:
        return None, names
    figure, epochs_outside = draw_beside_book(
        [(name, *pair) for name, pair in panels.items()], "val_accuracy",
        "test error (%)", scale=lambda accuracy: 100 * (1 - accuracy))
    figure.suptitle("Your runs beside the book's: test error")
    figure.tight_layout()
    plt.show()
    for name, count in epochs_outside.items():
        print(f"{name}: " + ("the book has one run here, so no band" if count is None
                             else f"{count} of your epochs outside the book's band"))
    return figure, names


def print_settings_beside_paper(runs, total_steps, quick):
    # The settings the models and the recipe actually have, read from a model.
    model = build_cifar_net(3, shortcuts=False)
    norms = [layer for layer in model.layers
             if isinstance(layer, layers.BatchNormalization)]
    convolutions = [layer for layer in model.layers
                    if isinstance(layer, layers.Conv2D)]
    decayed = [weight for weight in model.trainable_weights
               if getattr(weight, "regularizer", None) is not None]
    assert len(decayed) == len(convolutions) + 1
    print(result_title("This run's settings beside He et al.'s", quick))
    print(f"steps: {total_steps:,} here, 64,000 in He et al. "
          f"({total_steps / 64_000:.2f} of theirs)")
    print(f"learning rate 0.1 -> 0.01 -> 0.001 at steps {total_steps // 2:,} and "
          f"{total_steps * 3 // 4:,} (theirs: 32,000 and 48,000)")
    print(f"batch normalisation: momentum {norms[0].momentum}, epsilon "
          f"{norms[0].epsilon}")
    print("kernel initialiser:", type(convolutions[0].kernel_initializer).__name__)
    print(f"variables with weight decay: {len(decayed)} of "
          f"{len(model.trainable_weights)} trainable ({len(convolutions)} convolution "
          "kernels and the dense kernel; no batch-normalisation scale or offset, no "
          "bias)")
    print("precision of the records:",
          ", ".join(sorted({run["machine"]["precision"] for run in runs})))


def print_notebook_time(start, runs):
    # The wall time of this notebook's run, and how many of the runs it trained.
    minutes = (time.perf_counter() - start) / 60
    trained = sum(run["machine"]["session"] == SESSION for run in runs)
    print(f"this notebook ran for {minutes:.1f} minutes on {HARDWARE['name']} "
          f"({keras.backend.backend()} backend, {PRECISION}) and trained {trained} of "
          f"{len(runs)} networks; the others came from the results file")
