/* The Inbox's knowledge panel: the operator searches the workspace's published articles of every
   visibility (GET /api/v1/inbox/knowledge), reads one (GET /api/v1/inbox/knowledge/{id}) and puts
   its help-center link (public articles only) or its text, or the passage they selected, into the
   reply composer to edit and send. The search starts with the visitor's last message.
   An article's body is the server's sanitised HTML; everything else goes in with textContent. */
(function () {
  "use strict";

  var pane = document.getElementById("knowledge-pane");
  var toggle = document.getElementById("knowledge-toggle");
  if (!pane || !toggle) return;
  var STRINGS = JSON.parse(document.getElementById("knowledge-config").textContent).strings;
  var SLUG = document.getElementById("inbox").dataset.slug;
  var API = "/api/v1/inbox/knowledge";
  var QUERY_MAX = 1000;
  var VISIBILITIES = ["public", "bot_only", "internal"];
  var PHONE = window.matchMedia("(max-width: 720px)"); // inbox_knowledge.css: the panel is full screen

  var form = document.getElementById("knowledge-search");
  var queryInput = document.getElementById("knowledge-query");
  var statusNode = document.getElementById("knowledge-status");
  var results = document.getElementById("knowledge-results");
  var reader = document.getElementById("knowledge-article");
  var body = document.getElementById("knowledge-body");
  var insertLink = document.getElementById("knowledge-insert-link");
  var composer = document.getElementById("composer-input");

  var state = { token: 0, article: null, prefilled: null };

  function badge(visibility) {
    var known = VISIBILITIES.indexOf(visibility) >= 0;
    var node = document.createElement("span");
    node.className = "kb-visibility kb-visibility-" + (known ? visibility : "unknown");
    node.dataset.testid = "knowledge-visibility";
    node.dataset.visibility = visibility;
    node.textContent = known ? STRINGS[visibility] : visibility;
    return node;
  }

  function say(text) {
    statusNode.textContent = text || "";
    statusNode.hidden = !text;
  }

  function getJson(path) {
    var headers = { "X-Workspace": SLUG, Accept: "application/json" };
    return fetch(path, { headers: headers, credentials: "same-origin" }).then(
      function (response) {
        if (response.status === 401) location.assign("/login?next=" + encodeURIComponent(location.pathname));
        return response.json().then(
          function (data) { return { ok: response.ok, data: data }; },
          function () { return { ok: false, data: null }; }
        );
      },
      function () { return { ok: false, data: null }; }
    );
  }

  function errorText(result) {
    var error = result.data && result.data.error;
    return error && error.message ? error.message : STRINGS.error;
  }

  /* Search */

  function search() {
    var query = queryInput.value.trim();
    var token = ++state.token;
    showResults();
    results.replaceChildren();
    if (!query) return say("");
    say(STRINGS.searching);
    getJson(API + "?limit=10&q=" + encodeURIComponent(query)).then(function (result) {
      if (token !== state.token) return;
      if (!result.ok) return say(errorText(result));
      say(result.data.length ? "" : STRINGS.nothing_found);
      results.replaceChildren.apply(results, result.data.map(resultNode));
    });
  }

  function resultNode(hit) {
    var title = document.createElement("span");
    title.className = "kb-result-title";
    title.textContent = hit.title;
    var head = document.createElement("span");
    head.className = "kb-result-head";
    head.append(title, badge(hit.visibility));
    var snippet = document.createElement("span");
    snippet.className = "kb-result-snippet";
    snippet.textContent = hit.snippet;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "kb-result";
    button.append(head, snippet);
    button.addEventListener("click", function () { read(hit.article_id); });
    var item = document.createElement("li");
    item.dataset.testid = "knowledge-result";
    item.dataset.articleId = String(hit.article_id);
    item.append(button);
    return item;
  }

  function showResults() {
    reader.hidden = true;
    results.hidden = false;
    state.article = null;
  }

  /* Reading */

  function read(articleId) {
    var token = ++state.token;
    say(STRINGS.loading);
    getJson(API + "/" + encodeURIComponent(articleId)).then(function (result) {
      if (token !== state.token) return;
      if (!result.ok) return say(errorText(result));
      say("");
      showArticle(result.data);
    });
  }

  function showArticle(article) {
    state.article = article;
    document.getElementById("knowledge-title").textContent = article.title;
    document.getElementById("knowledge-badge").replaceChildren(badge(article.visibility));
    body.lang = article.locale || "";
    body.innerHTML = article.html; // sanitised by the server (knowledge_base/markdown.py)
    body.querySelectorAll("a[href]").forEach(function (link) {
      link.target = "_blank";
    });
    insertLink.hidden = !article.url;
    results.hidden = true;
    reader.hidden = false;
    reader.scrollTop = 0;
    pane.scrollTop = 0;
  }

  /* The passage the operator selected in the article, if any. */
  function selectedPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return "";
    var range = selection.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) return "";
    return selection.toString().trim();
  }

  /* Into the composer where its cursor is, for the operator to edit; inbox.js hears the input. */
  function insert(text, separator) {
    if (!text || composer.closest("[hidden]")) return;
    var start = composer.selectionStart;
    var end = composer.selectionEnd;
    var before = composer.value.slice(0, start);
    if (before && !/\s$/.test(before)) text = separator + text;
    var room = Number(composer.getAttribute("maxlength")) || Infinity;
    text = text.slice(0, Math.max(0, room - (composer.value.length - (end - start))));
    composer.setRangeText(text, start, end, "end");
    composer.dispatchEvent(new Event("input", { bubbles: true }));
    if (PHONE.matches) setOpen(false); // the panel covers the composer there
    composer.focus();
  }

  /* Open and close */

  function lastVisitorMessage() {
    var messages = document.querySelectorAll('#messages [data-author="visitor"] .message-text');
    if (!messages.length) return "";
    var text = messages[messages.length - 1].textContent.replace(/\s+/g, " ").trim();
    if (text.length <= QUERY_MAX) return text;
    return text.slice(0, QUERY_MAX).replace(/\s+\S*$/, "");
  }

  function setOpen(open) {
    pane.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (!open) return;
    var last = lastVisitorMessage();
    if (last && last !== state.prefilled) {
      state.prefilled = last;
      queryInput.value = last;
      search();
    }
    queryInput.focus();
    queryInput.select();
  }

  toggle.addEventListener("click", function () { setOpen(pane.hidden); });
  document.getElementById("knowledge-close").addEventListener("click", function () {
    setOpen(false);
    toggle.focus();
  });
  pane.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    setOpen(false);
    toggle.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search();
  });
  document.getElementById("knowledge-back").addEventListener("click", function () {
    state.token += 1;
    say("");
    showResults();
  });
  // A press on these buttons must not take the focus, nor the selection in the article, away.
  [insertLink, document.getElementById("knowledge-insert-text")].forEach(function (button) {
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
  });
  insertLink.addEventListener("click", function () {
    if (state.article && state.article.url) insert(state.article.url, " ");
  });
  document.getElementById("knowledge-insert-text").addEventListener("click", function () {
    if (state.article) insert(selectedPassage() || state.article.text, "\n\n");
  });
})();
