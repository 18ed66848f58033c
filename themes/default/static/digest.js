// Paper Digest: keyboard shortcuts and the search page. Every page works without it.
//   /      focus the search box          Escape  leave it
//   j / k  next / previous paper of a list (or search result)
(function () {
  "use strict";
  var ITEMS = ".paper-item, .pagefind-ui__result";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  // Move from the item holding the focus (or the one moved to last) to the next or previous.
  var current = null;
  function move(step) {
    var list = Array.prototype.slice.call(document.querySelectorAll(ITEMS));
    if (!list.length) return;
    var at = -1;
    for (var i = 0; i < list.length && at < 0; i++) {
      if (list[i].contains(document.activeElement)) at = i;
    }
    if (at < 0) at = list.indexOf(current);
    var next = list[at < 0 ? 0 : Math.max(0, Math.min(list.length - 1, at + step))];
    if (current) current.classList.remove("is-current");
    current = next;
    next.classList.add("is-current");
    var link = next.querySelector("a[href]");
    if (link) link.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "/") {
      var box = document.querySelector("#search input[type=text], #search input[type=search]") ||
        document.getElementById("site-search");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    } else if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    }
  });

  // The search page: Pagefind's UI, from the bundle the build made next to the pages.
  var mount = document.getElementById("search");
  if (!mount) return;
  mount.setAttribute("data-digest-dynamic", ""); // built here: `digest serve` reloads it whole
  var bundle = new URL(mount.getAttribute("data-bundle"), document.baseURI).pathname;
  var query = new URLSearchParams(window.location.search).get("q") || "";
  var header = document.getElementById("site-search");
  if (header) header.value = query;
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = bundle + "pagefind-ui.css";
  document.head.appendChild(css);
  var script = document.createElement("script");
  script.src = bundle + "pagefind-ui.js";
  script.onload = function () {
    // bundlePath is absolute, so Pagefind's result links carry the site's sub-path too.
    var ui = new window.PagefindUI({
      element: "#search",
      bundlePath: bundle,
      showSubResults: false,
      showImages: false,
      excerptLength: 30,
      openFilters: ["topic"],
      autofocus: !query
    });
    nameFilters(mount);
    // Pagefind's box has only a placeholder: name it by the page's visible heading.
    var input = mount.querySelector("input");
    if (input) input.setAttribute("aria-labelledby", "search-heading");
    if (query) searchWhenFiltersLoaded(ui, bundle, query);
  };
  script.onerror = function () {
    var note = document.createElement("p");
    note.className = "note";
    note.textContent = "Search is not available in this build of the site.";
    mount.appendChild(note);
  };
  document.body.appendChild(script);

  // The index holds topic and tag slugs, not names: Pagefind's UI inserts a filter value as
  // HTML (decoded more than once), so a name with markup in it ran. Each label drawn gets
  // the name in place of the slug, as text; the text node is changed, not replaced, so
  // Pagefind's own updates of the label still find it.
  function nameFilters(mount) {
    var names = {};
    try { names = JSON.parse(mount.getAttribute("data-filter-names") || "{}"); } catch (e) { return; }
    function rename() {
      var labels = mount.querySelectorAll(".pagefind-ui__filter-label");
      for (var i = 0; i < labels.length; i++) {
        var box = labels[i].previousElementSibling;
        var text = labels[i].firstChild;
        var shown = box && names[box.name] && names[box.name][box.value];
        if (shown && text && text.nodeType === 3 && text.data === box.value) text.data = shown;
      }
    }
    new MutationObserver(rename).observe(mount, { childList: true, subtree: true });
  }

  // A search run before Pagefind has loaded every filter shows only the filters loaded so far
  // (seen: "Code" and "Tag" without "Topic" and "Year", one load in four): load them all first.
  // The UI imports the same module, so it finds them loaded.
  function searchWhenFiltersLoaded(ui, bundle, query) {
    import(bundle + "pagefind.js")
      .then(function (pagefind) {
        return pagefind.options({ bundlePath: bundle }).then(function () {
          return pagefind.filters();
        });
      })
      .catch(function () {})
      .then(function () {
        ui.triggerSearch(query);
      });
  }
})();

// A "Copy" button copies the text of the element its data-copy names (the BibTeX entry).
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });
})();
