/* The article editor: the draft's title and Markdown with a live preview (rendered and sanitised by
   the server's POST /api/v1/knowledge-base/preview, the same code the help center uses, so the HTML
   inserted here is already clean), the article's settings, save, publish, revisions and restore.
   Everything else people wrote reaches the page only through textContent. */
(function () {
  "use strict";

  var root = document.getElementById("kb-editor");
  var STRINGS = JSON.parse(document.getElementById("kb-editor-config").textContent).strings;
  var SLUG = root.dataset.slug;
  var BASE = "/api/v1/knowledge-base/articles/" + root.dataset.articleId;
  var CSRF = document.querySelector("meta[name=csrf-token]").content;
  var LOCALE = document.documentElement.lang || "en";
  var PREVIEW_DELAY_MS = 250;
  var dateFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" });

  var title = $("kb-title");
  var body = $("kb-body");
  var preview = $("kb-preview");
  var settings = [$("kb-locale"), $("kb-visibility"), $("kb-category")];
  var saved = null; // the fields as last saved or loaded
  var previewTimer = null;
  var previewSeq = 0;

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    var text = Object.prototype.hasOwnProperty.call(STRINGS, key) ? STRINGS[key] : key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  function api(method, path, data) {
    var headers = { "X-Workspace": SLUG, Accept: "application/json" };
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
    if (data !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(data);
    }
    return fetch(path, options).then(
      function (response) {
        if (response.status === 204) return { ok: true, data: null };
        return response.json().then(
          function (json) {
            return { ok: response.ok, data: json };
          },
          function () {
            return { ok: false, data: null };
          }
        );
      },
      function () {
        return { ok: false, data: null };
      }
    );
  }

  function errorMessage(result) {
    return result.data && result.data.error ? result.data.error.message : t("error");
  }

  function say(text, isError) {
    var message = $("kb-message");
    message.textContent = text;
    message.classList.toggle("danger", Boolean(isError));
  }

  function fields() {
    var category = $("kb-category").value;
    return {
      title: title.value,
      body: body.value,
      locale: $("kb-locale").value,
      visibility: $("kb-visibility").value,
      category: category === "" ? null : Number(category),
    };
  }

  function dirty() {
    return saved !== null && JSON.stringify(fields()) !== JSON.stringify(saved);
  }

  function showSaveState() {
    $("kb-save-state").textContent = dirty() ? t("unsaved") : "";
  }

  function show(article) {
    title.value = article.title;
    body.value = article.body;
    $("kb-locale").value = article.locale;
    $("kb-visibility").value = article.visibility;
    $("kb-category").value = article.category_id === null ? "" : String(article.category_id);
    saved = fields();
    showSaveState();
    showStatus(article);
    showRevisions(article);
    schedulePreview(0);
  }

  function showStatus(article) {
    var status = $("kb-status");
    var link = $("kb-public-link");
    var live = article.published;
    if (live === null) {
      status.textContent = t("status_draft");
    } else if (live.title !== article.title || live.body !== article.body) {
      status.textContent = t("status_changed", { number: live.number });
    } else {
      status.textContent = t("status_live", { number: live.number });
    }
    status.classList.toggle("live", live !== null);
    link.hidden = live === null || article.visibility !== "public";
    link.href = article.url;
  }

  function showRevisions(article) {
    var list = $("kb-revisions");
    list.replaceChildren();
    if (article.revisions.length === 0) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = t("no_revisions");
      list.append(empty);
      return;
    }
    article.revisions.forEach(function (revision) {
      list.append(revisionItem(revision, article.published && article.published.number === revision.number));
    });
  }

  function revisionItem(revision, isLive) {
    var item = document.createElement("li");
    item.dataset.testid = "revision-" + revision.number;
    item.className = "row";
    var label = document.createElement("span");
    label.textContent = t("revision", { number: revision.number }) + " · " + revision.title + " · " +
      dateFormat.format(new Date(revision.published_at));
    item.append(label);
    if (isLive) {
      var badge = document.createElement("span");
      badge.className = "badge live";
      badge.textContent = t("live");
      item.append(badge);
    }
    item.append(button(t("show"), function () { showRevisionText(revision.number); }));
    item.append(compareLink(revision.number));
    if (!isLive) item.append(button(t("restore"), function () { restore(revision.number); }));
    return item;
  }

  function compareLink(number) {
    // The compare page (admin/knowledge_base_compare.py): this revision against the current draft.
    var list = $("kb-revisions");
    var link = document.createElement("a");
    link.href = list.dataset.compareUrl + "?from=" + number + "&to=draft";
    link.dataset.testid = "compare-" + number;
    link.textContent = list.dataset.compareLabel;
    return link;
  }

  function button(text, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "link";
    element.textContent = text;
    element.addEventListener("click", onClick);
    return element;
  }

  function showRevisionText(number) {
    api("GET", BASE + "/revisions/" + number).then(function (result) {
      var text = $("kb-revision-text");
      if (!result.ok) return say(errorMessage(result), true);
      text.textContent = "# " + result.data.revision.title + "\n\n" + result.data.revision.body;
      text.hidden = false;
    });
  }

  function schedulePreview(delay) {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, delay);
  }

  function renderPreview() {
    var seq = ++previewSeq;
    if (body.value.trim() === "") {
      preview.textContent = t("preview_empty");
      return;
    }
    api("POST", "/api/v1/knowledge-base/preview", { body: body.value }).then(function (result) {
      if (seq !== previewSeq) return; // an older answer arriving after a newer one
      if (!result.ok) return say(errorMessage(result), true);
      preview.innerHTML = result.data.html; // sanitised by the server (knowledge_base.markdown)
    });
  }

  function save(extra) {
    $("kb-save-state").textContent = t("saving");
    return api("PATCH", BASE, Object.assign(fields(), extra || {})).then(function (result) {
      if (!result.ok) {
        showSaveState();
        say(errorMessage(result), true);
        return null;
      }
      show(result.data);
      return result.data;
    });
  }

  function restore(number) {
    if (dirty() || !window.confirm(t("confirm_restore", { number: number }))) return;
    api("POST", BASE + "/restore", { number: number }).then(function (result) {
      if (!result.ok) return say(errorMessage(result), true);
      show(result.data);
      $("kb-revision-text").hidden = true;
      say(t("restored", { number: result.data.published.number }));
    });
  }

  $("kb-save").addEventListener("click", function () {
    save().then(function (article) {
      if (article !== null) say(t("saved"));
    });
  });
  $("kb-publish").addEventListener("click", function () {
    save({ status: "published" }).then(function (article) {
      if (article !== null) say(t("published", { number: article.published.number }));
    });
  });
  $("kb-delete").addEventListener("click", function () {
    if (!window.confirm(t("confirm_delete"))) return;
    api("DELETE", BASE).then(function (result) {
      if (!result.ok) return say(errorMessage(result), true);
      window.location.assign("/w/" + SLUG + "/knowledge-base");
    });
  });
  body.addEventListener("input", function () {
    showSaveState();
    schedulePreview(PREVIEW_DELAY_MS);
  });
  title.addEventListener("input", showSaveState);
  settings.forEach(function (element) {
    element.addEventListener("change", showSaveState);
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty()) event.preventDefault();
  });

  api("GET", BASE).then(function (result) {
    if (!result.ok) return say(errorMessage(result), true);
    show(result.data);
  });
})();
