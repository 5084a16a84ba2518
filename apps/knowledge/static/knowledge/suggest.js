/* The new-ticket page: while the requester types a title and description, suggest published help articles
 * (GET data-suggest-url?q=...). "This answered my question" submits the form to data-answered-url, which counts
 * the deflection and leaves without opening a ticket. The first time suggestions appear, the page tells
 * data-suggested-url (counted once per page). Without this script the form simply opens a ticket.
 */
(function () {
  "use strict";

  var box = document.getElementById("suggestions");
  if (!box) return;
  var form = box.closest("form");
  var title = document.getElementById("id_title");
  var description = document.getElementById("id_description");
  var list = document.getElementById("suggestion-list");
  var template = document.getElementById("suggestion-template");
  if (!form || !title || !list || !template) return;
  var token = form.querySelector("input[name=deflection_token]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;
  var sequence = 0;
  var reported = false;

  function report() {
    if (reported || !token || !csrf) return;
    reported = true;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf.value);
    data.append("deflection_token", token.value);
    fetch(box.getAttribute("data-suggested-url"), { method: "POST", body: data, credentials: "same-origin" });
  }

  function show(articles) {
    list.textContent = "";
    articles.forEach(function (article) {
      var item = template.content.firstElementChild.cloneNode(true);
      var link = item.querySelector(".suggestion-title");
      link.href = article.url;
      link.textContent = article.title;
      item.querySelector(".suggestion-excerpt").textContent = article.excerpt;
      var answered = item.querySelector(".suggestion-answered");
      answered.value = String(article.id);
      answered.setAttribute("formaction", box.getAttribute("data-answered-url"));
      answered.setAttribute("formmethod", "post");
      list.appendChild(item);
    });
    box.hidden = articles.length === 0;
    if (articles.length) report();
  }

  function lookUp() {
    var text = (title.value + " " + (description ? description.value.slice(0, 300) : "")).trim();
    if (text.length < 3) {
      show([]);
      return;
    }
    var mine = ++sequence;
    var url = box.getAttribute("data-suggest-url") + "?q=" + encodeURIComponent(text);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { articles: [] }; })
      .then(function (data) { if (mine === sequence) show(data.articles || []); })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 250);
  }

  title.addEventListener("input", later);
  if (description) description.addEventListener("input", later);
  if (title.value) lookUp();
})();
