// The dashboard page: fetch each panel's JSON on its own, render it, repeat.
// A panel whose endpoint answers {"error": ...} shows that error and dims its last
// figures; the others carry on. Numbers a test compares carry data-value (raw).
"use strict";

const params = new URLSearchParams(location.search);
// ?at=<ISO time or epoch ms> pins the page to a moment (a replayed day); else live.
const pinned = parseAt(params.get("at"));
const rangeSelect = document.getElementById("range");
if (["5", "15", "60"].includes(params.get("range"))) rangeSelect.value = params.get("range");

const charts = {};
const sessionSort = { key: "session_end", dir: -1 };
let sessionRows = [];
let refreshMs = 5000;
let timer = null;

function parseAt(text) {
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text);
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

const fmt = new Intl.NumberFormat("en-US");
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (x) => (x === null || x === undefined ? "–" : (x * 100).toFixed(1) + " %");
const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);
const stamp = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

function age(s) {
  if (s === null || s === undefined) return "–";
  if (s < 0) return "in the future";
  if (s < 90) return s.toFixed(0) + " s ago";
  if (s < 5400) return (s / 60).toFixed(0) + " min ago";
  return (s / 3600).toFixed(1) + " h ago";
}

function duration(s) {
  if (s === null || s === undefined) return "–";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  return node;
}

function setValue(testid, value, text, attrs) {
  const node = document.querySelector(`[data-testid="${testid}"]`);
  if (!node) return;
  node.textContent = text === undefined ? (value === null ? "–" : fmt.format(value)) : text;
  node.dataset.value = value === null || value === undefined ? "" : String(value);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
}

function chart(id) {
  if (!charts[id]) {
    charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
  }
  return charts[id];
}

// One panel: show the error or clear it, and dim stale figures.
function panelState(name, error) {
  const box = document.querySelector(`[data-panel="${name}"]`);
  const err = box.querySelector(".error");
  const body = box.querySelector(".body");
  if (error) {
    err.textContent = error;
    err.hidden = false;
    if (body) body.classList.add("stale");
  } else {
    err.hidden = true;
    err.textContent = "";
    if (body) body.classList.remove("stale");
  }
}

async function getJson(path, query) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
  const ctrl = new AbortController();
  const t = setTimeout(() => ctrl.abort(), Math.max(10000, refreshMs * 2));
  try {
    const resp = await fetch(url, { signal: ctrl.signal, cache: "no-store" });
    let body = null;
    try { body = await resp.json(); } catch (_) { body = null; }
    if (body && body.error) return { error: body.error };
    if (!resp.ok || body === null) return { error: `dashboard: ${path} answered HTTP ${resp.status}` };
    return { data: body };
  } catch (e) {
    return { error: `dashboard: no answer from the dashboard server (${e.name})` };
  } finally {
    clearTimeout(t);
  }
}

// ---- analytics panels ----------------------------------------------------

function renderTraffic(d) {
  const closed = d.points.filter((p) => p.state === "closed");
  const partial = d.points.filter((p) => p.state !== "closed");
  const lastClosed = closed[closed.length - 1];
  const open = d.points.find((p) => p.state === "open");
  setValue("active-users-last-closed", lastClosed ? lastClosed.active_users : null, undefined,
    { "data-window-start": lastClosed ? lastClosed.window_start : "" });
  setValue("active-users-last-closed-time", null, lastClosed ? hhmm(lastClosed.window_start) : "–");
  setValue("active-users-open", open ? open.active_users : null, undefined,
    { "data-window-start": d.open_minute_start });
  setValue("active-users-open-time", null, hhmm(d.open_minute_start));

  const tbody = document.querySelector("#traffic table.minutes tbody");
  tbody.replaceChildren(...d.points.slice(-6).reverse().map((p) => {
    const tr = el("tr", null, { class: p.state });
    tr.append(el("td", hhmm(p.window_start)));
    tr.append(el("td", fmt.format(p.active_users), {
      class: "num", "data-testid": `active-users-${p.window_start}`,
      "data-value": p.active_users, "data-state": p.state,
    }));
    tr.append(el("td", p.state === "closed" ? "closed" : p.state === "open" ? "open (partial)" : "partial, awaiting Flink"));
    return tr;
  }));

  // The partial segment starts at the last closed point, so the line is continuous.
  const solid = closed.map((p) => [p.window_start, p.active_users]);
  const dashed = partial.map((p) => [p.window_start, p.active_users]);
  if (dashed.length && solid.length) dashed.unshift(solid[solid.length - 1]);
  chart("traffic-chart").setOption({
    useUTC: true,
    animation: false,
    grid: { left: 48, right: 16, top: 28, bottom: 28 },
    legend: { top: 0, data: ["closed", "partial"] },
    tooltip: { trigger: "axis" },
    xAxis: { type: "time", min: d.since_ms, max: d.until_ms, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min: 0 },
    series: [
      { name: "closed", type: "line", data: solid, showSymbol: false, itemStyle: { color: "#2f6fde" } },
      { name: "partial", type: "line", data: dashed, symbolSize: 6,
        lineStyle: { type: "dashed", width: 2 }, itemStyle: { color: "#e8871e" },
        label: { show: true, formatter: (x) => (x.dataIndex === dashed.length - 1 ? "partial" : ""), position: "top" } },
    ],
  }, true);
}

