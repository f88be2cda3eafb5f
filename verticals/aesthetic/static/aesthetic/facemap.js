/* The face map of the treatment record form: click a drawing to place an injection point,
   type the amount and unit beside its number, remove a point with its button. The points
   are kept as JSON in the form's textarea [data-facemap-input] (what the server reads and
   checks): [{"view": "front", "x": 0.42, "y": 0.31, "amount": "4", "unit": "U",
   "label": ""}], x and y being fractions (0..1) of the drawing's width and height. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function init(root) {
    var form = root.closest("form");
    var input = form && form.querySelector("[data-facemap-input]");
    var tbody = root.querySelector("[data-facemap-rows]");
    if (!input || !tbody) return;
    var width = Number(root.dataset.width), height = Number(root.dataset.height);
    var units = JSON.parse(document.getElementById("facemap-units").textContent);
    var views = {};
    root.querySelectorAll("svg[data-view]").forEach(function (svg) {
      views[svg.dataset.view] = svg;
    });
    var points = [];
    try { points = JSON.parse(input.value || "[]"); } catch (e) { points = []; }
    if (!Array.isArray(points)) points = [];
    input.hidden = true;

    function save() { input.value = JSON.stringify(points); }

    function el(tag, attrs, text) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      if (text !== undefined) node.textContent = text;
      return node;
    }

    function draw() {
      Object.keys(views).forEach(function (v) {
        var layer = views[v].querySelector(".facemap-points");
        while (layer.firstChild) layer.removeChild(layer.firstChild);
      });
      points.forEach(function (p, i) {
        var svg = views[p.view];
        if (!svg) return;
        var layer = svg.querySelector(".facemap-points");
        var c = document.createElementNS(SVG, "circle");
        c.setAttribute("class", "facemap-point");
        c.setAttribute("cx", (p.x * width).toFixed(2));
        c.setAttribute("cy", (p.y * height).toFixed(2));
        c.setAttribute("r", "5");
        var t = document.createElementNS(SVG, "text");
        t.setAttribute("class", "facemap-num");
        t.setAttribute("x", (p.x * width + 6).toFixed(2));
        t.setAttribute("y", (p.y * height - 5).toFixed(2));
        t.textContent = String(i + 1);
        layer.appendChild(c);
        layer.appendChild(t);
      });
    }

    function rows() {
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      points.forEach(function (p, i) {
        var tr = el("tr");
        tr.appendChild(el("td", {}, String(i + 1)));
        tr.appendChild(el("td", {}, root.dataset["label" + (p.view === "profile" ? "Profile" : "Front")]));
        var amount = el("input", {
          type: "number", step: "0.01", min: "0.01", class: "w-xs",
          "aria-label": root.dataset.labelAmount + " " + (i + 1)
        });
        amount.value = p.amount || "";
        amount.addEventListener("input", function () { p.amount = amount.value; save(); });
        var unit = el("select", { "aria-label": root.dataset.labelUnit + " " + (i + 1) });
        units.forEach(function (u) {
          var o = el("option", { value: u[0] }, u[1]);
          if (u[0] === p.unit) o.selected = true;
          unit.appendChild(o);
        });
        unit.addEventListener("change", function () { p.unit = unit.value; save(); });
        var label = el("input", {
          type: "text", maxlength: "60", class: "w-sm",
          "aria-label": root.dataset.labelLabel + " " + (i + 1)
        });
        label.value = p.label || "";
        label.addEventListener("input", function () { p.label = label.value; save(); });
        var remove = el("button", { type: "button", class: "btn small secondary" }, root.dataset.labelRemove);
        remove.addEventListener("click", function () {
          points.splice(i, 1);
          refresh();
        });
        [amount, unit, label, remove].forEach(function (node) {
          var td = el("td");
          td.appendChild(node);
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      root.querySelector("[data-facemap-empty]").hidden = points.length > 0;
    }

    function refresh() { save(); draw(); rows(); }

    Object.keys(views).forEach(function (v) {
      var svg = views[v];
      svg.classList.add("facemap-clickable");
      svg.addEventListener("click", function (event) {
        var pt = svg.createSVGPoint();
        pt.x = event.clientX;
        pt.y = event.clientY;
        var local = pt.matrixTransform(svg.getScreenCTM().inverse());
        var x = Math.min(1, Math.max(0, local.x / width));
        var y = Math.min(1, Math.max(0, local.y / height));
        var last = points.length ? points[points.length - 1].unit : units[0][0];
        points.push({ view: v, x: Number(x.toFixed(4)), y: Number(y.toFixed(4)), amount: "", unit: last, label: "" });
        refresh();
        var inputs = tbody.querySelectorAll("input[type=number]");
        if (inputs.length) inputs[inputs.length - 1].focus();
      });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-facemap][data-editable]").forEach(init);
  });
})();
