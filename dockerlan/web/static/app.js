// dockerlan web: the page of a running lab. Everything comes from this server:
// /api/stream for the lab's views and events, /api/action for each click.
"use strict";

const params = new URLSearchParams(location.search);
const token = params.get("token") || sessionStorage.getItem("dockerlan-token") || "";
if (params.get("token")) sessionStorage.setItem("dockerlan-token", token);
const $ = (id) => document.getElementById(id);
const headers = { "X-Dockerlan-Token": token };

let lab = params.get("lab") || "";
let stream = null;
let view = null;
let drawnPlan = "";
let matrixKey = "";
const sides = new Map(); // host -> "a" | "b"

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function say(text, bad = false) {
  $("last").textContent = text;
  $("last").className = bad ? "last error" : "last";
}

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
}

// ---- the labs, and the stream of one -----------------------------------------------

async function loadLabs() {
  let found;
  try {
    const answer = await fetch("/api/labs", { headers });
    found = await answer.json();
    if (!answer.ok) throw new Error(found.error);
  } catch (error) {
    say(`cannot list the labs: ${error.message}`, true);
    setTimeout(loadLabs, 3000);
    return;
  }
  const select = $("lab");
  const names = found.labs.length ? found.labs : (lab ? [lab] : []);
  if (lab && !names.includes(lab)) names.push(lab);
  select.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
  select.disabled = Boolean(found.only);
  if (!names.length) {
    $("summary").textContent = "no lab is running: dockerlan up makes one";
    setTimeout(loadLabs, 3000);
    return;
  }
  if (!lab) lab = found.only || names[0];
  select.value = lab;
  watch(lab);
  if (!found.only) setInterval(refreshLabs, 5000);
}

async function refreshLabs() {
  // Labs made or removed while the page is open join or leave the list.
  const answer = await fetch("/api/labs", { headers }).catch(() => null);
  if (!answer || !answer.ok) return;
  const names = (await answer.json()).labs;
  if (!names.includes(lab)) names.push(lab);
  const select = $("lab");
  if ([...select.options].map((o) => o.value).join() === names.join()) return;
  select.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
  select.value = lab;
}

function watch(name) {
  if (stream) stream.close();
  lab = name;
  view = null;
  drawnPlan = "";
  matrixKey = "";
  $("events").replaceChildren();
  const url = `/api/stream?lab=${encodeURIComponent(name)}&token=${encodeURIComponent(token)}`;
  stream = new EventSource(url);
  stream.addEventListener("view", (e) => render(JSON.parse(e.data)));
  stream.addEventListener("events", (e) => logEvents(JSON.parse(e.data)));
  stream.onopen = () => { if ($("banner").dataset.kind === "lost") banner(""); };
  stream.onerror = () => banner("the connection to dockerlan web is lost: trying again…", "lost");
}

function banner(text, kind = "") {
  $("banner").hidden = !text;
  $("banner").textContent = text;
  $("banner").dataset.kind = kind;
}

// ---- one view ------------------------------------------------------------------------

function render(next) {
  view = next;
  document.body.dataset.present = String(next.present);
  if (!next.present) {
    banner(`lab ${next.lab} is not there: ${next.why}`, "gone");
    $("summary").textContent = "not there";
    $("drawing").classList.add("gone");
    $("pace").textContent = "";
    // Nothing seen now is shown as if it were: the matrix and the lists go.
    matrixKey = hostsKey = faultsKey = "";
    $("matrix").replaceChildren(el("p", { text: "not there: nothing to ping" }));
    $("matrix-count").textContent = "";
    $("hosts").replaceChildren();
    $("faults").replaceChildren();
    renderServices([]);
    return;
  }
  if (next.unreachable.length) banner(next.unreachable.join("; "), "partial");
  else if (["gone", "partial"].includes($("banner").dataset.kind)) banner("");
  $("drawing").classList.remove("gone");
  $("summary").textContent = next.summary;
  $("pace").textContent = `seen ${clock(next.at)} · a round takes ${next.took.toFixed(2)} s · ` +
    `the next in ${next.gap.toFixed(1)} s`;
  if (next.plan !== drawnPlan) loadDrawing(next.plan);
  else colourDrawing();
  renderMatrix(next.matrix);
  renderHosts(next.hosts);
  renderFaults(next.faults);
  renderServices(next.services);
  fillChoices();
}

