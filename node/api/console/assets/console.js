// The console's one script. It keeps the caller's token in this tab's
// sessionStorage, calls the node's /v1 API with it (api() below is the one
// place paths are built), and draws what the API answers. Every record is
// drawn with textContent, never as HTML, so nothing a record holds can run.
// A 404 is "not found or not yours" and a 403 "not for your role": the API
// decides what this page shows; the page only hides what it was refused.
"use strict";

const TOKEN_KEY = "custody-console-token";
const POLL_MS = 3000;
const $ = (id) => document.getElementById(id);

// ---- the session ---------------------------------------------------------

let session = null; // {token, sub, aud, exp, role, owner}

function decodeClaims(token) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("not a JWT (three dot-separated parts)");
  const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
  const claims = JSON.parse(atob(b64 + "===".slice((b64.length + 3) % 4)));
  if (!claims.sub || !claims.exp) throw new Error("the token has no sub or exp claim");
  return claims;
}

// ApiError carries the HTTP status and the problem's code (api/N).
class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || ("HTTP " + status));
    this.status = status;
    this.code = problem && problem.code;
  }
}

// api GETs a /v1 path with the session's token and answers the JSON.
async function api(path, params) {
  if (!session) throw new ApiError(401, { title: "signed out" });
  const q = params ? "?" + new URLSearchParams(params).toString() : "";
  const res = await fetch("/v1" + path + q, {
    headers: { Authorization: "Bearer " + session.token, Accept: "application/json" },
    cache: "no-store", credentials: "omit",
  });
  let body = null;
  try { body = await res.json(); } catch (_) { /* empty or not JSON */ }
  if (!res.ok) {
    if (res.status === 401) expired();
    throw new ApiError(res.status, body);
  }
  return body;
}
const seg = encodeURIComponent;

