// The print button of the printable prescriptions (no inline script: CSP).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
