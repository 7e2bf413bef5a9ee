// The live map: stores over China's outline, recent routing decisions, and
// explain queries, all from the admin listener's own feeds (no outside
// network). Plain SVG; coordinates are an equirectangular projection
// scaled by cos(35°), which keeps China's shape at the zoom levels used.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const LON0 = 73, LON1 = 136, LAT0 = 17, LAT1 = 54;
const KX = Math.cos(35 * Math.PI / 180);
const UNITS = 10;  // SVG units per degree of latitude
const KM_PER_DEG = 111.195;
const px = lon => (lon - LON0) * KX * UNITS;
const py = lat => (LAT1 - lat) * UNITS;
const unlon = x => x / (KX * UNITS) + LON0;
const unlat = y => LAT1 - y / UNITS;

const map = document.getElementById("map");
const layers = {
  land: document.getElementById("land"),
  zones: document.getElementById("zones"),
  decisions: document.getElementById("decisions"),
  stores: document.getElementById("stores"),
  explain: document.getElementById("explain"),
};
const stores = new Map();  // id -> store record from /api/stores
let view = {x: 0, y: 0, w: px(LON1), h: py(LAT0)};

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function setView(v) {
  view = v;
  map.setAttribute("viewBox", `${v.x} ${v.y} ${v.w} ${v.h}`);
  // Marks keep their size on screen whatever the zoom.
  const scale = v.w / Math.max(1, map.clientWidth);
  map.style.setProperty("--r", (3.2 * scale).toFixed(4) + "px");
}

// Zooms to show [lon, lat] points with `padKm` around them.
function zoomTo(points, padKm) {
  const pad = padKm / KM_PER_DEG;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [lon, lat] of points) {
    x0 = Math.min(x0, px(lon - pad / KX)); x1 = Math.max(x1, px(lon + pad / KX));
    y0 = Math.min(y0, py(lat + pad)); y1 = Math.max(y1, py(lat - pad));
  }
  const aspect = map.clientWidth / Math.max(1, map.clientHeight);
  let w = x1 - x0, h = y1 - y0;
  if (w / h < aspect) w = h * aspect; else h = w / aspect;
  setView({x: (x0 + x1 - w) / 2, y: (y0 + y1 - h) / 2, w, h});
}

function ringPath(ring) {
  return ring.map(([lon, lat], i) => (i ? "L" : "M") + px(lon).toFixed(2) + " " + py(lat).toFixed(2))
      .join("") + "Z";
}

