/* Draws the report charts: each <canvas data-chart="ID" data-type="bar|doughnut"> reads
   its data from the <script type="application/json" id="ID"> that json_script wrote
   ({labels, values, currency}; amounts arrive as decimal strings). No inline script. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  var palette = ["#2f6fde", "#16a34a", "#f59e0b", "#db2777", "#7c3aed", "#0891b2", "#64748b", "#dc2626"];
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var type = canvas.dataset.type || "bar";
    var lang = document.documentElement.lang || undefined;
    var money = new Intl.NumberFormat(lang, { minimumFractionDigits: 0, maximumFractionDigits: 2 });
    new window.Chart(canvas, {
      type: type,
      data: {
        labels: data.labels,
        datasets: [{
          label: data.currency,
          data: data.values.map(Number),
          backgroundColor: type === "doughnut" ? palette : palette[0],
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: type === "doughnut", position: "right" },
          tooltip: { callbacks: { label: function (ctx) {
            var v = type === "doughnut" ? ctx.parsed : ctx.parsed.y;
            return data.currency + " " + money.format(v);
          } } },
        },
        scales: type === "doughnut" ? {} : { y: { beginAtZero: true } },
      },
    });
  }
  // Canvas text uses the page's own faces (the vendored Noto Sans SC for Chinese labels;
  // the browser's default canvas font has no CJK glyphs), once those fonts are loaded.
  window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  function drawAll() { document.querySelectorAll("canvas[data-chart]").forEach(draw); }
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(drawAll);
  else drawAll();
})();
