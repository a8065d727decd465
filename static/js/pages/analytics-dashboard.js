/**
 * The curators' visit analytics charts (templates/admin/analytics/dashboard.html): Chart.js
 * (vendor/chartjs, a classic script that sets window.Chart) draws the figures of the page's
 * json_script. Suppressed values arrive as null and are not drawn; the tables under each chart
 * hold the same figures, with "< k" where they are suppressed.
 */

const data = JSON.parse(document.getElementById('analytics-data').textContent);
const { Chart } = window;
const s = data.strings;
const BLUE = '#417690';
const GOLD = '#c9a227';
const TEAL = '#2a9d8f';
const charts = {};

function draw(id, config) {
  const canvas = document.getElementById(id);
  if (!canvas || !Chart) return;
  charts[id] = new Chart(canvas, {
    ...config,
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      ...config.options,
    },
  });
}

draw('chart-days', {
  type: 'line',
  data: {
    labels: data.days.labels,
    datasets: [
      { label: s.visits, data: data.days.visits, borderColor: BLUE, backgroundColor: BLUE, spanGaps: false },
      { label: s.views, data: data.days.views, borderColor: GOLD, backgroundColor: GOLD, spanGaps: false },
    ],
  },
  options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
});

draw('chart-room-visits', {
  type: 'bar',
  data: { labels: data.rooms.labels, datasets: [{ label: s.visits, data: data.rooms.visits, backgroundColor: BLUE }] },
  options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
});

draw('chart-room-dwell', {
  type: 'bar',
  data: {
    labels: data.rooms.labels,
    datasets: [
      { label: s.median, data: data.rooms.median, backgroundColor: TEAL },
      { label: s.average, data: data.rooms.average, backgroundColor: GOLD },
    ],
  },
  options: { scales: { y: { beginAtZero: true } } },
});

draw('chart-objects', {
  type: 'bar',
  data: {
    labels: data.objects.labels,
    datasets: [
      { label: s.views, data: data.objects.views, backgroundColor: BLUE, xAxisID: 'x' },
      { label: s.median, data: data.objects.median, backgroundColor: TEAL, xAxisID: 'x2' },
    ],
  },
  options: {
    indexAxis: 'y',
    scales: {
      x: { beginAtZero: true, position: 'bottom', ticks: { precision: 0 } },
      x2: { beginAtZero: true, position: 'top', grid: { drawOnChartArea: false } },
    },
  },
});

draw('chart-paths', {
  type: 'bar',
  data: { labels: data.paths.labels, datasets: [{ label: s.paths, data: data.paths.counts, backgroundColor: TEAL }] },
  options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
});

draw('chart-tours', {
  type: 'bar',
  data: {
    labels: data.tours.labels,
    datasets: [
      { label: s.followers, data: data.tours.followers, backgroundColor: BLUE },
      { label: s.lastStop, data: data.tours.last_stop, backgroundColor: GOLD },
    ],
  },
  options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
});

// A doughnut has no gaps: suppressed slices are left out, legend included (the table keeps them).
const shownDevices = data.devices.counts.map((count, i) => [data.devices.labels[i], count])
  .filter(([, count]) => count !== null);
draw('chart-devices', {
  type: 'doughnut',
  data: {
    labels: shownDevices.map(([label]) => label),
    datasets: [{
      label: s.devices,
      data: shownDevices.map(([, count]) => count),
      backgroundColor: [BLUE, GOLD, TEAL, '#7b5ea7', '#e76f51', '#264653', '#8ab17d', '#b5838d'],
    }],
  },
});

// For the browser test and anyone poking at the page: which charts exist.
document.querySelector('[data-analytics]')?.setAttribute('data-charts', Object.keys(charts).join(' '));
