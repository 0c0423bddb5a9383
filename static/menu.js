// The header's Desk menu (a <details>): it closes as menus do — on a click or tap elsewhere,
// on Escape (focus back on its label), and when the focus moves out of it.
"use strict";

const openMenus = () => document.querySelectorAll(".nav .menu details[open]");

document.addEventListener("click", (event) => {
  openMenus().forEach((menu) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  openMenus().forEach((menu) => {
    menu.open = false;
    menu.querySelector("summary").focus();
  });
});

document.addEventListener("focusout", (event) => {
  const menu = event.target.closest && event.target.closest(".nav .menu details[open]");
  if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) menu.open = false;
});