async function loadDrawing(plan) {
  drawnPlan = plan;
  const answer = await fetch(`/api/drawing?lab=${encodeURIComponent(lab)}`, { headers });
  if (!answer.ok) { drawnPlan = ""; return; }
  const text = await answer.text();
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = document.importNode(doc.documentElement, true);
  $("drawing").replaceChildren(svg);
  for (const g of svg.querySelectorAll("g.host")) {
    g.addEventListener("click", () => { cycleSide(g.id); });
  }
  colourDrawing();
}

function colourDrawing() {
  if (!view || !view.present) return;
  const svg = $("drawing").querySelector("svg");
  if (!svg) return;
  // A host that is not running reports no procs: its planned ones (the matrix's) take its state.
  const planned = new Map(view.matrix ? view.matrix.hosts : []);
  for (const host of view.hosts) {
    paint(svg, host.name, host.state, sides.get(host.name));
    for (const proc of host.procs) paint(svg, proc.name, proc.state);
    if (host.state !== "running") {
      for (const proc of planned.get(host.name) || []) paint(svg, proc, host.state);
    }
  }
}

function paint(svg, id, state, side) {
  const g = svg.querySelector(`g[id="${CSS.escape(id)}"]`);
  if (!g) return;
  for (const cls of [...g.classList]) if (cls.startsWith("state-") || cls.startsWith("sel-")) g.classList.remove(cls);
  g.classList.add(`state-${state}`);
  if (side) g.classList.add(`sel-${side}`);
  g.dataset.state = state;
}

function renderMatrix(matrix) {
  const box = $("matrix");
  if (!matrix) { box.replaceChildren(el("p", { text: "no procs to ping" })); return; }
  const dense = matrix.procs.length > 48;
  const key = JSON.stringify(matrix.hosts);
  if (key !== matrixKey) {
    matrixKey = key;
    const table = el("table", { id: "matrix-table" });
    const top = el("tr", {}, el("th"));
    for (const [host, procs] of matrix.hosts) {
      top.append(el("th", { class: "host", colspan: procs.length, text: host, title: host }));
    }
    const names = el("tr", {}, el("th"));
    for (const dst of matrix.procs) names.append(el("th", { text: dense ? "" : dst, title: dst }));
    table.append(top, names);
    for (const src of matrix.procs) {
      const row = el("tr", {}, el("th", { text: src }));
      for (const dst of matrix.procs) row.append(el("td", { id: `m-${src}-${dst}` }));
      table.append(row);
    }
    box.replaceChildren(table);
  }
  box.classList.toggle("dense", dense);
  matrix.procs.forEach((src, i) => {
    matrix.procs.forEach((dst, j) => {
      const [state, rtt] = matrix.cells[i][j];
      const cell = document.getElementById(`m-${src}-${dst}`);
      if (!cell) return;
      cell.className = `c-${state}`;
      cell.dataset.state = state;
      const shown = state === "ok" || state === "slow" || state === "wrong" ? rtt.toFixed(rtt < 10 ? 2 : 0)
        : state === "fail" ? "✕" : state === "apart" ? "–" : "";
      cell.textContent = dense ? "" : shown;
      cell.title = `${src} → ${dst}: ${state}${rtt !== null && state !== "self" ? ` ${rtt} ms` : ""}`;
    });
  });
  const parts = [`${matrix.ok}/${matrix.pairs} pairs answer`];
  if (matrix.failed) parts.push(`${matrix.failed} fail`);
  if (matrix.separated) parts.push(`${matrix.separated} kept apart`);
  if (matrix.down.length) parts.push(`down: ${matrix.down.join(", ")}`);
  $("matrix-count").textContent = parts.join(" · ");
}

function powerButtons(name, state) {
  const verbs = state === "running" || state === "starting" ? ["stop", "kill", "pause"]
    : state === "paused" ? ["resume"] : state === "unreachable" ? [] : ["start"];
  return verbs.map((verb) => el("button", {
    type: "button", "data-verb": verb, "data-target": name, id: `${verb}-${name}`, text: verb,
    onclick: (e) => act({ verb, target: name }, e.target),
  }));
}

function sideBoxes(host) {
  const box = (side) => {
    const input = el("input", { type: "checkbox", id: `side-${side}-${host}`, "aria-label": `${host} on side ${side.toUpperCase()}` });
    input.checked = sides.get(host) === side;
    input.addEventListener("change", () => setSide(host, input.checked ? side : null));
    return el("label", { class: "side" }, input, el("span", { class: side, text: side.toUpperCase() }));
  };
  return [box("a"), box("b")];
}

