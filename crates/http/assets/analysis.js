// 分析评估 charts (console/analysis.html): a monthly trend and the breakdown of the indicator
// chosen, drawn with the bundled ECharts from the JSON the page carries (no inline script: CSP).
(function () {
  function start() {
    var el = document.getElementById('analysis-data');
    if (!el || typeof echarts === 'undefined') return;
    var data = JSON.parse(el.textContent || '{}');
    if (!data.series || !data.series.length) return;
    var trend = echarts.init(document.getElementById('chart-trend'));
    var parts = echarts.init(document.getElementById('chart-breakdown'));
    var pick = document.getElementById('chart-indicator');
    function scale(s, xs) {
      return xs.map(function (v) { return v === null ? null : (s.rate ? Math.round(v * 1000) / 10 : v); });
    }
    function draw() {
      var s = data.series.find(function (x) { return x.code === pick.value; }) || data.series[0];
      var unit = s.rate ? '%' : '';
      trend.setOption({
        title: { text: s.name + '（月度趋势）', textStyle: { fontSize: 14 } },
        tooltip: { trigger: 'axis', valueFormatter: function (v) { return v === null ? '—' : v + unit; } },
        xAxis: { type: 'category', data: data.months },
        yAxis: { type: 'value', axisLabel: { formatter: '{value}' + unit } },
        series: [{ type: 'line', name: s.name, data: scale(s, s.trend), connectNulls: false }]
      }, true);
      parts.setOption({
        title: { text: s.name + '（分组对比）', textStyle: { fontSize: 14 } },
        tooltip: { trigger: 'axis', valueFormatter: function (v) { return v === null ? '—' : v + unit; } },
        grid: { bottom: 90 },
        xAxis: { type: 'category', data: data.keys, axisLabel: { rotate: 30, interval: 0 } },
        yAxis: { type: 'value', axisLabel: { formatter: '{value}' + unit } },
        series: [{ type: 'bar', name: s.name, data: scale(s, s.breakdown) }]
      }, true);
    }
    pick.addEventListener('change', draw);
    window.addEventListener('resize', function () { trend.resize(); parts.resize(); });
    draw();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
