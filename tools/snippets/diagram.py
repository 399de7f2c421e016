# @title Block diagrams (drawing code)
# Shared cell: edit tools/snippets/diagram.py and run tools/stamp_notebooks.py.
# Block diagrams drawn with matplotlib alone: the main path top to bottom, the
# shortcut (if any) down the right, joined at the addition.
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch


def draw_block(axis, title, before_add, after_add, shortcut=None):
    """One block: boxes `before_add`, the addition if `shortcut` names one, then
    boxes `after_add`; a plain block has no addition and no shortcut."""
    steps = ["x"] + list(before_add) + (["+"] if shortcut else []) + list(after_add)
    steps.append("out")
    heights = np.linspace(0.95, 0.05, len(steps))
    for upper, lower in zip(heights[:-1], heights[1:]):
        axis.add_patch(FancyArrowPatch((0.4, upper - 0.03), (0.4, lower + 0.03),
                                       arrowstyle="-|>", mutation_scale=10,
                                       color="0.3"))
    for step, height in zip(steps, heights):
        if step == "+":
            axis.add_patch(Circle((0.4, height), 0.035, facecolor="white",
                                  edgecolor="tab:blue", linewidth=1.5))
            axis.text(0.4, height, "+", ha="center", va="center", fontsize=11,
                      color="tab:blue")
        elif step in ("x", "out"):
            axis.text(0.4, height, step, ha="center", va="center", fontsize=10,
                      style="italic")
        else:
            axis.add_patch(FancyBboxPatch((0.12, height - 0.03), 0.56, 0.06,
                                          boxstyle="round,pad=0.005",
                                          facecolor="0.93", edgecolor="0.4"))
            axis.text(0.4, height, step, ha="center", va="center", fontsize=8)
    if shortcut:
        add_height = heights[steps.index("+")]
        path = [(0.4, heights[0] - 0.02), (0.86, heights[0] - 0.02),
                (0.86, add_height), (0.44, add_height)]
        axis.plot(*zip(*path[:3]), color="tab:blue", linewidth=1.5)
        axis.add_patch(FancyArrowPatch(path[2], path[3], arrowstyle="-|>",
                                       mutation_scale=10, color="tab:blue",
                                       linewidth=1.5))
        axis.text(0.89, (heights[0] + add_height) / 2, shortcut, rotation=90,
                  ha="left", va="center", fontsize=7.5, color="tab:blue")
    axis.set_xlim(0, 1.05)
    axis.set_ylim(0, 1)
    axis.set_title(title, fontsize=9)
    axis.axis("off")
