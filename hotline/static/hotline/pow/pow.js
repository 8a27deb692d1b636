// The report form's proof of work (hotline/intake/pow.py): ALTCHA's PoW v2, SHA-256 algorithm.
// When the person starts on the form, fetch a challenge and let worker.js find its counter in
// the background; the solution goes with the report, which is then filed as verified.
// Whatever fails here (no Web Crypto on plain HTTP, no workers, no network, too slow), the form
// is sent as it is and the report is filed unverified: nothing here may stop a report.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pow-challenge]");
  if (!form || !window.Worker || !window.fetch || !window.crypto || !window.crypto.subtle) {
    return;
  }
  var status = document.getElementById("pow-status");
  var field = document.createElement("input");
  field.type = "hidden";
  field.name = form.dataset.powField;
  form.appendChild(field);

  var MAX_WAIT = 30000; // at most this long between "Send" and sending, solved or not
  var MARGIN = 60000; // a solution this close to its expiry is not sent: solve another
  var solving = null; // the promise of the current solution (a payload, or "" on failure)
  var expiresAt = 0; // of the current challenge, in ms; 0 while it is being fetched
  var sending = false;

  function say(key) {
    if (status) {
      status.textContent = (key && status.getAttribute("data-" + key)) || "";
    }
  }

  function search(challenge) {
    // One share of the counters for each worker (start i, step n), as the altcha widget does.
    var count = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));
    var workers = [];
    return new Promise(function (resolve, reject) {
      var failed = 0;
      function fail() {
        failed += 1;
        if (failed === count) {
          reject(new Error("no solution"));
        }
      }
      for (var i = 0; i < count; i++) {
        var worker = new Worker(form.dataset.powWorker);
        workers.push(worker);
        worker.onmessage = function (event) {
          if (event.data) {
            resolve(event.data);
          } else {
            fail();
          }
        };
        worker.onerror = fail;
        worker.postMessage({ parameters: challenge.parameters, start: i, step: count });
      }
    }).finally(function () {
      workers.forEach(function (worker) {
        worker.terminate();
      });
    });
  }

  function solve() {
    expiresAt = 0;
    return fetch(form.dataset.powChallenge, { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("challenge: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (challenge) {
        expiresAt = challenge.parameters.expiresAt * 1000;
        return search(challenge).then(function (solution) {
          var payload = { challenge: challenge, solution: solution };
          return btoa(JSON.stringify(payload));
        });
      });
  }

  function begin() {
    if (solving && (expiresAt === 0 || Date.now() < expiresAt - MARGIN)) {
      return solving;
    }
    field.value = "";
    say("working");
    solving = solve().then(
      function (payload) {
        field.value = payload;
        say(sending ? "waiting" : "done");
        return payload;
      },
      function () {
        field.value = "";
        say("");
        solving = null; // try again at "Send", once
        return "";
      }
    );
    return solving;
  }

  form.addEventListener("focusin", begin, { once: true });
  form.addEventListener("submit", function (event) {
    if (sending) {
      event.preventDefault(); // already on its way
      return;
    }
    if (field.value && Date.now() < expiresAt - MARGIN) {
      return; // solved: send as it is
    }
    event.preventDefault();
    sending = true;
    say("waiting");
    var patience = new Promise(function (resolve) {
      setTimeout(resolve, MAX_WAIT);
    });
    Promise.race([begin(), patience]).then(function () {
      form.submit();
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      // Back to this page from the next one: its solution has been spent.
      sending = false;
      solving = null;
      field.value = "";
      say("");
    }
  });
})();
