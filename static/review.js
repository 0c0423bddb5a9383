// The review queue's bulk form: a box that ticks every pairing on the page, and a live count
// of the ticked ones. The row boxes sit in the table and join the form through form="bulk".
"use strict";

(function () {
  function boxes() {
    return Array.from(document.querySelectorAll('input[name="pick"][form="bulk"]'));
  }

  function recount() {
    const all = boxes();
    const ticked = all.filter((box) => box.checked).length;
    const count = document.getElementById("picked-count");
    const every = document.getElementById("pick-all");
    if (count) count.value = String(ticked);
    if (every) {
      every.checked = all.length > 0 && ticked === all.length;
      every.indeterminate = ticked > 0 && ticked < all.length;
      every.disabled = all.length === 0;
    }
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "pick-all") {
      boxes().forEach((box) => { box.checked = target.checked; });
    }
    if (target.id === "pick-all" || target.name === "pick") recount();
  });
  // A decided row or a new page of results comes in by htmx: count again.
  document.addEventListener("htmx:afterSettle", recount);
  document.addEventListener("DOMContentLoaded", recount);
})();
