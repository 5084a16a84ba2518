// Keyboard and screen-reader fixes for what the back office's template overrides cannot reach (see admin.css).
// - Material Symbols icons are ligature text ("arrow_back"): hidden from screen readers; an icon-only link or
//   button gets its title (or the icon's meaning) as its name instead.
// - select2's search boxes (autocomplete fields) are named after the field they search.
// - Any remaining element with a click handler that the keyboard cannot reach becomes a button for it.
(function () {
  "use strict";

  const ICON = ".material-symbols-outlined, .material-symbols";
  const CONTROL = "a, button, [role='button'], label, summary";
  // Elements that may carry an aria-label (a link without an address or a label may not).
  const NAMEABLE = "a[href], button, [role='button'], summary";

  function visibleText(element) {
    let text = "";
    element.childNodes.forEach((node) => {
      if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
      else if (node.nodeType === Node.ELEMENT_NODE && !node.matches(ICON) && node.getAttribute("aria-hidden") !== "true")
        text += visibleText(node);
    });
    return text.trim();
  }

  function hideIcons(root) {
    root.querySelectorAll(ICON).forEach((icon) => {
      if (icon.hasAttribute("aria-hidden")) return;
      const control = icon.closest(CONTROL);
      const named = control && (visibleText(control) || control.getAttribute("aria-label") || control.getAttribute("aria-labelledby"));
      if (control && !named) {
        if (!control.matches(NAMEABLE)) return; // the icon is its only name: leave it
        const name = control.getAttribute("title") || icon.getAttribute("title") || icon.textContent.trim().replace(/_/g, " ");
        control.setAttribute("aria-label", name);
      }
      icon.setAttribute("aria-hidden", "true");
    });
  }

  function nameSearchBoxes(root) {
    root.querySelectorAll(".select2-search__field:not([aria-label])").forEach((box) => {
      const container = box.closest(".select2-container");
      const select = container && container.previousElementSibling;
      const label = select && select.id && document.querySelector(`label[for="${select.id}"]`);
      box.setAttribute("aria-label", label ? label.textContent.trim() : box.getAttribute("placeholder") || "Search");
    });
  }

  function reachClickHandlers(root) {
    root.querySelectorAll("div, span, h2, h3, li, td").forEach((element) => {
      if (!(element.hasAttribute("x-on:click") || element.hasAttribute("@click"))) return;
      if (element.closest(CONTROL) || element.hasAttribute("tabindex")) return;
      if (element.id === "changelist-filter-close") return; // a backdrop: the filter sheet has its own close button
      element.setAttribute("role", "button");
      element.setAttribute("tabindex", "0");
      const menu = relatedMenu(element);
      element.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          element.click();
          // unfold moves a related-object menu to the end of the page: take the focus into it.
          if (menu) setTimeout(() => document.querySelector(`#${menu} a[href]`)?.focus(), 50);
        }
      });
      if (menu) {
        const field = menu.replace("related-widget-wrapper-", "");
        const label = document.querySelector(`label[for="id_${field}"]`);
        element.setAttribute("aria-haspopup", "true");
        element.setAttribute("aria-controls", menu);
        element.setAttribute("aria-label", `${label ? label.textContent.trim() : field}: ${(window.gettext || String)("More")}`);
      }
    });
  }

  // unfold's ⋮ menu beside a related field (x-ref="relatedWidgetWrapper<field>"): the id of its menu.
  function relatedMenu(element) {
    const ref = element.getAttribute("x-ref") || "";
    return ref.startsWith("relatedWidgetWrapper") ? `related-widget-wrapper-${ref.slice(20)}` : null;
  }

  function fix(root) {
    reachClickHandlers(root);
    hideIcons(root);
    nameSearchBoxes(root);
  }

  function start() {
    fix(document);
    new MutationObserver((changes) => {
      changes.forEach((change) =>
        change.addedNodes.forEach((node) => {
          if (node.nodeType === Node.ELEMENT_NODE) fix(node.parentElement || node);
        }),
      );
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