async function signIn(token) {
  token = token.trim();
  const claims = decodeClaims(token);
  session = { token, sub: claims.sub, aud: claims.aud, exp: claims.exp };
  try {
    const key = await api("/keys/" + seg(claims.sub));
    session.role = (key.value.role || "").replace(/^ROLE_/, "");
    session.owner = key.value.owner;
  } catch (e) {
    session = null;
    throw e;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  showSession();
}

function signOut() {
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopPolling();
  $("views").hidden = true; $("tabs").hidden = true; $("who").hidden = true;
  $("signin").hidden = false;
  $("token").value = "";
  for (const id of ["net-status", "net-validators", "net-invariants", "custody-supply", "custody-totals",
    "custody-participants", "account-view", "set-reports", "set-breaks", "rec-results", "rec-breaks", "surv-anchors", "surv-alerts", "surv-params"]) clear($(id));
}

function expired() {
  if (!session) return;
  $("signin-error").textContent = "The token was refused or has expired: make a fresh one and sign in again.";
  signOut();
}

function showSession() {
  $("signin").hidden = true; $("signin-error").textContent = "";
  $("who").hidden = false; $("tabs").hidden = false; $("views").hidden = false;
  $("who-role").textContent = session.role.replace(/_/g, " ").toLowerCase();
  $("who-owner").textContent = session.owner;
  $("who-exp").textContent = "token until " + new Date(session.exp * 1000).toLocaleTimeString();
  $("footer").textContent = "chain " + (session.aud || "?") + " · signed in as " + session.sub;
  if (session.role === "CLIENT") $("account-id").value = session.owner;
  showTab(session.role === "CLIENT" ? "account" : "network");
}

// ---- drawing helpers -------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}
function clear(node) { node.replaceChildren(); return node; }
function note(text) { return el("p", { class: "note" }, text); }

// refusal says why a read was not shown.
function refusal(e) {
  if (e.status === 404) return note("Not found, or not yours to read.");
  if (e.status === 403) return note("Not readable with your role.");
  return el("p", { class: "bad" }, e.message);
}

const FEN_FIELDS = /^(total|balance|available|frozen|unsettled|withdrawable|amount|deposited|withdrawn|from_clearing|to_clearing|.*_total|buy_value|sell_value|net_obligation|difference|.*_fen)$/;
const TIME_FIELDS = /^(time|.*_time|from_unix_ms|to_unix_ms)$/;

// fmtTime reads a chain time: Unix nanoseconds (block times), milliseconds
// (*_unix_ms) or seconds, as the local time of day with its date.
function fmtTime(k, v) {
  const n = Number(v);
  if (!isFinite(n) || n <= 0) return String(v);
  const ms = /_ms$/.test(k) ? n : n > 1e17 ? n / 1e6 : n > 1e11 ? n : n * 1000;
  return new Date(ms).toLocaleString();
}

// fmtValue formats one scalar: fen as CNY with two decimals, times as
// times, long hashes shortened (the whole value is the cell's title).
function fmtValue(k, v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  if (TIME_FIELDS.test(k) && /^\d+$/.test(String(v))) return fmtTime(k, v);
  if (/^(time|when)$/.test(k) && typeof v === "string" && !isNaN(Date.parse(v))) return new Date(v).toLocaleString();
  if ((/hash|root|^address$|pub_key/.test(k) && String(v).length > 20) || (k === "id" && /^[0-9a-f]{40,}$/.test(String(v)))) return String(v).slice(0, 12) + "…";
  if (FEN_FIELDS.test(k) && /^-?\d+$/.test(String(v))) {
    const n = BigInt(v), neg = n < 0n, a = neg ? -n : n;
    const s = (a / 100n).toLocaleString("en-US") + "." + String(a % 100n).padStart(2, "0");
    return (neg ? "−" : "") + s;
  }
  return String(v);
}

// table draws records as rows; columns are the union of their scalar
// fields (or cols), so a field the API adds later shows without a change.
function table(items, cols, extra) {
  if (!items || items.length === 0) return note("None.");
  cols = cols || [...new Set(items.flatMap((it) => Object.keys(it)))];
  const head = el("tr", {}, ...cols.map((c) => el("th", {}, c.replace(/_/g, " "))));
  if (extra) head.append(el("th", {}, extra.title));
  const rows = items.map((it) => {
    const tr = el("tr", {}, ...cols.map((c) => {
      const v = fmtValue(c, it[c]);
      const td = el("td", FEN_FIELDS.test(c) ? { class: "num" } : {}, v);
      if (v !== String(it[c] ?? "")) td.title = String(it[c] ?? "");
      if (/status|result|match|kind/.test(c) && /BREAK|MISMATCH|FAIL|BROKEN/i.test(v)) td.className = "bad";
      return td;
    }));
    if (extra) tr.append(el("td", {}, extra.cell(it)));
    return tr;
  });
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

function card(k, v, cls) { return el("div", { class: "card" }, el("div", { class: "k" }, k), el("div", { class: "v " + (cls || "") }, v)); }

// proofMark is a record's "verified" mark. ?prove=true brought the record
// with its IAVL proof; the node checks that proof against the header it
// committed at height+1 (POST /ui/verify, console/verify.go) and the mark
// says what came of it. The check is the server's, not this page's: a
// reader who trusts no single node runs custodycli's --prove --witness.
function proofMark(rec) {
  if (!rec || !rec.proof) return el("span", { class: "mark none", title: "no proof in the answer" }, "no proof");
  const mark = el("span", { class: "mark none" }, "checking proof…");
  verifyProof(rec.proof).then((v) => {
    if (v.verified) {
      mark.className = "mark";
      mark.textContent = "✓ verified at h" + v.height;
      mark.title = "IAVL proof checked by the node against committed header " + (v.height + 1) + " (" + v.header + "), app hash " + v.app_hash;
    } else {
      mark.className = "mark bad";
      mark.textContent = "✗ not verified";
      mark.title = v.reason || "the proof did not verify";
    }
  }, (e) => { mark.textContent = "proof not checked"; mark.title = e.message; });
  return mark;
}

async function verifyProof(proof) {
  const res = await fetch("/ui/verify", {
    method: "POST", cache: "no-store", credentials: "omit",
    headers: { Authorization: "Bearer " + session.token, "Content-Type": "application/json" },
    body: JSON.stringify(proof),
  });
  const body = await res.json();
  if (!res.ok && !("verified" in body)) throw new ApiError(res.status, body);
  return body;
}

// show fills node with what load draws, or why it could not.
async function show(node, load) {
  try { const out = await load(); clear(node).append(...[].concat(out)); }
  catch (e) { clear(node).append(refusal(e)); }
}

// ---- Network ---------------------------------------------------------------

const heights = []; // [{t, h}] from this tab's polls, the last 10 minutes

function chart(svg) {
  clear(svg);
  const NS = "http://www.w3.org/2000/svg";
  const pts = [];
  for (let i = 1; i < heights.length; i++) {
    const dt = (heights[i].t - heights[i - 1].t) / 60000;
    if (dt > 0) pts.push({ t: heights[i].t, r: (heights[i].h - heights[i - 1].h) / dt });
  }
  const txt = (x, y, s) => { const t = document.createElementNS(NS, "text"); t.setAttribute("x", x); t.setAttribute("y", y); t.textContent = s; svg.append(t); };
  if (pts.length < 2) { txt(10, 70, "collecting (one point every " + POLL_MS / 1000 + " s)…"); return; }
  const max = Math.max(1, ...pts.map((p) => p.r)), t0 = pts[0].t, t1 = pts[pts.length - 1].t;
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", pts.map((p) => {
    const x = 40 + ((p.t - t0) / Math.max(1, t1 - t0)) * 550, y = 130 - (p.r / max) * 115;
    return x.toFixed(1) + "," + y.toFixed(1);
  }).join(" "));
  svg.append(line);
  txt(2, 18, Math.round(max) + "/min"); txt(2, 130, "0");
  txt(40, 139, new Date(t0).toLocaleTimeString()); txt(520, 139, new Date(t1).toLocaleTimeString());
}

