// Dental pages. Clicking a tooth on the chart fills in the entry form beside it (the
// tooth, and the surface clicked); a whole-tooth condition greys the surfaces out; the
// periodontal grid colours a pocket as it is typed; print buttons print. Every page works
// without this file (the form's own select and checkboxes do the same).
(() => {
  const form = document.querySelector("form.tooth-form");
  const whole = new Set((form?.dataset.wholeConditions || "").split(" ").filter(Boolean));

  function markSelected(number) {
    for (const g of document.querySelectorAll(".tooth-chart .tooth")) {
      g.classList.toggle("selected", g.dataset.tooth === String(number));
    }
  }

  function markSurfaces() {
    if (!form) return;
    const chosen = new Set(
      [...form.querySelectorAll("input[name=surfaces]:checked")].map((box) => box.value),
    );
    const tooth = form.elements.tooth?.value;
    for (const p of document.querySelectorAll(".tooth-chart .surface")) {
      const g = p.closest(".tooth");
      p.classList.toggle("picked", g.dataset.tooth === tooth && chosen.has(p.dataset.surface));
    }
  }

  function pick(g, surface) {
    if (!form) return;
    const select = form.elements.tooth;
    const number = g.dataset.tooth;
    if (select.value !== number) {
      select.value = number;
      for (const box of form.querySelectorAll("input[name=surfaces]")) box.checked = false;
    }
    if (surface) {
      const box = form.querySelector(`input[name=surfaces][value="${surface}"]`);
      if (box && !box.disabled) box.checked = !box.checked;
    }
    markSelected(number);
    markSurfaces();
    select.focus({ preventScroll: true });
  }

  function wholeTooth() {
    if (!form) return;
    const isWhole = whole.has(form.elements.condition?.value);
    form.classList.toggle("whole-tooth", isWhole);
    for (const box of form.querySelectorAll("input[name=surfaces]")) {
      box.disabled = isWhole;
      if (isWhole) box.checked = false;
    }
    markSurfaces();
  }

  document.addEventListener("click", (event) => {
    const g = event.target.closest(".tooth-chart .tooth");
    if (g) {
      const surface = event.target.closest(".surface")?.dataset.surface;
      pick(g, surface);
    }
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("keydown", (event) => {
    const g = event.target.closest?.(".tooth-chart .tooth");
    if (g && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      pick(g, null);
    }
  });
  if (form) {
    form.addEventListener("change", (event) => {
      if (event.target.name === "tooth") markSelected(event.target.value);
      if (event.target.name === "condition") wholeTooth();
      markSurfaces();
    });
    if (form.elements.tooth?.value) markSelected(form.elements.tooth.value);
    wholeTooth();
  }

  // Periodontal grid: 4–5 mm is a pocket, 6 mm or more a deep one.
  function depthClass(input) {
    const mm = Number.parseInt(input.value, 10);
    input.classList.toggle("pocket", mm >= 4 && mm < 6);
    input.classList.toggle("deep", mm >= 6);
  }
  for (const input of document.querySelectorAll("input[data-depth]")) depthClass(input);
  document.addEventListener("input", (event) => {
    if (event.target.matches("input[data-depth]")) depthClass(event.target);
  });
})();
