/* The photo comparison's slider: the range input uncovers the later photo over the
   earlier one (the top photo is clipped from the right as the handle moves left). */
(function () {
  "use strict";
  function init(root) {
    var range = root.querySelector("[data-compare-range]");
    var top = root.querySelector("[data-compare-top]");
    if (!range || !top) return;
    function update() {
      top.style.clipPath = "inset(0 " + (100 - Number(range.value)) + "% 0 0)";
    }
    range.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-compare]").forEach(init);
  });
})();
