// Analyst welfare on the case page (hotline/assessment/welfare.py says how exposure counts).
// 1. The heartbeat: while the page is visible, tell the server every interval that a case is
//    showing, and say at once when the page is shown, hidden or left, so that time on other
//    tabs, other programs or the queue is not counted. The server answers whether the break
//    reminder or the daily limit is due: the banners it rendered hidden are shown without a
//    reload, which would lose a half-filled assessment.
// 2. The reminder's "Dismiss" is sent in the background for the same reason.
// 3. Captured images stay grey and blurred; a button reveals one at a time; revealing
//    another, Escape, or hiding the page blurs them again.
// Without this script the server still counts from opening a case to deciding it.
(function () {
  "use strict";

  function showBanner(name, due) {
    var banner = document.querySelector('[data-welfare-banner="' + name + '"]');
    if (banner) {
      banner.hidden = !due;
    }
  }

  var heart = document.querySelector("form[data-welfare-heartbeat]");
  if (heart && window.fetch && window.FormData) {
    var every = (Number(heart.getAttribute("data-interval")) || 30) * 1000;
    var beat = function (state) {
      var body = new FormData(heart);
      body.set("state", state);
      // keepalive: the beat sent as the page is left still arrives. redirect "manual": an
      // expired session answers with the sign-in page, which is not worth fetching.
      return fetch(heart.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        keepalive: true,
        redirect: "manual",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer) {
            showBanner("reminder", answer.reminder_due);
            showBanner("limit", answer.limit_reached);
          }
        })
        .catch(function () {});
    };
    var current = function () {
      return document.visibilityState === "visible" ? "visible" : "hidden";
    };
    // The server counted the page as showing when it rendered it; correct that at once if
    // the page was opened in a background tab.
    if (current() === "hidden") {
      beat("hidden");
    }
    window.setInterval(function () {
      if (current() === "visible") {
        beat("visible");
      }
    }, every);
    document.addEventListener("visibilitychange", function () {
      beat(current());
    });
    window.addEventListener("pagehide", function () {
      beat("hidden");
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        beat(current()); // back from the browser's page cache
      }
    });
  }

  var dismiss = document.querySelector("form[data-welfare-dismiss]");
  if (dismiss && window.fetch && window.FormData) {
    dismiss.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(dismiss.action, {
        method: "POST",
        body: new FormData(dismiss),
        credentials: "same-origin",
        redirect: "manual",
      })
        .then(function (response) {
          // The server answers a dismissal with a redirect back to this page.
          if (response.type !== "opaqueredirect" && !response.ok) {
            throw new Error("not dismissed");
          }
          showBanner("reminder", false);
        })
        .catch(function () {
          dismiss.submit(); // the background request failed: the ordinary way then
        });
    });
  }

  var previews = Array.prototype.slice.call(document.querySelectorAll("[data-preview]"));
  var blurAll = function (except) {
    previews.forEach(function (preview) {
      if (preview !== except) {
        preview.classList.remove("revealed");
        preview.querySelector("[data-preview-reveal]").setAttribute("aria-pressed", "false");
      }
    });
  };
  previews.forEach(function (preview) {
    var button = preview.querySelector("[data-preview-reveal]");
    button.addEventListener("click", function () {
      var reveal = !preview.classList.contains("revealed");
      blurAll(preview);
      preview.classList.toggle("revealed", reveal);
      button.setAttribute("aria-pressed", reveal ? "true" : "false");
    });
  });
  if (previews.length) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        blurAll(null);
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") {
        blurAll(null);
      }
    });
  }
})();
