// The crisis-alert banner on every console page a supervisor or admin sees: the open alerts from the
// server-sent events at /console/alerts/stream (the stream sends them at once, then on every change);
// it appears when an incident opens, updates as it grows, and goes when it resolves. No build step.
"use strict";

(function () {
  const banner = document.getElementById("alert-banner");
  if (!banner || !window.EventSource) return;
  const root = banner.dataset.root;

  function render(alerts) {
    banner.replaceChildren(...alerts.map((a) => {
      const item = document.createElement("div");
      item.className = "alert";
      item.dataset.alert = a.alert_id;
      item.dataset.total = a.total_count;
      const head = document.createElement("strong");
      head.textContent = banner.dataset.title + ": " + a.topic_kind.replace("_", " ") + " · " + a.topic;
      const counts = document.createElement("span");
      counts.className = "counts";
      counts.textContent = " — " + a.total_count + " " + banner.dataset.mentions + " (" + a.window_count + " "
        + banner.dataset.window + ")";
      item.append(head, counts);
      if (a.examples.length) {
        const list = document.createElement("span");
        list.className = "examples";
        list.append(" · " + banner.dataset.examples + ": ");
        a.examples.forEach((e, i) => {
          const link = document.createElement("a");
          link.href = root + "/cases/" + e.case_id;
          link.className = "example";
          link.textContent = e.channel + " #" + (i + 1);
          list.append(link, " ");
        });
        item.append(list);
      }
      return item;
    }));
    banner.hidden = alerts.length === 0;
  }

  const stream = new EventSource(banner.dataset.stream);
  stream.addEventListener("alerts", (event) => render(JSON.parse(event.data).alerts));
  stream.addEventListener("open", () => banner.classList.add("live"));
  stream.addEventListener("error", () => banner.classList.remove("live"));
})();
