// 统计分析: draws the two charts from the page's own figures (the json_script "dashboard-data", the same
// numbers as the tables beside them). Labels come from data attributes so they follow the page's language.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.animation = reduced ? false : Chart.defaults.animation;
  Chart.defaults.maintainAspectRatio = false;

  var uptake = document.getElementById("uptake-chart");
  if (uptake) {
    new Chart(uptake, {
      type: "bar",
      data: {
        labels: data.counties,
        datasets: [
          { label: uptake.dataset.labelTakeUp, data: data.take_up, backgroundColor: "#0b5cab" },
          { label: uptake.dataset.labelConfirm, data: data.confirm_rate, backgroundColor: "#7fb3e6" }
        ]
      },
      options: { scales: { y: { beginAtZero: true, max: 100 } } }
    });
  }

  var daily = document.getElementById("daily-chart");
  if (daily) {
    var deadline = data.days.map(function (day) { return day === data.deadline ? Math.max.apply(null, data.cumulative.concat([1])) : null; });
    new Chart(daily, {
      data: {
        labels: data.days,
        datasets: [
          { type: "bar", label: daily.dataset.labelDaily, data: data.confirmed, backgroundColor: "#7fb3e6", yAxisID: "y" },
          { type: "line", label: daily.dataset.labelCumulative, data: data.cumulative, borderColor: "#0b5cab",
            pointRadius: 0, yAxisID: "y" },
          { type: "bar", label: daily.dataset.labelDeadline, data: deadline, backgroundColor: "#c0392b",
            barPercentage: 0.3, yAxisID: "y" }
        ]
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
