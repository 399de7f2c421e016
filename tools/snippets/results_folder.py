# @title Where the results file is kept
# Shared cell: edit tools/snippets/results_folder.py and run tools/stamp_notebooks.py.
# Where the results file is kept. By default beside the notebook, which in Colab is
# the runtime's own disk: a disconnect deletes it. RESULTS_DIR in the environment
# names another folder; in Colab, RESULTS_IN_DRIVE (the form above) mounts your
# Google Drive and keeps the file there. Every training is written as it ends, so
# after a disconnect, run the notebook again: it trains only what the file lacks.
# On Kaggle the files go to /kaggle/working, which a saved version keeps as its
# output; an earlier version's output attached as input is copied in first, so that
# the new version trains only what the earlier ones lack.
import glob
import json

DRIVE_MOUNT = os.environ.get("DRIVE_MOUNT", "/content/drive")  # Colab's mount point
DRIVE_FOLDER = "MyDrive/residual-networks-book"
ON_KAGGLE = "KAGGLE_KERNEL_RUN_TYPE" in os.environ  # set in every Kaggle notebook
KAGGLE_WORKING = os.environ.get("KAGGLE_WORKING_DIR", "/kaggle/working")
KAGGLE_INPUT = os.environ.get("KAGGLE_INPUT_DIR", "/kaggle/input")


def results_folder(in_drive, names=()):
    """The folder for results and weights files ("" for the notebook's own folder).
    On Kaggle, the files `names` found among the attached inputs are copied in."""
    folder = os.environ.get("RESULTS_DIR", "")
    if in_drive:
        try:
            from google.colab import drive
        except ImportError:
            print("RESULTS_IN_DRIVE works in Google Colab only; here the results "
                  "file stays in", folder or "the notebook's folder")
        else:
            drive.mount(DRIVE_MOUNT)
            folder = os.path.join(DRIVE_MOUNT, DRIVE_FOLDER)
    if ON_KAGGLE and not folder:
        folder = KAGGLE_WORKING
    if folder:
        os.makedirs(folder, exist_ok=True)
    if ON_KAGGLE:
        print(f"on Kaggle ({os.environ['KAGGLE_KERNEL_RUN_TYPE']}): results go to "
              f"{folder}, which the saved version keeps as its output")
        for name in names:
            resume_from_inputs(os.path.join(folder, name))
    return folder


def resume_from_inputs(path):
    # Bring in every copy of the file `path` names that the attached inputs hold
    # (earlier versions' outputs): a results file's records, merged by run (the
    # latest training of a run wins), or a weights file's arrays.
    name = os.path.basename(path)
    found = sorted(glob.glob(os.path.join(KAGGLE_INPUT, "**", name), recursive=True))
    if not found:
        print(f"  {name}: not among the attached inputs")
        return
    if name.endswith(".json"):
        runs = {}
        for source in ([path] if os.path.exists(path) else []) + found:
            with open(source) as file:
                for record in json.load(file):
                    run = (record["key"], json.dumps(record["experiment"],
                                                     sort_keys=True))
                    if run not in runs or record["finished"] > runs[run]["finished"]:
                        runs[run] = record
        with open(path + ".tmp", "w") as file:
            json.dump(list(runs.values()), file, indent=1)
        os.replace(path + ".tmp", path)
        print(f"  {name}: {len(runs)} runs from {len(found)} attached file(s), "
              f"copied in")
    else:
        arrays = {}
        for source in found + ([path] if os.path.exists(path) else []):
            with np.load(source) as kept:
                arrays.update({key: kept[key] for key in kept.files})
        np.savez(path + ".tmp.npz", **arrays)
        os.replace(path + ".tmp.npz", path)
        print(f"  {name}: {len(arrays)} arrays from {len(found)} attached file(s), "
              f"copied in")
