/* The unread-notifications counter of the portal's header and of the back office's sidebar, kept current
 * without reloading the page.
 *
 * Every element with data-unread-url is watched: its counter (the element itself, or the [data-unread-count]
 * inside it) is refreshed from that URL every data-unread-interval seconds. The last ETag goes back as
 * If-None-Match, so an unchanged count costs a 304 without a body. Polling pauses while the tab is hidden and
 * stops for good when the session has ended (401/403). The pages carry only data attributes: no inline script.
 */
(function () {
  "use strict";

  function counterOf(host) {
    return host.hasAttribute("data-unread-count") ? host : host.querySelector("[data-unread-count]");
  }

  function show(counter, count) {
    var text = String(count);
    counter.setAttribute("data-unread-count", text);
    // The number is the counter's first text node; what follows it (words for screen readers) stays.
    var first = counter.firstChild;
    if (first && first.nodeType === Node.TEXT_NODE) {
      first.nodeValue = text;
    } else {
      counter.insertBefore(document.createTextNode(text), first);
    }
    if (counter.classList.contains("counter")) {
      counter.hidden = count === 0;
    }
  }

  function watch(host) {
    var url = host.getAttribute("data-unread-url");
    var counter = counterOf(host);
    var seconds = Math.max(parseInt(host.getAttribute("data-unread-interval"), 10) || 10, 2);
    if (!url || !counter || !window.fetch) return;
    var etag = null;
    var timer = null;
    var busy = false;
    var stopped = false;

    function schedule() {
      if (!stopped && timer === null) timer = window.setTimeout(poll, seconds * 1000);
    }

    function poll() {
      timer = null;
      if (stopped || busy || document.hidden) return; // a hidden tab resumes on visibilitychange
      busy = true;
      var headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      // no-store: the browser's cache stays out of it, so a 304 reaches this code as a 304.
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 401 || response.status === 403) {
            stopped = true;
            return null;
          }
          if (!response.ok) return null; // 304: nothing changed
          etag = response.headers.get("ETag");
          return response.json();
        })
        .then(function (data) {
          if (data && typeof data.unread === "number") show(counter, data.unread);
        })
        .catch(function () { /* offline for a moment: try again at the next tick */ })
        .then(function () {
          busy = false;
          schedule();
        });
    }

    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && timer === null && !busy) poll();
    });
    schedule();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-unread-url]"), watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
