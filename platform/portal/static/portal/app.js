// Small progressive enhancements; every page works without them. No page carries inline
// script or event handlers (the Content-Security-Policy refuses them): behaviour is
// declared with data- attributes and wired here.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  const all = event.target.closest("input[data-tick-all]");
  if (all) {
    for (const box of document.querySelectorAll(all.dataset.tickAll)) box.checked = all.checked;
  }
});
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle]");
  if (toggle) document.getElementById(toggle.dataset.toggle).classList.toggle("open");
  const ask = event.target.closest("button[data-confirm], a[data-confirm]");
  if (ask && !window.confirm(ask.dataset.confirm)) event.preventDefault();
});
// Links that act on "the list as it is now" (exports) follow the live search and filters,
// which htmx keeps in the address bar.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-keep-query]");
  if (link) link.href = link.href.split("?")[0] + window.location.search;
});
// A long select (time zones, countries) gets a filter box above it: what is typed narrows
// the options by their label or value ("shanghai", "上海", "+852").
for (const select of document.querySelectorAll("select[data-searchable]")) {
  const box = document.createElement("input");
  box.type = "search";
  box.className = "select-filter";
  box.placeholder = select.dataset.searchLabel || "";
  box.setAttribute("aria-label", select.dataset.searchLabel || "");
  select.before(box);
  box.addEventListener("input", () => {
    const term = box.value.trim().toLowerCase();
    let first = null;
    for (const option of select.options) {
      const match = !term || `${option.text} ${option.value}`.toLowerCase().includes(term);
      option.hidden = !match;
      if (match && !first) first = option;
    }
    if (term && first && select.selectedOptions[0]?.hidden) first.selected = true;
  });
}
