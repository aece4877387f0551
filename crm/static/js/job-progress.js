// Job progress (imports, a source's recompute): poll the job's status and move the
// Bootstrap progress bar; reload the page when the job ends, so the server renders the
// summary. Without JavaScript the page refreshes itself (<noscript> meta refresh) instead.
(function () {
  "use strict";

  var box = document.getElementById("job-progress");
  if (!box || !window.fetch) {
    return;
  }
  var bar = box.querySelector(".progress-bar");
  var message = document.getElementById("job-message");
  var url = box.getAttribute("data-status-url");
  var POLL_MS = 1000;
  var RETRY_MS = 5000;

  function show(percent, text) {
    var value = Math.max(0, Math.min(100, Number(percent) || 0));
    // CSSOM writes are allowed by the CSP; inline style attributes are not.
    bar.style.width = value + "%";
    bar.textContent = value + "%";
    box.setAttribute("aria-valuenow", String(value));
    if (message && typeof text === "string") {
      message.textContent = text;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data.percent, data.message);
        if (data.status === "done" || data.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, POLL_MS);
        }
      })
      .catch(function () {
        window.setTimeout(poll, RETRY_MS);
      });
  }

  show(box.getAttribute("aria-valuenow"));
  window.setTimeout(poll, POLL_MS);
})();
