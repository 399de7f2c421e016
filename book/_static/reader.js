// Fit wide text outputs (training logs, printed tables, model summaries) to the column:
// a box whose lines are wider than it gets the smaller font that fits them, unless
// that would be under MIN_SCALE of its size (two thirds: 9.3 px for the theme's 14 px,
// which fits 120 characters in the 688 px column at 1280 px); a box that cannot fit
// keeps its size and scrolls inside (reader.css).
(function () {
  const MIN_SCALE = 2 / 3;
  function fit() {
    document.querySelectorAll(".cell_output pre").forEach((pre) => {
      pre.style.fontSize = "";
      if (pre.scrollWidth <= pre.clientWidth) return;
      const style = getComputedStyle(pre);
      const size = parseFloat(style.fontSize);
      const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      let scale = (pre.clientWidth - padding) / (pre.scrollWidth - padding);
      // Glyph widths do not scale exactly with the font size: step down until it fits.
      while (scale >= MIN_SCALE) {
        pre.style.fontSize = `${(size * scale).toFixed(2)}px`;
        if (pre.scrollWidth <= pre.clientWidth) return;
        scale -= 0.01;
      }
      pre.style.fontSize = "";
    });
    document.documentElement.dataset.outputsFitted = "true";
  }
  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(fit, 100);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fit);
  } else {
    fit();
  }
})();