async function loadNetwork() {
  await show($("net-status"), async () => {
    const s = await api("/status");
    const now = Date.now();
    heights.push({ t: now, h: Number(s.latest_block_height) });
    while (heights.length && now - heights[0].t > 600000) heights.shift();
    chart($("net-chart"));
    const age = (now - Date.parse(s.latest_block_time)) / 1000;
    return [card("chain", s.chain_id), card("height", s.latest_block_height),
      card("app hash", String(s.latest_app_hash).slice(0, 16) + "…"),
      card("last block", age < 0 ? "now" : age.toFixed(1) + " s ago", age > 30 ? "bad" : "ok"),
      card("this node", s.moniker + (s.catching_up ? " (catching up)" : ""))];
  });
  await show($("net-validators"), async () => {
    const v = await api("/validators");
    return [el("p", { class: "muted" }, "at height " + v.height + ", total voting power " + v.total_voting_power + "; one app hash at each height is what their signatures on the block commit to"),
      table(v.items.map((x) => ({ participant: x.participant, address: x.address, voting_power: x.voting_power, proposer_priority: x.proposer_priority })))];
  });
  await show($("net-invariants"), async () => {
    const r = await api("/invariants");
    const v = r.value || r;
    const broken = v.broken || [];
    const head = broken.length ? el("p", { class: "bad" }, broken.length + " invariant(s) broken at height " + r.height)
      : el("p", { class: "ok" }, "Every invariant holds at height " + r.height);
    const checks = v.checks || v.results || v.invariants;
    return [head, Array.isArray(checks) ? table(checks) : table([v])];
  });
}

// ---- Custody ---------------------------------------------------------------

async function participants() { return (await api("/participants")).items; }

async function loadCustody() {
  await show($("custody-supply"), async () => {
    const r = await api("/supply", { prove: "true" });
    return [table([r.value]), el("p", { class: "muted" }, "at height " + r.height + " ", proofMark(r))];
  });
  let ps = [];
  await show($("custody-participants"), async () => { ps = await participants(); return table(ps, ["id", "role", "name"].filter((c) => ps.some((p) => c in p))); });
  await show($("custody-totals"), async () => {
    const banks = ps.filter((p) => /BANK/.test(p.role)), brokers = ps.filter((p) => /BROKER/.test(p.role));
    const rows = [];
    for (const b of banks) for (const k of brokers) {
      try {
        const r = await api("/custody/" + seg(b.id) + "/" + seg(k.id), { prove: "true" });
        rows.push({ bank_id: b.id, broker_id: k.id, total: r.value.total, height: r.height, _rec: r });
      } catch (e) { if (e.status !== 404 && e.status !== 403) throw e; }
    }
    if (!rows.length) return note("No custody total is readable with your role.");
    return table(rows, ["bank_id", "broker_id", "total", "height"], { title: "proof", cell: (r) => proofMark(r._rec) });
  });
}

// ---- Account ---------------------------------------------------------------

