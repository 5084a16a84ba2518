// The composer's picker of canned responses and macros (apps/macros/admin.py). "Insert" fetches the text rendered
// for this ticket and hands it to window.ticketComposer.insert (the ticket page's composer); "Apply" posts the
// macro (CSRF token from the panel) and the server comes back to the ticket page with a message.
(function () {
  "use strict";
  var panel = document.getElementById("macro-picker");
  if (!panel) {
    return;
  }
  var status = panel.querySelector("[data-macro-status]");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function insert(text) {
    if (window.ticketComposer && typeof window.ticketComposer.insert === "function") {
      window.ticketComposer.insert(text);
      return;
    }
    var box = document.getElementById("composer-body");
    if (box) {
      box.value = box.value ? box.value + "\n" + text : text;
      box.focus();
    }
  }

  panel.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !panel.contains(button)) {
      return;
    }
    if (button.dataset.macroInsert) {
      fetch(button.dataset.macroInsert, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          insert(data.text);
          say(panel.dataset.insertedText || "");
        })
        .catch(function () {
          say(panel.dataset.failedText || "");
        });
    } else if (button.dataset.macroApply) {
      var form = document.createElement("form");
      form.method = "post";
      form.action = button.dataset.macroApply;
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrfmiddlewaretoken";
      token.value = panel.dataset.csrfToken;
      form.appendChild(token);
      document.body.appendChild(form);
      form.submit();
    }
  });

  var filter = document.getElementById("macro-picker-filter");
  if (filter) {
    // The picker may sit inside the ticket page's form: Enter in the filter must not submit it.
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
    filter.addEventListener("input", function () {
      var words = filter.value.trim().toLowerCase();
      panel.querySelectorAll("[data-macro-title]").forEach(function (item) {
        item.hidden = words !== "" && item.dataset.macroTitle.indexOf(words) === -1;
      });
    });
  }
})();
