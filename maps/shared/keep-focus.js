// Live pages rebuild parts of themselves when an event arrives. A keyboard user on a control inside such a part must
// stay on it: otherwise the focus falls back to the page, and the Enter that follows does nothing (or something else).

/**
 * Runs rebuild(), which replaces what container holds, and puts the focus back on the same control in the new content.
 * "The same" is the control's data-focus-key, given by whoever builds the content.
 */
export function keepingFocus(container, rebuild) {
  const focused = container.contains(document.activeElement) ? document.activeElement : null;
  const key = focused?.dataset.focusKey;
  rebuild();
  if (key && !container.contains(focused)) {
    container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
  }
}
