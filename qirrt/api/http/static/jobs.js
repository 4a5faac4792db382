// The jobs table, refreshed every second from /api/v1/jobs (the login cookie authenticates the call).
(function () {
  const table = document.getElementById("jobs");
  const state = table.dataset.state;
  const fmtTime = (t) => (t ? new Date(t * 1000).toLocaleTimeString() : "");
  const fmtS = (s) => (s === null || s === undefined ? "" : s < 1 ? (s * 1000).toFixed(0) + " ms" : s.toFixed(1) + " s");
  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }
  async function refresh() {
    const query = new URLSearchParams({ limit: "100" });
    if (state) query.set("state", state);
    try {
      const reply = await fetch("/api/v1/jobs?" + query, { credentials: "same-origin" });
      if (!reply.ok) throw new Error(reply.status);
      const page = await reply.json();
      const body = document.createElement("tbody");
      for (const j of page.jobs) {
        const row = body.insertRow();
        row.dataset.job = j.id;
        const link = document.createElement("a");
        link.href = "/jobs/" + j.id;
        link.textContent = j.id.slice(0, 12);
        cell(row, "").appendChild(link);
        cell(row, j.user);
        cell(row, j.state, "state state-" + j.state);
        cell(row, String(j.attempt));
        cell(row, Math.round(100 * j.progress) + "%");
        cell(row, String(j.priority));
        cell(row, fmtTime(j.submitted_at));
        cell(row, j.started_at && j.finished_at ? fmtS(j.finished_at - j.started_at) : "");
      }
      table.replaceChild(body, table.tBodies[0]);
      document.getElementById("total").textContent = page.total + " jobs";
      document.getElementById("live").textContent = "live";
    } catch (e) {
      document.getElementById("live").textContent = "not updating (" + e.message + ")";
    }
  }
  setInterval(refresh, 1000);
})();
