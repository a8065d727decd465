// Plan-my-visit: draws the floor plan as SVG, asks /api/visits/plan for a route and draws it
// (numbered stops, arrows) with an ordered list of stops as its text alternative.

import { format } from "../lib/format.js";
import { postTo } from "../lib/http.js";
import { NextStop } from "../lib/next-stop.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const config = JSON.parse(document.getElementById("plan-config").textContent);
const strings = config.strings;
const form = document.getElementById("plan-form");
const svg = document.getElementById("plan-svg");
const statusEl = document.getElementById("plan-status");
const listEl = document.getElementById("plan-stops");
const summaryEl = document.getElementById("plan-summary");
const rooms = new Map(config.floorPlan.rooms.map((room) => [room.code, room]));
// The visit as it goes: the objects marked seen, where the visitor last was, since when.
const visit = { plan: null, startedAt: 0, seen: new Set(), room: "", interests: "", groupSize: 1 };
const nextStop = new NextStop({
  element: document.getElementById("plan-next-stop"),
  url: config.nextStopUrl,
  strings,
  state: () => visit.plan && {
    room: visit.room,
    minutesLeft: visit.plan.budget_minutes - (Date.now() - visit.startedAt) / 60_000,
    seen: [...visit.seen],
    interests: visit.interests,
    exit: visit.plan.exit,
    groupSize: visit.groupSize,
  },
});

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function drawFloorPlan() {
  const all = [...rooms.values()];
  if (!all.length || !svg) return;
  const pad = 2;
  const minX = Math.min(...all.map((r) => r.x - r.width / 2)) - pad;
  const minY = Math.min(...all.map((r) => r.y - r.depth / 2)) - pad;
  const maxX = Math.max(...all.map((r) => r.x + r.width / 2)) + pad;
  const maxY = Math.max(...all.map((r) => r.y + r.depth / 2)) + pad;
  svg.setAttribute("viewBox", `${minX} ${minY} ${maxX - minX} ${maxY - minY}`);
  const defs = el("defs", {}, svg);
  const marker = el("marker", {
    id: "plan-arrow", viewBox: "0 0 10 10", refX: 6, refY: 5,
    markerWidth: 4, markerHeight: 4, orient: "auto-start-reverse",
  }, defs);
  el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "route-arrow" }, marker);
  const roomsLayer = el("g", { class: "rooms", "aria-hidden": "true" }, svg);
  for (const room of all) {
    const kind = room.entrance ? " room--entrance" : room.exit ? " room--exit" : "";
    el("rect", {
      class: `room${kind}`, "data-room": room.code,
      x: room.x - room.width / 2, y: room.y - room.depth / 2,
      width: room.width, height: room.depth, rx: 0.3,
    }, roomsLayer);
    const label = el("text", {
      class: "room-label", x: room.x, y: room.y - room.depth / 2 + 1.6,
    }, roomsLayer);
    label.textContent = room.name;
  }
  // Passages are drawn as openings in the walls (and a corridor between rooms apart).
  const passages = el("g", { class: "passages", "aria-hidden": "true" }, svg);
  const half = (config.floorPlan.doorWidth || 1.6) / 2;
  for (const passage of config.floorPlan.passages) {
    const doors = passage.doors || [];
    if (doors.length === 2) {
      const [a, b] = doors.map((door) => door.at);
      if (Math.hypot(b[0] - a[0], b[1] - a[1]) > 0.01) {
        el("line", { class: "passage", x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, passages);
      }
    }
    for (const door of doors) {
      const [x, y] = door.at;
      const alongX = door.wall === "north" || door.wall === "south";
      el("line", {
        class: "doorway", "data-passage": `${passage.from}-${passage.to}`,
        x1: alongX ? x - half : x, y1: alongX ? y : y - half,
        x2: alongX ? x + half : x, y2: alongX ? y : y + half,
      }, passages);
    }
  }
  el("g", { id: "plan-route", "aria-hidden": "true" }, svg);
}

function stopPositions(stops) {
  // Stops in one room sit on a small circle around its centre.
  const byRoom = new Map();
  for (const stop of stops) {
    const list = byRoom.get(stop.room.code) || [];
    list.push(stop);
    byRoom.set(stop.room.code, list);
  }
  const positions = new Map();
  for (const [code, list] of byRoom) {
    const room = rooms.get(code);
    if (!room) continue;
    const radius = list.length > 1 ? Math.min(room.width, room.depth) / 4 : 0;
    list.forEach((stop, i) => {
      const angle = (2 * Math.PI * i) / list.length - Math.PI / 2;
      positions.set(stop.number, [room.x + radius * Math.cos(angle), room.y + radius * Math.sin(angle)]);
    });
  }
  return positions;
}

