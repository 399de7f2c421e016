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
