// The ticket page's composer and toggles (admin/tickets/ticket/page.html). Other apps put tools into the
// composer (extensions.AdminPanel, column "composer") and insert text with window.ticketComposer.insert(text).
(function () {
  "use strict";

  function store(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (error) { /* storage off: no drafts, nothing else lost */ }
  }

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return null; }
  }

  var body = document.getElementById("composer-body");

  window.ticketComposer = {
    element: body,
    // Insert text at the cursor (or replace the selection) and keep the draft.
    insert: function (text) {
      if (!body) return;
      var start = body.selectionStart, end = body.selectionEnd;
      body.setRangeText(String(text), start, end, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
      body.focus();
    },
  };

  if (body) {
    var form = body.form;
    var key = "ticket-draft-" + form.dataset.ticket;
    if (form.hasAttribute("data-sent")) {
      store(key, null);
      // A later reload of this address must not throw away a new draft.
      var url = new URL(window.location.href);
      url.searchParams.delete("sent");
      window.history.replaceState(null, "", url.toString());
    }
    else if (!body.value && stored(key)) body.value = stored(key);
    body.addEventListener("input", function () { store(key, body.value || null); });

    var note = document.getElementById("composer-kind-note");
    var showKind = function () { form.classList.toggle("tp-note", note.checked); };
    form.querySelectorAll('input[name="kind"]').forEach(function (radio) { radio.addEventListener("change", showKind); });
    showKind();
    form.addEventListener("submit", function () {
      window.setTimeout(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }, 0);
    });
  }

  var department = document.getElementById("property-department");
  var transferNote = document.getElementById("transfer-note");
  if (department && transferNote) {
    department.addEventListener("change", function () {
      var option = department.options[department.selectedIndex];
      transferNote.textContent = option && option.hasAttribute("data-unassigns") ? transferNote.dataset.template : "";
    });
  }
})();
