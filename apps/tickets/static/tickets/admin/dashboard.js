// The dashboard's chart: a bar opens the ticket list filtered to the tickets it counts. unfold draws the chart
// on "load" (its listener is registered first); this one then adds the click handler. The links come from a
// <script type="application/json"> element: no inline script, so the Content-Security-Policy holds.
window.addEventListener("load", function () {
  const canvas = document.querySelector("#tickets-per-day canvas");
  const source = document.getElementById("tickets-per-day-links");
  const chart = canvas && source && window.Chart ? window.Chart.getChart(canvas) : null;
  if (!chart) {
    return;
  }
  const links = JSON.parse(source.textContent);
  chart.options.onClick = function (event, elements) {
    if (elements.length) {
      window.location.href = links[elements[0].datasetIndex][elements[0].index];
    }
  };
  chart.options.onHover = function (event, elements) {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  };
  chart.update();
});