let hostsKey = "";
let faultsKey = "";
let servicesKey = "";

function renderHosts(hosts) {
  // Rows are made anew only when what they show changed: a button is not replaced
  // under the pointer twice a second.
  const key = JSON.stringify([hosts, [...sides.entries()], $("one-way").checked]);
  if (key === hostsKey) return;
  hostsKey = key;
  const rows = [];
  for (const host of hosts) {
    rows.push(el("tr", { class: "host", id: `host-${host.name}`, "data-state": host.state },
      el("td", { text: host.name }),
      el("td", {}, el("span", { class: `state ${host.state}`, text: host.condition })),
      el("td", { text: host.machine === "local" ? host.address : `${host.address} on ${host.machine}` }),
      el("td", {}, ...sideBoxes(host.name)),
      el("td", {}, ...powerButtons(host.name, host.state), logsButton(host.name))));
    for (const proc of host.procs) {
      rows.push(el("tr", { class: "proc", id: `proc-${proc.name}`, "data-state": proc.state },
        el("td", { text: proc.name }),
        el("td", {}, el("span", { class: `state ${proc.state}`, text: proc.state + (proc.health ? ` (${proc.health})` : "") })),
        el("td", { text: proc.address }),
        el("td"),
        el("td", {}, ...(host.state === "running" ? powerButtons(proc.name, proc.state) : []), logsButton(proc.name))));
    }
  }
  $("hosts").replaceChildren(...rows);
  $("cut").textContent = `cut ${sideText("a") || "A"} ${$("one-way").checked ? "→" : "/"} ${sideText("b") || "B"}`;
}

function logsButton(name) {
  return el("button", { type: "button", class: "quiet", id: `logs-${name}`, text: "logs", onclick: () => showLogs(name) });
}

function renderFaults(faults) {
  const key = JSON.stringify(faults);
  if (key === faultsKey) return;
  faultsKey = key;
  const items = [];
  for (const [kind, list] of Object.entries(faults)) {
    for (const fault of list) {
      const undo = fault.undo;
      const id = `undo-${undo.verb}-${undo.cuts ? undo.cuts.join("-") : undo.target}`;
      items.push(el("li", { "data-kind": kind },
        el("span", { text: `${fault.text} ` }),
        el("button", { type: "button", id, text: undoLabel(undo.verb), onclick: (e) => act(undo, e.target) })));
    }
  }
  if (!items.length) items.push(el("li", { class: "none", text: "none: every link as planned" }));
  $("faults").replaceChildren(...items);
}

function undoLabel(verb) {
  return { heal: "heal", clear: "clear", start: "start", resume: "resume", "clear-dns": "clear", free: "free", empty: "empty" }[verb] || verb;
}

function renderServices(services) {
  const key = JSON.stringify(services);
  if (key === servicesKey) return;
  servicesKey = key;
  const panel = $("services-panel");
  panel.hidden = !services.length;
  if (!services.length) return;
  const head = el("tr", {}, ...["service", "replica", "proc", "host", "state", "health"].map((t) => el("th", { text: t })));
  $("services").replaceChildren(head, ...services.map((r) => el("tr", {},
    el("td", { text: r.service }), el("td", { text: r.replica }), el("td", { text: r.proc }),
    el("td", { text: r.host }), el("td", {}, el("span", { class: `state ${r.state}`, text: r.state })),
    el("td", { text: r.health || "" }))));
}

function fillChoices() {
  const hosts = view.hosts.map((h) => h.name);
  const procs = view.matrix ? view.matrix.procs : view.hosts.flatMap((h) => h.procs.map((p) => p.name));
  const keep = (select, names, blank) => {
    const was = select.value;
    const wanted = (blank ? [""] : []).concat(names);
    if ([...select.options].map((o) => o.value).join() !== wanted.join()) {
      select.replaceChildren(...wanted.map((n) => el("option", { value: n, text: n || blank })));
      if (wanted.includes(was)) select.value = was;
    }
  };
  keep($("impair-target"), hosts.concat(procs));
  keep($("impair-to"), hosts.concat(procs), "everyone");
  keep($("trace-from"), procs);
  keep($("trace-to"), procs);
  if ($("trace-to").selectedIndex === 0 && procs.length > 1 && $("trace-to").dataset.touched !== "1") {
    $("trace-to").selectedIndex = procs.length - 1;
  }
}