function renderFunnel(d) {
  const tbody = document.querySelector("#funnel table tbody");
  const names = { page_view: "page views", product_view: "product views", add_to_cart: "add to cart", purchase: "purchases" };
  tbody.replaceChildren(...d.steps.map((s) => {
    const tr = el("tr");
    tr.append(el("td", names[s.event_type] || s.event_type));
    tr.append(el("td", fmt.format(s.events), { class: "num", "data-testid": `funnel-${s.event_type}`, "data-value": s.events }));
    tr.append(el("td", pct(s.conversion), { class: "num", "data-testid": `funnel-conversion-${s.event_type}`, "data-value": s.conversion ?? "" }));
    return tr;
  }));
  setValue("funnel-overall", d.overall_conversion, pct(d.overall_conversion));
  chart("funnel-chart").setOption({
    animation: false,
    grid: { left: 100, right: 16, top: 8, bottom: 24 },
    tooltip: {},
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: d.steps.map((s) => names[s.event_type]) },
    series: [{ type: "bar", data: d.steps.map((s) => s.events), itemStyle: { color: "#2f6fde" } }],
  }, true);
}

function renderRevenue(d) {
  setValue("revenue-total", d.revenue, money.format(d.revenue));
  setValue("purchases-total", d.purchases);
  chart("revenue-chart").setOption({
    useUTC: true,
    animation: false,
    grid: { left: 56, right: 56, top: 28, bottom: 28 },
    legend: { top: 0, data: ["purchases", "revenue"] },
    tooltip: { trigger: "axis" },
    xAxis: { type: "time", min: d.since_ms, max: d.until_ms, axisLabel: { hideOverlap: true } },
    yAxis: [{ type: "value", name: "purchases", min: 0 }, { type: "value", name: "revenue", min: 0 }],
    series: [
      { name: "purchases", type: "bar", data: d.points.map((p) => ({
        value: [p.minute, p.purchases], itemStyle: { color: p.open ? "#e8871e" : "#9db8ea" } })) },
      { name: "revenue", type: "line", yAxisIndex: 1, showSymbol: false, itemStyle: { color: "#1a7f37" },
        data: d.points.map((p) => [p.minute, p.revenue]) },
    ],
  }, true);
}

function renderProducts(d) {
  const tbody = document.querySelector("#products table tbody");
  tbody.replaceChildren(...d.top.map((p) => {
    const tr = el("tr");
    tr.append(el("td", p.product_name, { class: "wrap", title: p.product_id }));
    tr.append(el("td", p.product_category));
    tr.append(el("td", fmt.format(p.views), { class: "num", "data-testid": `product-views-${p.product_id}`, "data-value": p.views }));
    tr.append(el("td", p.avg_price === null ? "–" : money.format(p.avg_price), { class: "num" }));
    return tr;
  }));
  chart("category-chart").setOption({
    animation: false,
    grid: { left: 110, right: 16, top: 8, bottom: 24 },
    tooltip: {},
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: d.categories.map((c) => c.product_category) },
    series: [{ type: "bar", data: d.categories.map((c) => c.views), itemStyle: { color: "#7a5af8" } }],
  }, true);
}

