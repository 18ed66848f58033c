// Paper Digest: keyboard shortcuts (search.js runs search). Every page works without it.
//   /      focus the search box          Escape  leave it
//   j / k  next / previous paper of a list (or search result)
(function () {
  "use strict";
  var ITEMS = ".paper-item";

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
      var box = document.getElementById("site-search");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    } else if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    }
  });
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
