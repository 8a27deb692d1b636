// Keeps the analyst's claim on the case open on this page: renews its lease every minute (the
// server's answer says until when, in words), and says so at once when the claim has ended
// (it ran out while the computer slept, say, and the case went back to the queue). Without
// JavaScript the page works all the same; the claim then lasts from the last page load.
(function () {
  "use strict";
  var lease = document.querySelector("[data-lease-url]");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (!lease || !token || !window.fetch) return;
  var every = parseInt(lease.getAttribute("data-lease-every"), 10) * 1000 || 60000;
  var timer = null;

  function renew() {
    fetch(lease.getAttribute("data-lease-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.value, "Accept": "application/json" },
    })
      .then(function (response) {
        if (response.redirected) throw new Error("signed out");
        return response.json().then(function (body) {
          lease.textContent = body.text;
          if (!body.held) {
            lease.classList.add("lost");
            lease.setAttribute("role", "alert");
            window.clearInterval(timer);
          }
        });
      })
      // Offline for a moment, or signed out: the next beat (or the next page) tells.
      .catch(function () {});
  }

  timer = window.setInterval(renew, every);
})();