function renderSessions(d) {
  sessionRows = d.sessions;
  drawSessions();
}

function drawSessions() {
  const { key, dir } = sessionSort;
  const rows = [...sessionRows].sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : 0));
  const tbody = document.querySelector("#sessions tbody");
  tbody.replaceChildren(...rows.map((s) => {
    const tr = el("tr", null, { "data-testid": "session-row" });
    tr.append(el("td", stamp(s.session_end)));
    tr.append(el("td", s.session_id.slice(0, 8), { title: `${s.session_id} (user ${s.user_id})` }));
    for (const c of ["event_count", "products_viewed", "products_added_to_cart", "purchases_made"]) {
      tr.append(el("td", fmt.format(s[c]), { class: "num", "data-value": s[c] }));
    }
    return tr;
  }));
  for (const th of document.querySelectorAll("#sessions th")) {
    th.setAttribute("aria-sort", th.dataset.key === key ? (dir > 0 ? "ascending" : "descending") : "none");
  }
}

for (const th of document.querySelectorAll("#sessions th")) {
  th.addEventListener("click", () => {
    sessionSort.dir = sessionSort.key === th.dataset.key ? -sessionSort.dir : -1;
    sessionSort.key = th.dataset.key;
    drawSessions();
  });
}

// ---- pipeline panel --------------------------------------------------------

function facts(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([k, v, attrs]) => [el("dt", k), el("dd", v, attrs)]));
}

function renderKafka(d) {
  document.querySelector('#kafka [data-role="group"]').textContent = d.consumer_group;
  const tbody = document.querySelector("#kafka tbody");
  tbody.replaceChildren(...d.topics.map((t) => {
    const tr = el("tr");
    tr.append(el("td", t.name, { title: t.partitions.map((p) => `p${p.partition}: ${p.end_offset}${p.lag === null ? "" : " (lag " + p.lag + ")"}`).join("\n") }));
    tr.append(el("td", t.partitions.length, { class: "num" }));
    tr.append(el("td", fmt.format(t.end_offset), { class: "num", "data-testid": `kafka-end-${t.name}`, "data-value": t.end_offset }));
    tr.append(el("td", t.rate_per_s === null ? "…" : fmt.format(Math.round(t.rate_per_s)), { class: "num" }));
    tr.append(el("td", t.flink_lag === null ? "" : fmt.format(t.flink_lag), { class: "num" }));
    return tr;
  }));
}

function renderFlink(d) {
  const c = d.counts;
  const pairs = [
    ["state", d.state || "no pipeline job", { class: `state-${d.state}`, "data-testid": "flink-state" }],
  ];
  // Said in words while the job restores or Flink restarts (rta.health).
  if (d.recovery) pairs.push(["recovering", d.recovery, { "data-testid": "flink-recovery" }]);
  pairs.push(
    ["uptime", duration(d.uptime_s)],
    ["last checkpoint", age(d.last_checkpoint_age_s)],
    ["records/s", d.records_per_s === null ? "–" : fmt.format(Math.round(d.records_per_s))],
  );
  if (c) {
    pairs.push(["read", fmt.format(c.read)], ["passed on", fmt.format(c.passed_on)],
      ["late", fmt.format(c.late), { "data-testid": "flink-late", "data-value": c.late }],
      ["duplicates", fmt.format(c.duplicates)],
      ["skipped (invalid)", fmt.format(c.rejected_total), { "data-testid": "flink-rejected", "data-value": c.rejected_total }]);
    for (const [reason, n] of Object.entries(c.rejected).slice(0, 8)) pairs.push(["  " + reason, fmt.format(n)]);
  } else {
    pairs.push(["totals", "not readable yet"]);
  }
  // Restarts by the watch of `rta up` or its watchdog, of any component.
  for (const [name, r] of Object.entries(d.restarts || {})) {
    const at = new Date(r.at * 1000).toLocaleTimeString();
    pairs.push([`${name} restarts`, `${r.count}, last: ${r.last_reason} at ${at}`, { "data-testid": `restarts-${name}` }]);
  }
  facts(document.querySelector("#flink dl"), pairs);
}