async function loadAccount(id) {
  const view = clear($("account-view"));
  if (!id) { view.append(note("Give an account id.")); return; }
  const part = (title) => { const d = el("div"); view.append(el("h3", {}, title), d); return d; };
  const a = part("Account " + id), f = part("Funds"), h = part("Holdings"), o = part("Orders"),
    l = part("Fund ledger (资金流水)"), t = part("Transfers");
  const rec = (r) => [table([r.value]), el("p", { class: "muted" }, "at height " + r.height + " ", proofMark(r))];
  await show(a, async () => {
    const r = await api("/accounts/" + seg(id), { prove: "true" });
    const v = r.value;
    return rec({ ...r, value: { id: v.id, broker_id: v.broker_id, bank_id: v.bank_id, status: v.status, frozen: v.frozen, shareholder_accounts: (v.shareholder_accounts || []).join(" "), opened_height: v.opened_height } });
  });
  await show(f, async () => rec(await api("/accounts/" + seg(id) + "/funds", { prove: "true" })));
  await show(h, async () => table((await api("/accounts/" + seg(id) + "/holdings")).items));
  await show(o, async () => {
    const items = (await api("/accounts/" + seg(id) + "/orders", { limit: "50" })).items || [];
    return table(items.map((x) => ({ order_id: x.order_id || x.id, security: x.security, side: x.side, price: x.price, quantity: x.quantity, filled: x.filled_quantity, status: x.status })));
  });
  await show(l, async () => table((await api("/accounts/" + seg(id) + "/ledger", { limit: "50" })).items, ["seq", "reason", "ref_id", "amount", "balance", "available", "frozen", "unsettled", "height"]));
  await show(t, async () => table((await api("/accounts/" + seg(id) + "/transfers", { limit: "50" })).items));
}

// ---- Settlement and reconciliation ----------------------------------------

async function loadSettlement() {
  let date = $("date").value.trim();
  if (!date) {
    try {
      const d = (await api("/business-day")).value;
      // The day just settled is the one before the open business date.
      date = String(d.previous_date || d.last_settled_date || d.date || "");
      $("date").value = date;
    } catch (_) { /* leave empty */ }
  }
  const items = (r) => r.items || (r.value && (r.value.results || r.value.reports)) || [];
  if (date) {
    await show($("set-reports"), async () => table(items(await api("/settlement/" + seg(date) + "/reports")),
      ["date", "broker_id", "fill_count", "buy_value", "sell_value", "fee_total", "net_obligation"]));
    await show($("rec-results"), async () => table(items(await api("/reconciliation/" + seg(date)))));
  } else {
    clear($("set-reports")).append(note("Give a business date."));
    clear($("rec-results")).append(note("Give a business date."));
  }
  await show($("set-breaks"), async () => table(items(await api("/settlement/breaks"))));
  await show($("rec-breaks"), async () => table(items(await api("/reconciliation/breaks"))));
}

// ---- Surveillance ------------------------------------------------------------

