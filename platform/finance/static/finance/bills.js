// The bill page's small helps; the page works without them. A line form shows only the
// fields its kind uses; the payment form shows the cash or card fields of its method and,
// for cash, the change due as it is typed (the change recorded is the server's).
(() => {
  const show = (scope, attr, value) => {
    for (const box of scope.querySelectorAll(`[${attr}]`)) {
      const kinds = box.getAttribute(attr).split(" ");
      box.toggleAttribute("data-hidden-by-kind", !kinds.includes(value));
    }
  };
  for (const form of document.querySelectorAll("[data-line-form]")) {
    const kind = form.querySelector("[data-line-kind]");
    if (!kind) continue;
    const update = () => show(form, "data-line-for", kind.value);
    kind.addEventListener("change", update);
    update();
  }
  // Decimal strings to whole minor units, so no float arithmetic touches money.
  const toMinor = (text, places) => {
    const match = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text || "");
    if (!match) return null;
    const frac = (match[2] || "").padEnd(places, "0");
    if (frac.length > places) return null;
    return BigInt(match[1]) * 10n ** BigInt(places) + BigInt(frac || "0");
  };
  const fromMinor = (value, places) => {
    const text = value.toString().padStart(places + 1, "0");
    return places ? `${text.slice(0, -places)}.${text.slice(-places)}` : text;
  };
  for (const form of document.querySelectorAll("form.pay-form")) {
    const method = form.querySelector("[data-pay-method]");
    const amount = form.querySelector("[data-pay-amount]");
    const tendered = form.querySelector("[data-pay-tendered]");
    const preview = form.querySelector("[data-change-preview]");
    const places = ["JPY", "KRW", "VND"].includes(form.dataset.currency) ? 0 : 2;
    const update = () => {
      show(form, "data-pay-for", method.value);
      if (!preview || !tendered) return;
      const paid = toMinor(amount.value, places);
      const handed = toMinor(tendered.value, places);
      const ok = method.value === "cash" && paid !== null && handed !== null && handed >= paid;
      preview.hidden = !ok;
      if (ok) {
        preview.textContent = `${form.dataset.changeLabel}: ${form.dataset.currency} ${fromMinor(handed - paid, places)}`;
      }
    };
    for (const input of [method, amount, tendered]) input?.addEventListener("input", update);
    method.addEventListener("change", update);
    update();
  }
})();
