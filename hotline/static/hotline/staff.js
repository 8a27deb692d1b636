// The analyst's keyboard (issue 9): each outcome's key chooses it, Enter records the assessment,
// Escape returns the case to the queue (after asking), ? shows every key. It only speeds up
// what the page already does with a click; without it the page works the same.
// Loaded by every staff page (staff_base.html); it acts on what the page marks
// (form[data-keyboard-outcomes], form[data-keyboard-release], dialog#keyboard-help), looked up
// at each key press, so whichever page opens next (the next case) works alike.
(function () {
  "use strict";
  // Fields where a letter is typed, not a shortcut.
  var TEXT_INPUT = /^(text|search|email|url|tel|password|number|date|datetime-local|month|time|week)$/;

  function typingIn(element) {
    if (!element || !element.tagName) {
      return false;
    }
    if (element.isContentEditable) {
      return true;
    }
    var tag = element.tagName;
    return (
      tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && TEXT_INPUT.test(element.type))
    );
  }

  // Elements whose own Enter means something (press a button, follow a link, open a select).
  function ownsEnter(element) {
    if (!element || !element.tagName) {
      return false;
    }
    var tag = element.tagName;
    if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY" || typingIn(element)) {
      return true;
    }
    return tag === "INPUT" && /^(submit|button|reset|checkbox|file)$/.test(element.type);
  }

  // The outcome key a press means: the character typed for a Latin letter or digit; on a
  // layout that types something else there (Arabic, or AZERTY's digits), the key's place on a
  // US keyboard, so "b" is the same key whatever the layout.
  function outcomeKey(event) {
    var typed = (event.key || "").toLowerCase();
    if (/^[a-z0-9]$/.test(typed)) {
      return typed;
    }
    if (typed.length !== 1) {
      return ""; // Enter, Shift, F5 ...
    }
    var place = /^(?:Key([A-Z])|Digit([0-9]))$/.exec(event.code || "");
    return place ? (place[1] || place[2]).toLowerCase() : "";
  }

  function isHelpKey(event) {
    return event.key === "?" || event.key === "\u061f"; // ؟ on an Arabic layout
  }

  function send(form) {
    if (!form || form.dataset.sending) {
      return;
    }
    form.dataset.sending = "1"; // one assessment per press, however fast the keys repeat
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function toggleHelp(help) {
    if (help.open) {
      help.close();
    } else {
      help.showModal();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) {
      return;
    }
    var target = event.target;
    var help = document.getElementById("keyboard-help");
    if (help && help.open) {
      // The dialog keeps its own keys (Escape closes it, Tab stays in it); ? closes it too.
      if (isHelpKey(event)) {
        event.preventDefault();
        help.close();
      }
      return;
    }
    if (help && isHelpKey(event) && !typingIn(target)) {
      event.preventDefault();
      toggleHelp(help);
      return;
    }
    var form = document.querySelector("form[data-keyboard-outcomes]");
    if (!form) {
      return;
    }
    if (event.key === "Enter") {
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        send(form);
      } else if (!event.altKey && !event.shiftKey && !ownsEnter(target)) {
        event.preventDefault();
        send(form);
      }
      return;
    }
    if (event.key === "Escape") {
      if (typingIn(target)) {
        target.blur(); // out of the field first: the next Escape is for the case
        event.preventDefault();
        return;
      }
      var release = document.querySelector("form[data-keyboard-release]");
      if (release) {
        event.preventDefault();
        if (window.confirm(release.getAttribute("data-confirm") || "?")) {
          send(release);
        }
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typingIn(target)) {
      return;
    }
    var key = outcomeKey(event);
    if (!key) {
      return;
    }
    var radio = form.querySelector('input[type="radio"][data-key="' + key + '"]');
    if (radio) {
      event.preventDefault();
      radio.checked = true;
      radio.focus();
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // The keys are shown only where they work: with this script running.
    if (!document.querySelector("form[data-keyboard-outcomes]")) {
      return;
    }
    document.querySelectorAll("[data-keyboard-hint]").forEach(function (hint) {
      hint.hidden = false;
    });
    var help = document.getElementById("keyboard-help");
    document.querySelectorAll("[data-keyboard-help-open]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (help) {
          toggleHelp(help);
        }
      });
    });
  });

  // Back to a page kept in the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
    });
  });
})();
