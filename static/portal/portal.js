/* Ticket System portal: small progressive enhancements. The pages work without this file.
 *
 * File fields: list the chosen files with their sizes and point out, before anything is uploaded, the ones
 * the server will refuse (too large, type not accepted). Messages come from the field's data attributes,
 * translated on the server; the server checks every file again in any case.
 */
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function fill(template, name) {
    return template.split("{name}").join(name);
  }

  function enhance(input) {
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
    var accepted = (input.getAttribute("accept") || "")
      .split(",")
      .map(function (ext) { return ext.trim().toLowerCase(); })
      .filter(Boolean);
    var tooLarge = input.getAttribute("data-too-large") || "";
    var wrongType = input.getAttribute("data-wrong-type") || "";

    var list = document.createElement("ul");
    list.className = "file-list";
    list.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);

    input.addEventListener("change", function () {
      list.textContent = "";
      Array.prototype.forEach.call(input.files || [], function (file) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.textContent = file.name + " (" + formatSize(file.size) + ")";
        item.appendChild(name);
        var dot = file.name.lastIndexOf(".");
        var ext = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
        var problem = "";
        if (maxBytes && file.size > maxBytes) {
          problem = fill(tooLarge, file.name);
        } else if (accepted.length && accepted.indexOf(ext) === -1) {
          problem = fill(wrongType, file.name);
        }
        if (problem) {
          var warning = document.createElement("span");
          warning.className = "file-problem";
          warning.textContent = problem;
          item.appendChild(warning);
        }
        list.appendChild(item);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-bytes]"), enhance);
  });
})();
