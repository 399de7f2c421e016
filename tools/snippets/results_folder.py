# @title Where the results file is kept
# Shared cell: edit tools/snippets/results_folder.py and run tools/stamp_notebooks.py.
# Where the results file is kept. By default beside the notebook, which in Colab is
# the runtime's own disk: a disconnect deletes it. RESULTS_DIR in the environment
# names another folder; in Colab, RESULTS_IN_DRIVE (the form above) mounts your
# Google Drive and keeps the file there. Every training is written as it ends, so
# after a disconnect, run the notebook again: it trains only what the file lacks.
DRIVE_MOUNT = os.environ.get("DRIVE_MOUNT", "/content/drive")  # Colab's mount point
DRIVE_FOLDER = "MyDrive/residual-networks-book"


def results_folder(in_drive):
    # The folder for results and weights files ("" for the notebook's own folder).
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
    if folder:
        os.makedirs(folder, exist_ok=True)
    return folder
