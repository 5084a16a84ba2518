/* The ticket page's composer: search published articles (all audiences, for agents) and insert a link to an
 * article or its text into the reply, through window.ticketComposer.insert(text) when the page offers it, else
 * at the cursor of the reply box (#composer-body).
 */
(function () {
  "use strict";

  var panel = document.getElementById("knowledge-composer");
  if (!panel) return;
  var input = document.getElementById("knowledge-composer-q");
  var list = document.getElementById("knowledge-composer-results");
  var template = document.getElementById("knowledge-composer-item");
  var timer = null;
  var sequence = 0;

  function insert(text) {
    if (window.ticketComposer && typeof window.ticketComposer.insert === "function") {
      window.ticketComposer.insert(text);
      return;
    }
    var box = document.getElementById("composer-body") || document.querySelector("textarea[name=reply_body]");
    if (!box) return;
    var start = box.selectionStart || box.value.length;
    var end = box.selectionEnd || start;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function show(articles) {
    list.textContent = "";
    articles.forEach(function (article) {
      var item = template.content.firstElementChild.cloneNode(true);
      item.querySelector(".knowledge-title").textContent = article.title + " (" + article.language + ")";
      item.querySelector(".knowledge-excerpt").textContent = article.excerpt;
      item.querySelector(".knowledge-insert-link").addEventListener("click", function () {
        insert(article.title + ": " + article.url);
      });
      item.querySelector(".knowledge-insert-text").addEventListener("click", function () {
        insert(article.text);
      });
      list.appendChild(item);
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var text = input.value.trim();
      if (!text) {
        show([]);
        return;
      }
      var mine = ++sequence;
      fetch(panel.getAttribute("data-search-url") + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { articles: [] }; })
        .then(function (data) { if (mine === sequence) show(data.articles || []); })
        .catch(function () {});
    }, 250);
  });
})();