async function getJson(url) {
  const r = await fetch(url, {cache: "no-store"});
  const body = await r.json();
  if (!r.ok || body.ok === false) {
    throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${r.status}`);
  }
  return body;
}

async function drawLand() {
  const geo = await (await fetch("/china.geojson")).json();
  let d = "";
  for (const f of geo.features) {
    const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const poly of polys) d += ringPath(poly[0]);
  }
  el("path", {d, class: "land"}, layers.land);
}

// Green (0) to yellow (0.5) to red (1).
function loadColour(x) {
  const t = Math.max(0, Math.min(1, x));
  return `hsl(${(1 - t) * 120}, 75%, 42%)`;
}

function storeLoad(s) {
  const load = s.load || 0;
  const outShare = s.skus ? (s.rows_out || 0) / s.skus : 0;
  return Math.max(load, Math.min(1, outShare * 5));
}

async function drawStores() {
  const body = await getJson("/api/stores");
  layers.stores.replaceChildren();
  stores.clear();
  for (const s of body.stores) {
    stores.set(s.id, s);
    const classes = ["store"];
    if (s.capacity && s.used >= s.capacity) classes.push("full");
    if (s.paused) classes.push("paused");
    if (s.removed) classes.push("removed");
    const c = el("circle", {cx: px(s.lon), cy: py(s.lat), class: classes.join(" "),
                            fill: loadColour(storeLoad(s)), "data-store": s.id}, layers.stores);
    el("title", {}, c).textContent =
        `${s.id}${s.city ? " (" + s.city + ")" : ""}: ${s.rows_out || 0} of ${s.skus || 0} SKUs out` +
        (s.capacity ? `, ${s.used}/${s.capacity} deliveries this hour` : "");
    c.addEventListener("click", e => { e.stopPropagation(); showStore(s.id); });
  }
  document.getElementById("f-stores").textContent = body.stores.length;
  document.body.dataset.stores = String(body.stores.length);
}

async function drawDecisions() {
  const body = await getJson("/api/decisions?limit=500");
  layers.decisions.replaceChildren();
  for (const d of body.decisions) {
    if (d.lat === undefined) continue;  // a pickup at a named store: no customer point
    const x = px(d.lon), y = py(d.lat);
    if (d.found) {
      el("line", {x1: x, y1: y, x2: px(d.store_lon), y2: py(d.store_lat), class: "decision"},
         layers.decisions);
      el("circle", {cx: x, cy: y, class: "order"}, layers.decisions);
    } else {
      const c = el("circle", {cx: x, cy: y, class: "unfulfilled"}, layers.decisions);
      el("title", {}, c).textContent = `${d.order || "order"}: ${d.reason}`;
    }
  }
  document.body.dataset.decisions = String(body.decisions.length);
}

async function drawStats() {
  const s = await getJson("/api/stats");
  let notFound = 0;
  for (const n of Object.values(s.routes.not_found)) notFound += n;
  document.getElementById("f-found").textContent = s.routes.found;
  document.getElementById("f-notfound").textContent = notFound;
  document.getElementById("f-held").textContent = s.reservations.held_now;
  document.getElementById("f-rules").textContent = s.rules_version;
  document.getElementById("f-lag").textContent = s.journal.lag_records ?? "–";
  document.getElementById("f-ready").textContent = s.ready ? "" : "loading…";
}

// A circle of `km` around a point, as a polygon in [lon, lat].
function circle(lon, lat, km) {
  const ring = [];
  for (let i = 0; i <= 48; i++) {
    const a = i / 48 * 2 * Math.PI;
    ring.push([lon + km / KM_PER_DEG * Math.cos(a) / Math.cos(lat * Math.PI / 180),
               lat + km / KM_PER_DEG * Math.sin(a)]);
  }
  return ring;
}

function text(tag, content) {
  const e = document.createElement(tag);
  e.textContent = content;
  return e;
}

function table(headers, rows) {
  const t = document.createElement("table");
  const head = t.insertRow();
  for (const h of headers) head.appendChild(text("th", h));
  for (const r of rows) {
    const tr = t.insertRow();
    for (const c of r) tr.appendChild(text("td", c));
  }
  return t;
}

async function showStore(id) {
  const out = document.getElementById("store-detail");
  try {
    const {store: s, stock} = await getJson("/api/store?id=" + encodeURIComponent(id));
    layers.zones.replaceChildren();
    const rings = s.zone || [circle(s.lon, s.lat, s.reach_km)];
    for (const ring of rings) el("path", {d: ringPath(ring), class: "zone"}, layers.zones);
    zoomTo(rings.flat(), 3);
    out.replaceChildren(
        text("b", s.id + (s.city ? " — " + s.city : "")),
        text("div", `${s.tier || "tier unset"}${s.dealer ? ", " + s.dealer : ""}` +
                    `${s.paused ? ", paused" : ""}${s.removed ? ", removed" : ""}`),
        text("div", s.zone ? `delivery zone polygon (reach ${s.reach_km} km)` :
                             `1-hour zone: ${s.reach_km} km (radius ${s.radius_km} km, prep ${s.prep_min} min)`),
        text("div", s.capacity ? `capacity: ${s.used} of ${s.capacity} deliveries this hour` :
                                 "no hourly capacity limit"),
        text("div", `stock: ${stock.skus} SKUs, ${stock.on_hand} units on hand, ${stock.reserved} held, ` +
                    `${stock.rows_out} SKUs with nothing available`),
        table(["SKU (emptiest first)", "on hand", "held", "available"],
              stock.emptiest.map(r => [r.sku, r.on_hand, r.reserved, r.available])));
    out.dataset.store = s.id;
  } catch (e) {
    out.textContent = String(e.message || e);
  }
}

async function explain(params) {
  const error = document.getElementById("error");
  const result = document.getElementById("explain-result");
  error.textContent = "";
  layers.explain.replaceChildren();
  try {
    const a = await getJson("/api/route?" + new URLSearchParams(params));
    const lon = Number(params.lon), lat = Number(params.lat);
    const cx = px(lon), cy = py(lat);
    const chosen = a.found ? a.plan[0].store : null;
    const points = [[lon, lat]];
    let drawn = 0;
    const rows = [];
    (a.candidates || []).forEach((c, i) => {
      const s = stores.get(c.store);
      rows.push([c.eligible ? String(i + 1) : "", c.store, c.eta_min, c.distance_km,
                 c.eligible ? c.score.total : "", c.eligible ? "" : c.why]);
      if (!s) return;
      const cls = "candidate " + (c.store === chosen ? "chosen" : c.eligible ? "eligible" : "rejected");
      if (c.eligible) {
        el("line", {x1: cx, y1: cy, x2: px(s.lon), y2: py(s.lat), class: "candidate-line"},
           layers.explain);
      }
      const m = el("circle", {cx: px(s.lon), cy: py(s.lat), class: cls, "data-store": c.store},
                   layers.explain);
      el("title", {}, m).textContent = `${c.store}: ${c.eligible ? "eligible" : c.why}, ETA ${c.eta_min} min`;
      points.push([s.lon, s.lat]);
      drawn++;
    });
    el("circle", {cx, cy, class: "customer"}, layers.explain);
    zoomTo(points, 4);
    result.replaceChildren(
        text("div", a.found ? `found: ${a.plan.map(p => p.store + " (" + p.role + ", " + p.eta_min +
                                                   " min)").join(" + ")}`
                            : `not found: ${a.reason}`),
        table(["#", "store", "ETA", "km", "score", "why not"], rows));
    if (a.candidates_omitted) result.appendChild(text("div", `${a.candidates_omitted} more not listed`));
    document.body.dataset.candidates = String(drawn);
    document.body.dataset.explain = a.found ? "found" : "not_found";
  } catch (e) {
    error.textContent = String(e.message || e);
    document.body.dataset.explain = "error";
  }
}

function formParams() {
  const p = {};
  for (const k of ["lat", "lon", "items", "within_min"]) {
    const v = document.getElementById(k).value.trim();
    if (v) p[k] = v;
  }
  return p;
}

function installControls() {
  document.getElementById("route-form").addEventListener("submit", e => {
    e.preventDefault();
    explain(formParams());
  });
  // Wheel: zoom around the pointer. Drag: pan. Click: place the customer.
  map.addEventListener("wheel", e => {
    e.preventDefault();
    const r = map.getBoundingClientRect();
    const f = e.deltaY > 0 ? 1.25 : 0.8;
    const mx = view.x + (e.clientX - r.left) / r.width * view.w;
    const my = view.y + (e.clientY - r.top) / r.height * view.h;
    setView({x: mx - (mx - view.x) * f, y: my - (my - view.y) * f, w: view.w * f, h: view.h * f});
  }, {passive: false});
  let drag = null;
  map.addEventListener("pointerdown", e => { drag = {x: e.clientX, y: e.clientY, v: view, moved: false}; });
  map.addEventListener("pointermove", e => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; map.classList.add("dragging"); }
    const k = drag.v.w / map.clientWidth;
    setView({...drag.v, x: drag.v.x - dx * k, y: drag.v.y - dy * k});
  });
  map.addEventListener("pointerup", e => {
    const wasDrag = drag && drag.moved;
    drag = null;
    map.classList.remove("dragging");
    if (wasDrag || e.target.dataset.store) return;
    const r = map.getBoundingClientRect();
    const x = view.x + (e.clientX - r.left) / r.width * view.w;
    const y = view.y + (e.clientY - r.top) / r.height * view.h;
    document.getElementById("lat").value = unlat(y).toFixed(5);
    document.getElementById("lon").value = unlon(x).toFixed(5);
  });
}

async function main() {
  setView(view);
  installControls();
  window.addEventListener("resize", () => setView(view));
  await drawLand();
  await drawStores();
  await Promise.all([drawDecisions(), drawStats()]);
  // ?lat=..&lon=..&items=..[&within_min=..] fills the form and runs it
  // (links from alerts, and the browser test); ?store=ID opens a store.
  const q = new URLSearchParams(location.search);
  if (q.get("lat") && q.get("lon")) {
    for (const k of ["lat", "lon", "items", "within_min"]) {
      if (q.get(k)) document.getElementById(k).value = q.get(k);
    }
    await explain(formParams());
  } else if (q.get("store")) {
    await showStore(q.get("store"));
  }
  document.body.dataset.ready = "1";
  if (!q.has("static")) {
    setInterval(() => { drawDecisions().catch(() => {}); drawStats().catch(() => {}); }, 3000);
    setInterval(() => drawStores().catch(() => {}), 15000);
  }
}

main().catch(e => {
  document.getElementById("error").textContent = "the map could not load: " + (e.message || e);
  document.body.dataset.ready = "error";
});