// riskApi GETs one of the risk core's read routes through this node
// (console/risk.go relays them to riskd with the caller's own token).
async function riskApi(path, params) {
  const q = params ? "?" + new URLSearchParams(params).toString() : "";
  const res = await fetch("/ui/risk/v1" + path + q, {
    headers: { Authorization: "Bearer " + session.token, Accept: "application/json" }, cache: "no-store", credentials: "omit",
  });
  let body = null;
  try { body = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

const hexToBytes = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
const bytesToHex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

// nodeHash is RFC 6962's interior node: SHA-256(0x01 || left || right).
async function nodeHash(l, r) {
  const buf = new Uint8Array(1 + l.length + r.length);
  buf[0] = 1; buf.set(l, 1); buf.set(r, 1 + l.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
}

// inclusionRoot walks an audit path from the leaf to the root (RFC 9162
// §2.1.3.2, as risk/anchor.Verify does) and answers the root it reaches,
// or null when the path does not fit the tree.
async function inclusionRoot(p) {
  if (p.index < 0 || p.index >= p.count) return null;
  let fn = p.index, sn = p.count - 1, r = hexToBytes(p.leaf);
  for (const s of p.path || []) {
    if (sn === 0) return null;
    const h = hexToBytes(s);
    if ((fn & 1) === 1 || fn === sn) {
      r = await nodeHash(h, r);
      while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      r = await nodeHash(r, h);
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 ? bytesToHex(r) : null;
}

// alertMark fetches an alert's inclusion proof from the risk core and
// checks it in the page against the root anchored on chain for its batch
// (read from this node's /v1/anchors). The leaf is the risk core's hash of
// the alert's canonical bytes; riskd verify-alert also recomputes that.
function alertMark(alert, roots) {
  const mark = el("span", { class: "mark none" }, "checking…");
  (async () => {
    const p = (await riskApi("/alerts/" + seg(alert.id) + "/proof")).proof;
    const onChain = roots.get(String(p.batch));
    if (!onChain) { mark.textContent = "batch " + p.batch + " not anchored yet"; return; }
    const root = await inclusionRoot(p);
    if (root && root === p.root.toLowerCase() && root === onChain.root.toLowerCase()) {
      mark.className = "mark"; mark.textContent = "✓ in batch " + p.batch;
      mark.title = "audit path of " + (p.path || []).length + " hashes reaches root " + root + ", anchored on chain at height " + onChain.height;
    } else {
      mark.className = "mark bad"; mark.textContent = "✗ not in anchored batch " + p.batch;
      mark.title = "the path reaches " + root + "; the chain's root is " + onChain.root;
    }
  })().catch((e) => { mark.textContent = e.status === 404 ? "not anchored yet" : "proof not checked"; mark.title = e.message; });
  return mark;
}

async function loadSurveillance() {
  const roots = new Map(); // batch seq → {root, height}, from the chain
  await show($("surv-anchors"), async () => {
    const ops = (await participants()).filter((p) => /RISK/.test(p.role));
    if (!ops.length) return note("No risk operator in this network.");
    const out = [];
    for (const op of ops) {
      out.push(el("h3", {}, "Batches anchored by " + op.id));
      try {
        const r = await api("/anchors/" + seg(op.id), { limit: "100" });
        for (const b of r.items || []) roots.set(String(b.seq), { root: b.root, height: b.height });
        out.push(table((r.items || []).map((b) => ({ seq: b.seq, alerts: b.first_seq + "–" + b.last_seq, count: b.count, root: b.root, params_hash: b.params_hash, height: b.height }))));
      } catch (e) { out.push(refusal(e)); }
    }
    return out;
  });
  await show($("surv-alerts"), async () => {
    const rule = $("alert-rule").value.trim(), account = $("alert-account").value.trim();
    const q = { limit: "100" };
    if (rule) q.rule = rule;
    if (account) q.account = account;
    let alerts;
    try { alerts = await riskApi("/alerts", q); }
    catch (e) {
      if (e.code === "console/no-risk-core") return note("This node relays no risk core (no [api] risk_admin in its app.toml).");
      throw e;
    }
    const counts = {};
    for (const a of alerts) counts[a.rule] = (counts[a.rule] || 0) + 1;
    const summary = el("p", {}, alerts.length + " alert(s)" + (alerts.length ? ": " + Object.entries(counts).map(([k, v]) => k + " " + v).join(", ") : ""));
    return [summary, table(alerts.map((a) => ({ seq: a.seq, id: a.id, rule: a.rule, severity: a.severity, accounts: (a.accounts || []).join(" "), security: a.security, status: a.status, time: a.time, detail: a.detail })),
      null, { title: "anchored", cell: (row) => alertMark(row, roots) })];
  });
  await show($("surv-params"), async () => {
    let vs;
    try { vs = await riskApi("/rules/versions"); }
    catch (e) { if (e.code === "console/no-risk-core") return note("No risk core relayed."); throw e; }
    return table(vs.map((v) => ({ version: v.version, who: v.who, when: v.when, hash: v.hash })));
  });
}

// ---- tabs and polling ------------------------------------------------------------

const loaders = { network: loadNetwork, custody: loadCustody, account: () => loadAccount($("account-id").value.trim()), settlement: loadSettlement, surveillance: loadSurveillance };
let current = null, timer = null;

function stopPolling() { if (timer) clearInterval(timer); timer = null; }

function showTab(name) {
  current = name;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("active", s.id === "tab-" + name);
  stopPolling();
  loaders[name]();
  if (name === "network") timer = setInterval(() => { if (session && current === "network") loadNetwork(); }, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-btn").addEventListener("click", async () => {
    $("signin-error").textContent = "";
    try { await signIn($("token").value); }
    catch (e) { $("signin-error").textContent = "Sign-in failed: " + e.message; }
  });
  $("signout").addEventListener("click", signOut);
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("account-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadAccount($("account-id").value.trim()); });
  $("alert-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadSurveillance(); });
  $("date-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadSettlement(); });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved).catch(() => sessionStorage.removeItem(TOKEN_KEY));
});
