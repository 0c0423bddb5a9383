// "Tick all shown" boxes (data-ticks="scenario"): tick or untick every box of that name in
// the same form, so an official can put a whole filtered list into a batch at once.
"use strict";

document.addEventListener("change", (event) => {
  const name = event.target.dataset && event.target.dataset.ticks;
  if (!name || !event.target.form) return;
  event.target.form
    .querySelectorAll(`input[type="checkbox"][name="${name}"]:not(:disabled)`)
    .forEach((box) => { box.checked = event.target.checked; });
});