function logEvents(events) {
  const list = $("events");
  for (const event of events) {
    list.prepend(el("li", { class: `by-${event.by}` }, el("time", { text: clock(event.at) }),
      `${event.by === "page" ? "page: " : ""}${event.text}`));
  }
  while (list.children.length > 200) list.lastChild.remove();
}

// ---- choosing sides ------------------------------------------------------------------

function cycleSide(host) {
  const now = sides.get(host);
  setSide(host, now === undefined ? "a" : now === "a" ? "b" : null);
}

function setSide(host, side) {
  if (side) sides.set(host, side); else sides.delete(host);
  if (view && view.present) { renderHosts(view.hosts); colourDrawing(); }
}

function sideText(side) {
  return [...sides.entries()].filter(([, s]) => s === side).map(([h]) => h).join(",");
}

// ---- doing ---------------------------------------------------------------------------

async function act(action, button) {
  if (button) button.disabled = true;
  say(`${describe(action)}…`);
  try {
    const answer = await fetch(`/api/action?lab=${encodeURIComponent(lab)}`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(action),
    });
    const found = await answer.json();
    if (!answer.ok) throw new Error(found.error);
    say(`✓ ${found.did}`);
    return true;
  } catch (error) {
    say(`✗ ${describe(action)}: ${error.message}`, true);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

function describe(action) {
  if (action.verb === "partition") return `partition ${action.groups.map((g) => g.join(",")).join(" / ")}`;
  if (action.verb === "heal") return `heal ${action.cuts.join(" ") || "every cut"}`;
  return `${action.verb} ${action.target || ""}`.trim();
}

async function showLogs(name) {
  $("panel-title").textContent = `Logs of ${name} (the last 200 lines)`;
  $("panel-body").textContent = "reading…";
  const answer = await fetch(`/api/logs?lab=${encodeURIComponent(lab)}&target=${encodeURIComponent(name)}&tail=200`, { headers });
  const found = await answer.json();
  if (!answer.ok) { $("panel-body").textContent = found.error; return; }
  const lines = found.lines.map((l) => `${l.time.slice(11, 23)} ${l.source}  ${l.line}`);
  for (const [source, why] of Object.entries(found.unread)) lines.push(`${source}: not read: ${why}`);
  $("panel-body").textContent = lines.join("\n") || "no lines";
  $("panel").scrollIntoView({ block: "nearest" });
}

async function showTrace(from, to) {
  $("panel-title").textContent = `Trace from ${from} to ${to}`;
  $("panel-body").textContent = "tracing…";
  const answer = await fetch(`/api/trace?lab=${encodeURIComponent(lab)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { headers });
  const found = await answer.json();
  if (!answer.ok) { $("panel-body").textContent = found.error; return; }
  const body = $("panel-body");
  body.replaceChildren(...found.hops.map((h) => el("div", { class: h.ok ? "" : "bad",
    text: `${h.ok ? "✓" : "✕"} ${h.back ? "back " : ""}${h.where}: ${h.text}` })));
}

// ---- wiring --------------------------------------------------------------------------

$("lab").addEventListener("change", (e) => watch(e.target.value));
$("one-way").addEventListener("change", () => view && view.present && renderHosts(view.hosts));
$("clear-sides").addEventListener("click", () => { sides.clear(); if (view && view.present) { renderHosts(view.hosts); colourDrawing(); } });
$("cut").addEventListener("click", async (e) => {
  const a = sideText("a"), b = sideText("b");
  if (!a) { say("choose side A first: its hosts' A boxes, or click them in the drawing", true); return; }
  const rest = view.hosts.map((h) => h.name).filter((h) => !sides.has(h));
  const groups = [a.split(","), b ? b.split(",") : rest];
  if (!groups[1].length) { say("side B is empty, and no host is left out of A", true); return; }
  await act({ verb: "partition", groups, one_way: $("one-way").checked }, e.target);
});
$("impair-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const action = { verb: "impair" };
  for (const [key, value] of form.entries()) if (value) action[key] = value;
  await act(action, $("impair"));
});
$("trace-to").addEventListener("change", (e) => { e.target.dataset.touched = "1"; });
$("trace-form").addEventListener("submit", (e) => {
  e.preventDefault();
  showTrace($("trace-from").value, $("trace-to").value);
});

loadLabs();
