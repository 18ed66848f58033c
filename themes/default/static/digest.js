// Paper Digest: keyboard shortcuts and the search page. Everything works without it.
(function () {
  "use strict";
  var items = function () { return Array.prototype.slice.call(document.querySelectorAll(".paper-item")); };
  var current = -1;
  function move(step) {
    var list = items();
    if (!list.length) return;
    if (current >= 0 && list[current]) list[current].classList.remove("is-current");
    current = Math.max(0, Math.min(list.length - 1, current + step));
    var item = list[current];
    item.classList.add("is-current");
    var link = item.querySelector("a");
    if (link) link.focus();
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      var box = document.getElementById("site-search");
      if (box) { event.preventDefault(); box.focus(); }
    } else if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    }
  });
  var mount = document.getElementById("search");
  if (mount) {
    var bundle = mount.getAttribute("data-bundle");
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = bundle + "pagefind-ui.css";
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = bundle + "pagefind-ui.js";
    script.onload = function () {
      var query = new URLSearchParams(window.location.search).get("q") || "";
      var ui = new window.PagefindUI({ element: "#search", bundleDirectory: bundle, showSubResults: false, showImages: false, resetStyles: false });
      if (query) ui.triggerSearch(query);
    };
    script.onerror = function () {
      mount.textContent = "Search is not available in this build.";
    };
    document.body.appendChild(script);
  }
})();
