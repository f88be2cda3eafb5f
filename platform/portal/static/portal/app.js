// Small progressive enhancements; every page works without them.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle]");
  if (toggle) document.getElementById(toggle.dataset.toggle).classList.toggle("open");
});
// Links that act on "the list as it is now" (exports) follow the live search and filters,
// which htmx keeps in the address bar.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-keep-query]");
  if (link) link.href = link.href.split("?")[0] + window.location.search;
});
