// 数据大屏: draws the gauges, the trend, the department scores and the grid map with ECharts (vendored), from
// /dashboard/data.json, and polls it so the figures follow without a reload. The server-rendered numbers stay readable
// without JavaScript; this only updates them.
(function () {
  "use strict";
  var kpis = document.getElementById("kpis");
  if (!kpis || typeof echarts === "undefined") { return; }
  var query = kpis.getAttribute("data-query") || "";
  var every = Math.max(5, parseInt(kpis.getAttribute("data-poll"), 10) || 30) * 1000;
  var charts = {};
  var mapRegistered = "";

  function chart(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    if (!charts[id]) { charts[id] = echarts.init(el, null, { renderer: "canvas" }); }
    return charts[id];
  }
  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function val(v) { return v === null || v === undefined ? 0 : Math.round(v * 1000) / 10; }

  function gauges(rates) {
    var c = chart("chart-gauges");
    if (!c) { return; }
    var items = [["响应率", rates.response_rate], ["解决率", rates.resolution_rate], ["满意率", rates.satisfaction_rate]];
    var box = document.getElementById("chart-gauges");  // three side by side: each as wide as a third allows
    var radius = Math.max(30, Math.min(box.clientWidth / 6.6, box.clientHeight / 2.4));
    c.setOption({
      series: items.map(function (item, i) {
        return {
          type: "gauge", center: [(16.7 + 33.3 * i) + "%", "58%"], radius: radius, min: 0, max: 100,
          progress: { show: true, width: 10 }, axisLine: { lineStyle: { width: 10 } }, splitLine: { show: false },
          axisTick: { show: false }, axisLabel: { show: false }, pointer: { show: false },
          title: { offsetCenter: [0, "70%"], fontSize: 13 },
          detail: { valueAnimation: true, fontSize: 18, offsetCenter: [0, "5%"],
                    formatter: function () { return pct(item[1]); } },
          data: [{ value: val(item[1]), name: item[0] }]
        };
      })
    });
  }

  function trend(points) {
    var c = chart("chart-trend");
    if (!c) { return; }
    var labels = points.map(function (p) { return p.label; });
    var line = function (name, key) {
      return { name: name, type: "line", yAxisIndex: 1, smooth: true, connectNulls: false,
               data: points.map(function (p) { return p[key] === null ? null : val(p[key]); }) };
    };
    c.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 40, top: 36, bottom: 28 },
      xAxis: { type: "category", data: labels },
      yAxis: [{ type: "value", name: "受理", minInterval: 1 }, { type: "value", name: "%", max: 100 }],
      series: [{ name: "受理", type: "bar", data: points.map(function (p) { return p.filed; }) },
               line("响应率", "response_rate"), line("解决率", "resolution_rate"), line("满意率", "satisfaction_rate")]
    });
  }

  function departments(rows) {
    var c = chart("chart-department");
    if (!c) { return; }
    var shown = rows.slice(0, 12).reverse();
    c.setOption({
      tooltip: { trigger: "axis" }, grid: { left: 120, right: 30, top: 10, bottom: 24 },
      xAxis: { type: "value", max: 100, name: "综合得分" },
      yAxis: { type: "category", data: shown.map(function (r) { return r.name; }) },
      series: [{ type: "bar", data: shown.map(function (r) { return r.rates.score === null ? 0 : r.rates.score; }),
                 label: { show: true, position: "right", formatter: function (p) {
                   var s = shown[p.dataIndex].rates.score; return s === null ? "—" : s; } } }]
    });
  }

  function gridMap(geo, grids) {
    var c = chart("chart-map");
    if (!c || !geo || !geo.features || !geo.features.length) { return; }
    var key = JSON.stringify(geo.features.map(function (f) { return f.properties.grid_id; }));
    if (mapRegistered !== key) { echarts.registerMap("whistle-grids", geo); mapRegistered = key; }
    var open = {};
    grids.forEach(function (g) { open[g.grid_id] = g.open; });
    var names = {};
    geo.features.forEach(function (f) { names[f.properties.grid_id] = f.properties.name || f.properties.grid_id; });
    var data = geo.features.map(function (f) { var id = f.properties.grid_id; return { name: id, value: open[id] || 0 }; });
    var top = Math.max(1, Math.max.apply(null, data.map(function (d) { return d.value; })));
    c.setOption({
      tooltip: { formatter: function (p) { return (names[p.name] || p.name) + "：未办结 " + (p.value || 0) + " 件"; } },
      visualMap: { min: 0, max: top, left: 8, bottom: 8, text: ["多", "少"], calculable: false,
                   inRange: { color: ["#e8f5e9", "#ffd54f", "#e53935"] } },
      series: [{ type: "map", map: "whistle-grids", nameProperty: "grid_id", roam: true, data: data,
                 label: { show: false }, emphasis: { label: { show: true, formatter: function (p) { return names[p.name] || p.name; } } } }]
    });
    document.getElementById("chart-map").setAttribute("data-grids", String(data.length));
  }

  function numbers(summary) {
    var r = summary.rates;
    var values = { filed: summary.filed, score: r.score === null ? "—" : r.score, unrated: r.unrated, unreachable: r.unreachable };
    ["response_rate", "resolution_rate", "satisfaction_rate", "closure_rate"].forEach(function (k) { values[k] = pct(r[k]); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-kpi]"), function (el) {
      var k = el.getAttribute("data-kpi");
      if (Object.prototype.hasOwnProperty.call(values, k)) { el.textContent = String(values[k]); }
    });
  }

  function ticker(rows) {
    var box = document.getElementById("overdue-ticker");
    if (!box || !rows) { return; }
    var track = box.querySelector(".ticker-track");
    var label = box.querySelector(".ticker-label");
    track.textContent = "";
    rows.forEach(function (t) {  // textContent only: titles are user text
      var a = document.createElement("a");
      a.className = "ticker-item";
      a.href = "/staff/tickets/" + encodeURIComponent(t.id);
      a.textContent = t.id + " " + t.title + " · " + (t.community || t.community_id) + (t.department ? " · " + t.department : "") +
        " · 时限 " + (t.due || "");
      track.appendChild(a);
    });
    if (!rows.length) {
      var quiet = document.createElement("span");
      quiet.className = "ticker-item quiet";
      quiet.textContent = "当前没有超期未办结的诉求";
      track.appendChild(quiet);
    }
    box.setAttribute("data-count", String(rows.length));
    track.style.animationDuration = Math.max(20, rows.length * 6) + "s";
    label.textContent = "超期 " + rows.length + " 件";
  }

  function refresh() {
    fetch("/dashboard/data.json?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (d) {
        numbers(d.summary); gauges(d.summary.rates); trend(d.trend); departments(d.department); gridMap(d.geo, d.grids); ticker(d.overdue);
        document.body.setAttribute("data-dashboard-updated", String(Date.now()));
      })
      .catch(function () { document.body.setAttribute("data-dashboard-stale", "1"); });
  }

  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  refresh();
  setInterval(function () { if (!document.hidden) { refresh(); } }, every);
})();
