// The console's small behaviours: SLA countdowns, the queue's live updates (server-sent events),
// snippets to insert, the answer's preview, the delivery status coming back. No build step.
"use strict";

const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

function countdown(cell, now) {
  const due = cell.dataset.due;
  if (!due) return;
  const left = Math.round((Date.parse(due) - now) / 1000);
  const state = cell.dataset.state;
  if (state === "breached" || left <= 0) {
    cell.className = "sla sla-breached";
    const t = Math.abs(left);
    cell.textContent = "-" + Math.floor(t / 60) + ":" + String(t % 60).padStart(2, "0");
    return;
  }
  cell.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  const warn = cell.dataset.warn ? Date.parse(cell.dataset.warn) : Infinity;
  cell.className = "sla sla-" + (state === "warning" || now >= warn ? "warning" : "ok");
}

function tick() {
  const now = Date.now();
  document.querySelectorAll(".sla[data-due]").forEach((cell) => countdown(cell, now));
}

function renderRows(queue, rows) {
  const root = queue.dataset.root;
  const body = queue.querySelector("#queue tbody");
  const labels = JSON.parse(queue.dataset.labels || "{}");
  const label = (key, fallback) => labels[key] || fallback;
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.case = r.case_id;
    tr.className = "urgency-" + r.urgency;
    const cells = [label("urgency_" + r.urgency, r.urgency), r.channel, r.customer, label("case_" + r.status, r.status), "",
      r.claimed_by || ""];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 4) {
        td.className = "sla sla-" + r.sla_state;
        td.dataset.due = r.sla_due_at || "";
        td.dataset.warn = r.sla_warn_at || "";
        td.dataset.state = r.sla_state;
        td.textContent = r.sla_state;
      }
      tr.appendChild(td);
    });
    const open = document.createElement("td");
    const a = document.createElement("a");
    a.href = root + "/cases/" + r.case_id;
    a.textContent = queue.dataset.open;
    open.appendChild(a);
    tr.appendChild(open);
    return tr;
  }));
  tick();
}

function liveQueue(queue) {
  const dept = queue.dataset.department;
  if (!dept) return;
  const base = queue.dataset.root + "/queue/" + encodeURIComponent(dept);
  const badge = document.getElementById("live");
  const refresh = () => fetch(base + "/rows", { headers: { accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status))).then((d) => renderRows(queue, d.rows)).catch(() => {});
  const source = new EventSource(base + "/stream?after=" + (queue.dataset.after || "0"));
  source.onopen = () => { badge.className = "live on"; badge.textContent = badge.dataset.on; };
  source.onerror = () => { badge.className = "live off"; badge.textContent = badge.dataset.off; };
  // every kind of case event (heed.contracts.events.CaseEventKind) may change the queue
  ["opened", "mention_added", "first_response", "sla_breached", "closed", "acknowledged", "queued", "claimed", "released", "answered", "answer_failed", "awaiting_customer", "customer_replied", "urgency_raised", "transferred", "note_added", "sla_warning", "escalated", "resolved", "reopened", "follow_up_sent", "rated", "verified", "reserved"].forEach((kind) =>
    source.addEventListener(kind, refresh));
}

function caseView(article) {
  const root = article.dataset.root;
  const base = root + "/cases/" + article.dataset.case;
  const text = document.getElementById("answer-text");
  const visibility = document.getElementById("answer-visibility");
  const snippets = document.getElementById("snippets");
  let timer = null;
  const preview = () => {
    fetch(base + "/preview", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: JSON.stringify({ text: text.value, visibility: visibility.value }) })
      .then((r) => r.json().then((d) => ({ ok: r.ok, d })))
      .then(({ ok, d }) => {
        const guard = document.getElementById("guard");
        const reasons = document.getElementById("guard-reasons");
        if (!ok) { guard.className = "held"; guard.textContent = d.error || ""; reasons.replaceChildren(); return; }
        document.getElementById("preview-text").textContent = d.text;
        document.getElementById("preview-script").textContent = d.script ? "zh-" + d.script : d.language;
        document.getElementById("preview-length").textContent = d.length + " / " + d.limit;
        guard.className = d.ok ? "ok" : "held";
        guard.textContent = d.ok ? guard.dataset.ok : guard.dataset.held;
        reasons.replaceChildren(...d.reasons.map((why) => { const li = document.createElement("li"); li.textContent = why; return li; }));
      }).catch(() => {});
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(preview, 250); };
  text.addEventListener("input", later);
  visibility.addEventListener("change", preview);
  fetch(base + "/snippets", { headers: { accept: "application/json" } }).then((r) => (r.ok ? r.json() : null)).then((d) => {
    if (!d) return;
    d.items.forEach((s) => { const o = document.createElement("option"); o.value = s.text; o.textContent = s.kind + ": " + s.id; snippets.appendChild(o); });
  }).catch(() => {});
  snippets.addEventListener("change", () => {
    if (!snippets.value) return;
    text.value = text.value ? text.value + "\n" + snippets.value : snippets.value;
    snippets.value = "";
    preview();
  });
  const list = document.getElementById("delivery");
  const poll = () => fetch(base + "/delivery", { headers: { accept: "application/json" } }).then((r) => (r.ok ? r.json() : null)).then((d) => {
    if (!d) return;
    const status = document.getElementById("case-status");
    if (status.dataset.status !== d.status) { status.dataset.status = d.status; status.textContent = d.status; }
    list.replaceChildren(...d.answers.map((a) => {
      const li = document.createElement("li");
      li.dataset.answer = a.answer_id;
      li.className = "delivery-" + a.status;
      li.textContent = a.author + " · " + a.visibility + " · " + (list.dataset[a.status] || a.status) + (a.error ? ": " + a.error : "");
      return li;
    }));
  }).catch(() => {});
  if (list.children.length) setInterval(poll, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-autosubmit]").forEach((s) => s.addEventListener("change", () => {
    s.form.querySelector('input[name="back"]').value = location.pathname;
    s.form.submit();
  }));
  tick();
  setInterval(tick, 1000);
  const queue = document.querySelector("section.queue");
  if (queue) liveQueue(queue);
  const article = document.querySelector("article.case");
  if (article) caseView(article);
});
