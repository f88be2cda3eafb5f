// The staff calendar: drag an appointment onto a free time (or another staff member's
// column) to move it. The drop only opens the move page, which says what changes and asks
// for a confirmation; without JavaScript the appointment page's "Move" link does the same.
(() => {
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const appt = event.target.closest?.(".cal-appt[data-move]");
    if (!appt) return;
    dragged = appt;
    appt.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", appt.dataset.move);
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    for (const slot of document.querySelectorAll(".cal-slot.drop")) slot.classList.remove("drop");
  });
  const slotAt = (event) => {
    // An appointment lies over the slots: find the slot under the pointer by its row.
    const hit = document.elementsFromPoint(event.clientX, event.clientY);
    return hit.find((el) => el.matches?.("a.cal-slot[data-start]")) || null;
  };
  let lastSlot = null;
  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const slot = slotAt(event);
    if (lastSlot && lastSlot !== slot) lastSlot.classList.remove("drop");
    lastSlot = slot;
    if (!slot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    slot.classList.add("drop");
  });
  document.addEventListener("drop", (event) => {
    if (!dragged) return;
    const slot = slotAt(event);
    if (!slot) return;
    event.preventDefault();
    const column = slot.closest(".cal-col");
    const params = new URLSearchParams({ start: slot.dataset.start });
    if (column && column.dataset.staff) params.set("staff", column.dataset.staff);
    window.location.assign(`${dragged.dataset.move}?${params}`);
  });
  // The date picker jumps as soon as a date is chosen.
  document.addEventListener("change", (event) => {
    if (event.target.matches("input[data-autosubmit-date]") && event.target.value) {
      event.target.form.submit();
    }
  });
})();
