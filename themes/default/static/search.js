// Paper Digest search, on Pagefind's JavaScript API (pagefind.js, loaded only when wanted).
// The header box of every page shows results in place; the search page (#search) has the
// one box, the result cards, the facets and the sort, with its state in the URL.
// Every value from the index reaches the page as text (textContent, createElement): a tag
// or topic named "<img src=x onerror=...>" is shown as written, never run (issue 19).
(function () {
  "use strict";
  var MATHML = "http://www.w3.org/1998/Math/MathML";
  var FACETS = [
    { key: "topic", label: "Topic" },
    { key: "tag", label: "Tag" },
    { key: "year", label: "Year" },
    { key: "code", label: "Code" }
  ];
  var PAGE = 20; // cards shown at first, and added by "Show more"
  var PEEK = 6; // results shown under the header box
  var FIRST = 4; // cards drawn before the rest of a page of them is loaded
  var TITLE_END = "\u00b6"; // between a record's title and abstract (generator/search.py)
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];

  var form = document.querySelector("form[data-bundle]");
  if (!form) return;
  var box = form.querySelector("input[type=search]");
  var bundle = new URL(form.getAttribute("data-bundle"), document.baseURI);
  var root = new URL("../", bundle);
  var app = document.getElementById("search");
  if (app && !app.contains(form)) app = null;

  var loading = null;
  function pagefind() {
    if (!loading) {
      loading = import(bundle.href + "pagefind.js").then(function (module) {
        // Filter counts come only for the filters loaded: load them all before a search
        return module.options({ excerptLength: 40, baseUrl: root.pathname }).then(function () {
          return app ? module.filters() : null;
        }).then(function () {
          return module;
        });
      });
    }
    return loading;
  }

  // --- what a result shows -----------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function href(relative) {
    return new URL(relative, root).pathname;
  }

  function resultUrl(data) {
    var raw = data.raw_url || data.url || "";
    return href(raw.replace(/^\/+/, ""));
  }

  function longDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? +m[3] + " " + MONTHS[+m[2] - 1] + " " + m[1] : "";
  }

  // The title as the page draws it (its math as MathML), rebuilt node by node from inert
  // markup: only these elements and attributes are kept, and text stays text.
  var KEEP = /^(math|semantics|annotation|mrow|mi|mn|mo|ms|mtext|mspace|msup|msub|msubsup|mfrac|msqrt|mroot|mover|munder|munderover|mstyle|mpadded|mphantom|menclose|mtable|mtr|mtd|em|strong|i|b|sub|sup|code|span)$/;
  var ATTRS = /^(display|mathvariant|stretchy|fence|separator|lspace|rspace|accent|accentunder|linethickness|encoding|columnalign|width|height|depth|notation|form)$/;
  function titleNodes(html, fallback) {
    var parsed = new DOMParser().parseFromString("<body>" + (html || ""), "text/html");
    var out = document.createDocumentFragment();
    copyChildren(parsed.body, out);
    if (!out.textContent.trim()) out.appendChild(document.createTextNode(fallback || ""));
    return out;
  }
  function copyChildren(from, to) {
    for (var n = from.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) {
        to.appendChild(document.createTextNode(n.data));
      } else if (n.nodeType === 1) {
        var name = n.localName;
        if (!KEEP.test(name)) { copyChildren(n, to); continue; }
        var math = n.namespaceURI === MATHML;
        var copy = math ? document.createElementNS(MATHML, name) : document.createElement(name);
        for (var i = 0; i < n.attributes.length; i++) {
          var a = n.attributes[i];
          if (ATTRS.test(a.name)) copy.setAttribute(a.name, a.value);
        }
        copyChildren(n, copy);
        to.appendChild(copy);
      }
    }
  }

  // Pagefind's excerpt is text with <mark> around the words matched: split it there, decode
  // the text, and build text nodes and <mark> elements. The part up to the title's end is cut.
  function excerptNodes(excerpt) {
    var parts = String(excerpt || "").split(/(<\/?mark>)/);
    var pieces = [];
    var marked = false;
    parts.forEach(function (part) {
      if (part === "<mark>") marked = true;
      else if (part === "</mark>") marked = false;
      else if (part) pieces.push({ text: decode(part), marked: marked });
    });
    var cut = -1;
    pieces.forEach(function (p, i) { if (p.text.indexOf(TITLE_END) >= 0) cut = i; });
    if (cut >= 0) {
      var rest = pieces[cut].text;
      pieces = pieces.slice(cut + 1);
      rest = rest.slice(rest.lastIndexOf(TITLE_END) + 1).replace(/^\s+/, "");
      if (rest) pieces.unshift({ text: rest, marked: false });
    } else if (pieces.length) {
      pieces[0].text = "\u2026 " + pieces[0].text.replace(/^\s+/, "");
    }
    var out = document.createDocumentFragment();
    pieces.forEach(function (p) {
      out.appendChild(p.marked ? el("mark", "", p.text) : document.createTextNode(p.text));
    });
    if (pieces.length) out.appendChild(document.createTextNode(" \u2026"));
    return out;
  }
  var ENTITIES = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", "#39": "'", "#x27": "'" };
  function decode(text) {
    return text.replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, function (_, name) {
      return ENTITIES[name];
    });
  }

  function parseTags(meta) {
    try {
      var tags = JSON.parse(meta.tags || "[]");
      return Array.isArray(tags) ? tags.filter(function (t) { return Array.isArray(t); }) : [];
    } catch (e) {
      return [];
    }
  }

  function metaLine(meta, container) {
    var date = longDate(meta.date);
    if (date) {
      var time = el("time", "", date);
      time.setAttribute("datetime", meta.date);
      if (meta.added) container.appendChild(document.createTextNode("added "));
      container.appendChild(time);
    }
    if (meta.topic) {
      if (date) container.appendChild(document.createTextNode(" \u00b7 "));
      var topic = el("a", "", meta.topic);
      topic.href = href("topics/" + encodeURIComponent(meta.topic_slug || "") + "/");
      container.appendChild(topic);
    }
    if (meta.code) {
      container.appendChild(document.createTextNode(" \u00b7 "));
      container.appendChild(el("span", "badge badge-code", "code"));
    }
  }

  function card(data) {
    var meta = data.meta || {};
    var item = el("li", "paper-item search-result");
    var article = el("article");
    var heading = el("h2", "paper-title");
    var link = el("a");
    link.href = resultUrl(data);
    link.appendChild(titleNodes(meta.title_html, meta.title));
    heading.appendChild(link);
    article.appendChild(heading);
    var line = el("p", "paper-meta");
    metaLine(meta, line);
    article.appendChild(line);
    var excerpt = excerptNodes(data.excerpt);
    if (excerpt.childNodes.length) {
      var summary = el("p", "paper-summary");
      summary.appendChild(excerpt);
      article.appendChild(summary);
    }
    var tags = parseTags(meta);
    if (tags.length) {
      var list = el("ul", "tag-list");
      list.setAttribute("aria-label", "Tags");
      tags.forEach(function (t) {
        var li = el("li");
        var a = el("a", "tag", String(t[0]));
        a.href = href("tags/" + encodeURIComponent(String(t[1] || "")) + "/");
        li.appendChild(a);
        list.appendChild(li);
      });
      article.appendChild(list);
    }
    item.appendChild(article);
    return item;
  }

  // --- keyboard: arrows move through results, Enter opens, Esc clears -----------------

  function links(container) {
    return Array.prototype.slice.call(container.querySelectorAll(".paper-title a, .peek-all"));
  }
  function arrows(container, event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return false;
    var all = links(container);
    if (!all.length) return false;
    var at = all.indexOf(document.activeElement);
    var step = event.key === "ArrowDown" ? 1 : -1;
    event.preventDefault();
    if (at < 0 && step < 0) return true;
    var next = at + step;
    container.querySelectorAll(".is-current").forEach(function (n) { n.classList.remove("is-current"); });
    if (next < 0) { box.focus(); return true; }
    var target = all[Math.min(all.length - 1, next)];
    var item = target.closest("li");
    if (item) item.classList.add("is-current");
    target.focus();
    return true;
  }

  // --- the header box on any other page: results in place ------------------------------

  function peek() {
    var panel = el("div", "search-peek");
    panel.id = "search-peek";
    panel.hidden = true;
    form.appendChild(panel);
    box.setAttribute("aria-controls", panel.id);
    var status = el("p", "visually-hidden");
    status.setAttribute("role", "status");
    form.appendChild(status);
    var asked = 0;
    var timer = null;

    function close() {
      panel.hidden = true;
    }
    function show(query) {
      var ticket = ++asked;
      if (!query.trim()) { close(); panel.textContent = ""; status.textContent = ""; return; }
      pagefind().then(function (pf) {
        return pf.search(query).then(function (found) {
          return Promise.all(found.results.slice(0, PEEK).map(function (r) { return r.data(); }))
            .then(function (datas) {
              if (ticket !== asked) return;
              panel.textContent = "";
              var list = el("ol", "paper-list peek-list");
              datas.forEach(function (d) { list.appendChild(peekItem(d)); });
              panel.appendChild(list);
              var n = found.results.length;
              var all = el("a", "peek-all", n ? "See all " + n + " result" + (n === 1 ? "" : "s") : "No paper matches: search again");
              all.href = href("search/") + "?q=" + encodeURIComponent(query);
              panel.appendChild(all);
              panel.hidden = false;
              status.textContent = n + " result" + (n === 1 ? "" : "s");
            });
        });
      }).catch(function () {
        if (ticket !== asked) return;
        panel.textContent = "";
        panel.appendChild(el("p", "search-note", "Search is not available in this build of the site."));
        panel.hidden = false;
      });
    }
    function peekItem(data) {
      var meta = data.meta || {};
      var item = el("li", "paper-item peek-item");
      var heading = el("p", "paper-title");
      var link = el("a");
      link.href = resultUrl(data);
      link.appendChild(titleNodes(meta.title_html, meta.title));
      heading.appendChild(link);
      item.appendChild(heading);
      var line = el("p", "paper-meta");
      metaLine(meta, line);
      item.appendChild(line);
      return item;
    }
    box.addEventListener("focus", function () { pagefind().catch(function () {}); }, { once: true });
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { show(box.value); }, 120);
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        if (box.value) { box.value = ""; show(""); box.focus(); } else { close(); box.blur(); }
        return;
      }
      if (!panel.hidden) arrows(panel, event);
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) close();
    });
  }

  // --- the search page ------------------------------------------------------------------

  function searchPage() {
    app.setAttribute("data-digest-dynamic", ""); // built here: `digest serve` reloads it whole
    var sort = document.getElementById("search-sort");
    var status = document.getElementById("search-status");
    var results = document.getElementById("search-results");
    var facets = document.getElementById("search-facets");
    var toggle = document.getElementById("search-filters-toggle");
    var more = document.getElementById("search-more");
    var state = readState(window.location.search);
    var asked = 0;
    var timer = null;
    var shown = [];
    var settled = 0;

    function readState(search) {
      var params = new URLSearchParams(search);
      var s = { q: params.get("q") || "", sort: params.get("sort") === "date" ? "date" : "", filters: {} };
      FACETS.forEach(function (f) {
        var values = params.getAll(f.key).filter(Boolean);
        if (values.length) s.filters[f.key] = values;
      });
      return s;
    }
    function query(s) {
      var params = new URLSearchParams();
      if (s.q) params.set("q", s.q);
      FACETS.forEach(function (f) {
        (s.filters[f.key] || []).forEach(function (v) { params.append(f.key, v); });
      });
      if (s.sort) params.set("sort", s.sort);
      var text = params.toString();
      return text ? "?" + text : window.location.pathname;
    }
    function remember(push) {
      var url = query(state);
      if (url === query(readState(window.location.search))) return;
      if (push) history.pushState(null, "", url);
      else history.replaceState(null, "", url);
    }
    function related(a, b) {
      return a.indexOf(b) === 0 || b.indexOf(a) === 0;
    }
    function pagefindFilters(s, without) {
      var out = {};
      Object.keys(s.filters).forEach(function (key) {
        if (key !== without && s.filters[key].length) out[key] = { any: s.filters[key] };
      });
      return out;
    }
    function options(s, without) {
      var o = { filters: pagefindFilters(s, without) };
      if (s.sort === "date" || !s.q.trim()) o.sort = { date: "desc" }; // no words: newest first
      return o;
    }
    function active(s) {
      return Object.keys(s.filters).some(function (k) { return s.filters[k].length; });
    }

    function run() {
      var ticket = ++asked;
      var s = state;
      if (box.value !== s.q) box.value = s.q;
      sort.value = s.sort || "relevance";
      more.hidden = true;
      results.setAttribute("aria-busy", "true");
      if (!s.q.trim() && !active(s)) {
        results.textContent = "";
        results.setAttribute("aria-busy", "false");
        status.textContent = "Type a word from a title or abstract, or choose a filter.";
        pagefind().then(function (pf) { return pf.filters(); }).then(function (all) {
          if (ticket === asked) drawFacets(all, {});
        }).catch(unavailable);
        return;
      }
      pagefind().then(function (pf) {
        var q = s.q.trim() ? s.q : null;
        var searches = [pf.search(q, options(s))];
        // each facet with a choice made counts its values without that choice (so the other
        // values stay offered); the others count the results shown
        FACETS.forEach(function (f) {
          if (s.filters[f.key]) searches.push(pf.search(q, options(s, f.key)));
        });
        return Promise.all(searches).then(function (found) {
          if (ticket !== asked) return;
          var counts = {};
          var i = 1;
          FACETS.forEach(function (f) {
            var from = s.filters[f.key] ? found[i++] : found[0];
            counts[f.key] = (from && from.filters && from.filters[f.key]) || {};
          });
          drawFacets(counts, s.filters);
          shown = found[0].results;
          results.textContent = "";
          var n = shown.length;
          status.textContent = n ? n + " paper" + (n === 1 ? "" : "s") + (s.q ? " for \u201c" + s.q + "\u201d" : "") : "No paper matches" + (s.q ? " \u201c" + s.q + "\u201d" : "") + ". Try fewer words or fewer filters.";
          return addCards(ticket);
        });
      }).catch(unavailable);
    }
    // The first cards are drawn as soon as their data is in, the rest of the page after.
    function addCards(ticket) {
      var from = results.children.length;
      var slice = shown.slice(from, from + PAGE);
      var loads = slice.map(function (r) { return r.data(); });
      function draw(part) {
        return Promise.all(part).then(function (datas) {
          if (ticket !== asked) return false;
          datas.forEach(function (d) { results.appendChild(card(d)); });
          return true;
        });
      }
      return draw(loads.slice(0, FIRST)).then(function (going) {
        return going && draw(loads.slice(FIRST));
      }).then(function (going) {
        if (!going) return;
        results.setAttribute("aria-busy", "false");
        var left = shown.length - results.children.length;
        more.hidden = left <= 0;
        more.textContent = "Show " + Math.min(left, PAGE) + " more";
      });
    }
    function unavailable() {
      results.setAttribute("aria-busy", "false");
      status.textContent = "Search is not available: this build of the site has no search index (see the build's warnings).";
      facets.textContent = "";
      app.classList.add("is-unavailable");
    }

    function drawFacets(counts, chosen) {
      facets.textContent = "";
      var any = false;
      FACETS.forEach(function (f) {
        var values = counts[f.key] || {};
        var picked = chosen[f.key] || [];
        var names = Object.keys(values).filter(function (v) { return values[v] > 0 || picked.indexOf(v) >= 0; });
        if (!names.length) return;
        any = true;
        if (f.key === "year") names.sort(function (a, b) { return b.localeCompare(a); });
        else names.sort(function (a, b) { return values[b] - values[a] || a.localeCompare(b); });
        var group = el("fieldset", "facet facet-" + f.key);
        group.appendChild(el("legend", "", f.label));
        var list = el("ul", "facet-values");
        names.forEach(function (v, at) {
          var li = el("li");
          if (f.key === "tag" && at >= 12 && picked.indexOf(v) < 0) li.className = "facet-extra";
          var label = el("label");
          var input = el("input");
          input.type = "checkbox";
          input.name = f.key;
          input.value = v;
          input.checked = picked.indexOf(v) >= 0;
          input.addEventListener("change", function () { choose(f.key, v, input.checked); });
          label.appendChild(input);
          label.appendChild(el("span", "facet-name", f.key === "code" ? "Has code" : v));
          label.appendChild(el("span", "count", String(values[v] || 0)));
          li.appendChild(label);
          list.appendChild(li);
        });
        group.appendChild(list);
        if (list.querySelector(".facet-extra")) {
          var all = el("button", "facet-more", "All " + names.length + " tags");
          all.type = "button";
          all.addEventListener("click", function () { group.classList.add("is-open"); all.remove(); });
          group.appendChild(all);
        }
        facets.appendChild(group);
      });
      toggle.hidden = !any;
      var picked = Object.keys(chosen).reduce(function (n, k) { return n + chosen[k].length; }, 0);
      toggle.textContent = picked ? "Filters (" + picked + ")" : "Filters";
    }
    function choose(key, value, on) {
      var filters = {};
      Object.keys(state.filters).forEach(function (k) { filters[k] = state.filters[k].slice(); });
      var list = (filters[key] || []).filter(function (v) { return v !== value; });
      if (on) list.push(value);
      if (list.length) filters[key] = list; else delete filters[key];
      state = { q: state.q, sort: state.sort, filters: filters };
      remember(true);
      run();
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var previous = state.q;
        state = { q: box.value, sort: state.sort, filters: state.filters };
        // typing on (or deleting) stays one history entry; a new query is a new one
        var push = !!previous && !related(previous.trim(), box.value.trim()) && Date.now() - settled > 300;
        remember(push);
        settled = Date.now();
        run();
      }, 120);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      state = { q: box.value, sort: state.sort, filters: state.filters };
      remember(false);
      run();
      var first = results.querySelector(".paper-title a");
      if (first && document.activeElement !== box) first.focus();
    });
    sort.addEventListener("change", function () {
      state = { q: state.q, sort: sort.value === "date" ? "date" : "", filters: state.filters };
      remember(true);
      run();
    });
    more.addEventListener("click", function () { addCards(asked); });
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      facets.classList.toggle("is-open", open);
    });
    window.addEventListener("popstate", function () {
      state = readState(window.location.search);
      run();
    });
    app.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && (event.target === box || results.contains(event.target))) {
        event.preventDefault();
        state = { q: "", sort: state.sort, filters: state.filters };
        remember(true);
        run();
        box.focus();
        return;
      }
      if (event.target === box || results.contains(event.target)) arrows(results, event);
    });
    if (!state.q) box.focus();
    run();
  }

  if (app) searchPage(); else peek();
})();
