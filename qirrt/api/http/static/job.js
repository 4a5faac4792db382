// A job's page reloads itself every second until the job is done, failed or cancelled; Cancel calls the API.
(function () {
  const me = document.currentScript;
  if (me.dataset.final !== "1") setTimeout(() => location.reload(), 1000);
  const button = document.getElementById("cancel");
  if (button) {
    button.addEventListener("click", async () => {
      const reply = await fetch("/api/v1/jobs/" + button.dataset.job + "/cancel",
                                { method: "POST", credentials: "same-origin" });
      if (!reply.ok) alert((await reply.json()).error);
      location.reload();
    });
  }
})();
