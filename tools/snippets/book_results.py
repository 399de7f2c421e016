# @title The book's published results
# Shared cell: edit tools/snippets/book_results.py and run tools/stamp_notebooks.py.
# The book publishes each chapter's results file in its repository, in
# notebooks/results/ on the branch that _config.yml names. A chapter that trained
# networks itself sets them beside the book's; offline, or before the book has
# published the file, it says so in one line and goes on.
import urllib.error
import urllib.request

BOOK_RESULTS_URL = ("https://raw.githubusercontent.com/residual-networks-book/"
                    "residual-networks-keras/main/notebooks/results/")


def fetch_book_results(name, settings, timeout=10):
    # The book's published records of results file `name` with these settings, or []
    # and one line saying why there are none.
    url = BOOK_RESULTS_URL + name
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            records = json.load(response)
    except urllib.error.HTTPError as error:
        print(f"the book has not published {name} (HTTP {error.code}): nothing to "
              "set beside your runs yet")
        return []
    except (OSError, ValueError) as error:
        print(f"the book's {name} could not be fetched ({type(error).__name__}; "
              "offline?): nothing to set beside your runs")
        return []
    same = [record for record in records
            if record["experiment"]["settings"] == settings]
    if not same:
        print(f"the book's {name} holds no runs with these settings")
    return same


def prediction_interval(values):
    # Where one more run would fall with 95 % probability, from the book's runs
    # (mean ± t s sqrt(1 + 1/n)); None with fewer than two runs.
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return None
    half = (t_critical(len(values) - 1) * values.std(ddof=1)
            * math.sqrt(1 + 1 / len(values)))
    return float(values.mean() - half), float(values.mean() + half)


def draw_beside_book(panels, key, label, scale=lambda values: 100 * values):
    # One panel per (title, yours, theirs): the book's runs as thin grey curves of
    # history[key] (scaled), the band where one more of the book's runs would fall
    # (a prediction interval per epoch, from two or more runs), and yours on top.
    # Returns the figure and, per panel, how many of your epochs lie outside the band.
    columns = min(len(panels), 4)
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, sharey=True, squeeze=False,
                                figsize=(3.6 * columns + 0.6, 3.2 * rows))
    for axis in axes.flat[len(panels):]:
        axis.set_visible(False)
    outside = {}
    for axis, (title, yours, theirs) in zip(axes.flat, panels):
        book = np.array([scale(np.asarray(r["history"][key], dtype=float))
                         for r in theirs])
        epochs = np.arange(1, book.shape[1] + 1)
        for number, curve in enumerate(book):
            axis.plot(epochs, curve, color="0.6", linewidth=0.8,
                      label="the book's runs" if number == 0 else None)
        band = None
        if len(book) >= 2:
            band = np.array([prediction_interval(column) for column in book.T])
            axis.fill_between(epochs, band[:, 0], band[:, 1], color="0.85",
                              label="one more of the book's (95 %)")
        count = 0
        for run in yours:
            curve = scale(np.asarray(run["history"][key], dtype=float))
            axis.plot(epochs[:len(curve)], curve, linewidth=2,
                      label=f"yours, seed {run['seed']}")
            if band is not None:
                low, high = band[:len(curve), 0], band[:len(curve), 1]
                count += int(np.sum((curve < low) | (curve > high)))
        outside[title] = None if band is None else count
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    for row in axes:
        row[0].set_ylabel(label)
    axes.flat[len(panels) - 1].legend(fontsize=8)
    figure.tight_layout()
    return figure, outside