function drawRoute(plan) {
  const layer = document.getElementById("plan-route");
  if (!layer) return;
  layer.replaceChildren();
  svg.querySelectorAll(".room--visited").forEach((node) => node.classList.remove("room--visited"));
  // The server's route goes through the doorways (museum/planning/doorways.py).
  const points = plan.route?.length
    ? plan.route.map(([x, y]) => ({ x, y }))
    : plan.rooms_path.map((code) => rooms.get(code)).filter(Boolean);
  for (let i = 1; i < points.length; i += 1) {
    const a = points[i - 1];
    const b = points[i];
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length = Math.hypot(dx, dy);
    if (length < 0.01) continue; // two doors on one shared wall
    // Shorten each segment a little so the arrow head stays visible at its end.
    const trim = Math.min(0.6, length / 3);
    el("line", {
      class: "route", x1: a.x, y1: a.y,
      x2: b.x - (dx / length) * trim, y2: b.y - (dy / length) * trim,
      "marker-end": "url(#plan-arrow)",
    }, layer);
  }
  for (const code of new Set(plan.stops.map((stop) => stop.room.code))) {
    svg.querySelector(`rect[data-room="${CSS.escape(code)}"]`)?.classList.add("room--visited");
  }
  const positions = stopPositions(plan.stops);
  for (const stop of plan.stops) {
    const [x, y] = positions.get(stop.number) || [0, 0];
    const group = el("g", { class: "stop", "data-stop": stop.number }, layer);
    el("circle", { cx: x, cy: y, r: 0.9 }, group);
    const text = el("text", { x, y }, group);
    text.textContent = String(stop.number);
  }
}

function highlight(number, on) {
  svg.querySelector(`.stop[data-stop="${number}"]`)?.classList.toggle("is-active", on);
}

function listStops(plan) {
  listEl.replaceChildren();
  for (const stop of plan.stops) {
    const item = document.createElement("li");
    item.className = "plan-stop";
    item.dataset.stop = stop.number;
    const number = document.createElement("span");
    number.className = "plan-stop__number";
    number.setAttribute("aria-hidden", "true");
    number.textContent = stop.number;
    const body = document.createElement("div");
    const title = document.createElement("a");
    title.href = stop.artifact.url;
    title.textContent = format(strings.stop, { number: stop.number, title: stop.artifact.title });
    const meta = document.createElement("p");
    meta.className = "plan-stop__meta";
    meta.textContent = stop.arrival_text
      ?? format(strings.arrival, { minute: stop.arrival_minute, room: stop.room.name });
    const why = document.createElement("p");
    why.className = "plan-stop__why";
    why.textContent = stop.reason.text;
    const seen = document.createElement("button");
    seen.type = "button";
    seen.className = "plan-stop__seen";
    seen.textContent = strings.seen;
    seen.setAttribute("aria-pressed", "false");
    seen.addEventListener("click", () => markSeen(stop, seen));
    body.append(title, meta, why, seen);
    item.append(number, body);
    for (const [type, on] of [["mouseenter", true], ["mouseleave", false], ["focusin", true], ["focusout", false]]) {
      item.addEventListener(type, () => highlight(stop.number, on));
    }
    listEl.appendChild(item);
  }
}

/** A stop marked seen (or unmarked): the visitor stands in its room; ask for the next stop. */
function markSeen(stop, button) {
  const on = button.getAttribute("aria-pressed") !== "true";
  button.setAttribute("aria-pressed", String(on));
  if (on) {
    visit.seen.add(stop.artifact.id);
    visit.room = stop.room.code;
  } else {
    visit.seen.delete(stop.artifact.id);
  }
  nextStop.refresh();
}

function showPlan(plan) {
  Object.assign(visit, { plan, startedAt: Date.now(), seen: new Set(), room: plan.entrance });
  nextStop.refresh({ force: true });
  drawRoute(plan);
  listStops(plan);
  summaryEl.textContent = plan.words?.summary ?? "";
  const names = plan.rooms_path.map((code) => rooms.get(code)?.name || code).join(", ");
  const desc = document.getElementById("plan-svg-desc");
  if (desc) desc.textContent = format(strings.routeDesc, { rooms: names });
  statusEl.classList.remove("is-error");
  statusEl.textContent = plan.stops.length ? (plan.words?.status ?? "") : strings.noStops;
  svg.dataset.state = "planned";
}

async function submit(event) {
  event.preventDefault();
  const data = new FormData(form);
  const body = {
    interests: data.get("interests") || "",
    minutes: Number(data.get("minutes")),
    group_size: Number(data.get("group_size") || 1),
    entrance: data.get("entrance") || "",
    exit: data.get("exit") || "",
  };
  statusEl.classList.remove("is-error");
  statusEl.textContent = strings.planning;
  Object.assign(visit, { interests: body.interests, groupSize: body.group_size });
  try {
    const response = await postTo(config.apiUrl, { json: body, scope: form });
    const payload = await response.json();
    if (!response.ok) {
      statusEl.classList.add("is-error");
      statusEl.textContent = `${strings.error} ${payload?.error?.message || ""}`.trim();
      return;
    }
    showPlan(payload);
  } catch {
    statusEl.classList.add("is-error");
    statusEl.textContent = strings.error;
  }
}

drawFloorPlan();
form?.addEventListener("submit", submit);
