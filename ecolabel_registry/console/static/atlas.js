// The recognition atlas: draws the three charts with Apache ECharts from the figures the page embeds
// (#atlas-data, the same figures as the tables under each chart) and offers each as SVG and PNG.
// No inline script (the console's Content-Security-Policy): this file and the vendored library only.
(function () {
  "use strict";
  var holder = document.getElementById("atlas-data");
  if (!holder || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(holder.textContent);
  var labels = data.labels;
  var palette = ["#1b6b4a", "#2f5d9e", "#b5542a", "#6b4c9a", "#8a6d1a", "#1d7c8c", "#a23b72", "#4d6b2f", "#5c5c5c", "#c0392b"];

  function seriesOption() {
    var programmes = Object.keys(data.series.counts).sort();
    return {
      animation: false,
      color: palette,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 40, containLabel: true },
      xAxis: { type: "category", name: labels.month, data: data.series.months, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", name: labels.active, minInterval: 1, nameTextStyle: { align: "left" } },
      series: programmes.map(function (programme) {
        return { name: programme, type: "line", showSymbol: false, data: data.series.counts[programme] };
      }),
    };
  }

  function matrixOption() {
    var programmes = data.matrix.programmes;
    var highest = data.matrix.cells.reduce(function (top, cell) { return Math.max(top, cell[2]); }, 1);
    return {
      animation: false,
      tooltip: { position: "top" },
      grid: { left: 8, right: 16, top: 32, bottom: 96, containLabel: true },
      xAxis: {
        type: "category", name: labels.to, nameLocation: "middle", nameGap: 48, data: programmes,
        axisLabel: { rotate: 45, interval: 0 },
      },
      // Rows top to bottom in the table's order, so the picture reads like the table under it.
      yAxis: {
        type: "category", name: labels.from, data: programmes, inverse: true, axisLabel: { interval: 0 },
        nameTextStyle: { align: "left" },
      },
      visualMap: {
        min: 0, max: highest, calculable: false, orient: "horizontal", left: "center", bottom: 0,
        inRange: { color: ["#f3f6f4", "#1b6b4a"] },
      },
      series: [{ name: labels.categories, type: "heatmap", data: data.matrix.cells, label: { show: true } }],
    };
  }

  function networkOption() {
    return {
      animation: false,
      color: palette,
      tooltip: {},
      series: [{
        type: "graph",
        layout: "circular",
        circular: { rotateLabel: false },
        roam: false,
        symbolSize: 42,
        label: { show: true, position: "bottom", fontSize: 11 },
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 9,
        lineStyle: { color: "#2f5d9e", opacity: 0.8, curveness: 0.15 },
        data: data.network.nodes.map(function (name) { return { name: name }; }),
        links: data.network.edges.map(function (edge) {
          return {
            source: edge.source, target: edge.target, value: edge.value,
            // Both directions of a mutual recognition stay visible: each bends to its own side.
            lineStyle: { width: 1 + Math.min(edge.value, 6), curveness: 0.2 },
          };
        }),
      }],
    };
  }

  var options = { series: seriesOption(), matrix: matrixOption(), network: networkOption() };
  var charts = {};
  Object.keys(options).forEach(function (name) {
    var element = document.getElementById("chart-" + name);
    if (!element) {
      return;
    }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(options[name]);
    charts[name] = chart;
    element.setAttribute("data-rendered", "true");
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (name) { charts[name].resize(); });
  });

  function save(href, filename) {
    var link = document.createElement("a");
    link.href = href;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function download(name, kind) {
    var chart = charts[name];
    var filename = "atlas-" + name + "." + kind;
    if (kind === "png") {
      save(chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" }), filename);
      return;
    }
    // The SVG is drawn again by ECharts' SVG renderer in server-side mode, at the chart's size.
    var drawing = echarts.init(null, null, { renderer: "svg", ssr: true, width: chart.getWidth(), height: chart.getHeight() });
    drawing.setOption(options[name]);
    var svg = drawing.renderToSVGString();
    drawing.dispose();
    var url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
    save(url, filename);
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  document.querySelectorAll("button[data-download]").forEach(function (button) {
    button.addEventListener("click", function () {
      download(button.getAttribute("data-chart"), button.getAttribute("data-download"));
    });
  });
})();
