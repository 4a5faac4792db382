// A job's page reloads itself every second until the job is done, failed or cancelled.
(function () {
  const me = document.currentScript;
  if (me.dataset.final !== "1") setTimeout(() => location.reload(), 1000);
})();
async function cancelJob(id) {
  const reply = await fetch("/api/v1/jobs/" + id + "/cancel", { method: "POST", credentials: "same-origin" });
  if (!reply.ok) alert((await reply.json()).error);
  location.reload();
}