function renderTables(d) {
  const tbody = document.querySelector("#tables tbody");
  tbody.replaceChildren(...d.tables.map((t) => {
    const tr = el("tr");
    tr.append(el("td", t.table));
    if (t.error) {
      tr.append(el("td", t.error, { colspan: 2, class: "wrap error" }));
    } else {
      tr.append(el("td", fmt.format(t.rows), { class: "num", "data-testid": `rows-${t.table}`, "data-value": t.rows }));
      tr.append(el("td", age(t.newest_age_s), { class: "num" }));
    }
    return tr;
  }));
}

function renderCollector(d) {
  const pairs = [
    ["accepted", fmt.format(d.accepted), { "data-testid": "collector-accepted", "data-value": d.accepted }],
    ["accepted/s", d.rate_per_s === null ? "…" : fmt.format(Math.round(d.rate_per_s))],
    ["rejected", fmt.format(d.rejected_total), { "data-testid": "collector-rejected", "data-value": d.rejected_total }],
  ];
  for (const [reason, n] of Object.entries(d.rejected).slice(0, 6)) pairs.push(["  " + reason, fmt.format(n)]);
  for (const [status, n] of Object.entries(d.refused)) pairs.push([`refused (HTTP ${status})`, fmt.format(n)]);
  facts(document.querySelector("#collector dl"), pairs);
}

// ---- refresh loop -------------------------------------------------------------

const PANELS = [
  ["traffic", "/api/traffic", renderTraffic, () => ({ minutes: 60 })],
  ["funnel", "/api/funnel", renderFunnel, () => ({ minutes: rangeSelect.value })],
  ["revenue", "/api/revenue", renderRevenue, () => ({ minutes: 60 })],
  ["products", "/api/products", renderProducts, () => ({ minutes: rangeSelect.value })],
  ["sessions", "/api/sessions", renderSessions, () => ({ minutes: 60 })],
  ["kafka", "/api/kafka", renderKafka, null],
  ["flink", "/api/flink", renderFlink, null],
  ["tables", "/api/tables", renderTables, null],
  ["collector", "/api/collector", renderCollector, null],
];
// Components whose absence the banner names, by the prefix of their errors.
const COMPONENTS = ["pinot", "kafka", "flink", "collector", "dashboard"];

async function refresh() {
  clearTimeout(timer);
  const until = pinned ?? Date.now();
  const down = new Set();
  await Promise.all(PANELS.map(async ([name, path, render, query]) => {
    const q = query ? { ...query(), ...(pinned !== null ? { until: String(until) } : {}) } : {};
    const { data, error } = await getJson(path, q);
    if (error) {
      panelState(name, error);
      const who = COMPONENTS.find((c) => error.startsWith(c + ":"));
      if (who && who !== "collector") down.add(who);  // the collector is optional
      return;
    }
    try {
      render(data);
      panelState(name, null);
    } catch (e) {
      panelState(name, `dashboard: cannot show this panel (${e.message})`);
    }
  }));
  const banner = document.getElementById("down");
  banner.hidden = down.size === 0;
  banner.textContent = down.size ? `Not answering: ${[...down].join(", ")} (see the panels below)` : "";
  banner.dataset.components = [...down].join(",");
  const updated = document.getElementById("updated");
  updated.textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
  updated.dataset.count = String(Number(updated.dataset.count || 0) + 1);
  timer = setTimeout(refresh, refreshMs);
}

async function start() {
  document.getElementById("clock").textContent = pinned !== null
    ? `pinned at ${stamp(pinned)} UTC` : "live";
  const labels = () => document.querySelectorAll('[data-role="range-label"]').forEach((n) => {
    n.textContent = `last ${rangeSelect.value} min`;
  });
  labels();
  rangeSelect.addEventListener("change", () => {
    params.set("range", rangeSelect.value);
    history.replaceState(null, "", `?${params}`);
    labels();
    refresh();
  });
  const { data } = await getJson("/api/config");
  if (data) {
    refreshMs = data.refresh_s * 1000;
    const links = document.getElementById("links");
    links.replaceChildren(
      el("a", "Flink dashboard", { href: data.links.flink, target: "_blank", rel: "noopener" }),
      document.createTextNode(" · "),
      el("a", "Pinot console", { href: data.links.pinot, target: "_blank", rel: "noopener" }),
    );
  }
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  refresh();
}

start();
