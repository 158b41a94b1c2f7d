/* The Inbox page: the conversation list with its views, filters and counters; the open
   conversation with its composer and actions; the contact card; presence, the supervisor's queue
   overview, desktop notifications and keyboard shortcuts. Everything comes from the JSON API
   (docs/inbox-api.md) and the operators' live socket. Endpoints this server does not have yet
   (404 "Not Found" or 405) switch their controls off instead of failing.
   Text from people is only ever put into the page with textContent. */
(function () {
  "use strict";

  /* ---------------------------------------------------------------------------------------------
     Setup: configuration from the page, translated strings, small DOM helpers
     --------------------------------------------------------------------------------------------- */

  var root = document.getElementById("inbox");
  var config = JSON.parse(document.getElementById("inbox-config").textContent);
  var STRINGS = config.strings;
  var SLUG = root.dataset.slug;
  var ME = Number(root.dataset.operatorId);
  var MY_NAME = root.dataset.operatorName;
  var LOCALE = document.documentElement.lang || "en";
  var CSRF = document.querySelector("meta[name=csrf-token]").content;
  var API = "/api/v1";
  var PAGE_TITLE = document.title;
  var VIEWS = ["unassigned", "mine", "open", "snoozed", "closed"];
  var VIEW_KEY = "firstline.inbox.view." + SLUG;
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var PING_MS = 25000;
  var TYPING_IDLE_MS = 3000;
  var VISITOR_TYPING_MS = 8000;
  var QUEUE_REFRESH_MS = 30000;
  var SELF_ASSIGNED_MS = 10000;
  var TAGS_FRESH_MS = 60000;

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    var text = Object.prototype.hasOwnProperty.call(STRINGS, key) ? STRINGS[key] : key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  /* el("li", {className, text, attrs, data, on: {click: fn}}, [children]): always textContent. */
  function el(tag, options, children) {
    var node = document.createElement(tag);
    options = options || {};
    if (options.className) node.className = options.className;
    if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
    Object.keys(options.attrs || {}).forEach(function (name) {
      var value = options.attrs[name];
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    });
    Object.keys(options.data || {}).forEach(function (name) {
      node.dataset[name] = String(options.data[name]);
    });
    Object.keys(options.on || {}).forEach(function (name) {
      node.addEventListener(name, options.on[name]);
    });
    (children || []).forEach(function (child) {
      if (child) node.append(child);
    });
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function debounce(fn, ms) {
    var timer = 0;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  /* ---------------------------------------------------------------------------------------------
     Time and names
     --------------------------------------------------------------------------------------------- */

  var timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
  var dateFormat = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short" });
  var fullFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" });

  function shortTime(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    var today = new Date();
    return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dateFormat.format(date);
  }

  function fullTime(iso) {
    return iso ? fullFormat.format(new Date(iso)) : "";
  }

  function timeNode(iso) {
    return el("time", { text: shortTime(iso), attrs: { datetime: iso, title: fullTime(iso) } });
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    if (seconds < 60) return t("seconds", { n: seconds });
    if (seconds < 3600) return t("minutes", { n: Math.floor(seconds / 60) });
    if (seconds < 86400) return t("hours", { n: Math.floor(seconds / 3600) });
    return t("days", { n: Math.floor(seconds / 86400) });
  }

  /* "2026-11-23T09:00:00+03:00": what the snooze endpoint wants (a local time with its offset). */
  function isoWithOffset(date) {
    function pad(n) {
      return String(n).padStart(2, "0");
    }
    var offset = -date.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    var abs = Math.abs(offset);
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60)
    );
  }

  function contactName(contact, contactId) {
    if (contact && contact.name) return contact.name;
    if (contact && contact.email) return contact.email;
    return t("visitor_number", { id: contactId });
  }

  function channelName(channel) {
    return t("channel_" + channel) === "channel_" + channel ? channel : t("channel_" + channel);
  }

  function operatorName(id) {
    if (id === ME) return MY_NAME;
    var known = state.operators[id];
    return known ? known : t("operator_number", { id: id });
  }

  function assigneeName(conversation) {
    var assignee = conversation.assignee;
    if (assignee && assignee.id === conversation.assignee_id && assignee.name) return assignee.name;
    return operatorName(conversation.assignee_id);
  }

  function safeColor(color) {
    return /^#[0-9a-fA-F]{6}$/.test(color || "") ? color : "#6b7280";
  }

  /* ---------------------------------------------------------------------------------------------
     State
     --------------------------------------------------------------------------------------------- */

  var state = {
    view: VIEWS.indexOf(localStorage.getItem(VIEW_KEY)) >= 0 ? localStorage.getItem(VIEW_KEY) : "open",
    filters: { group: "", tag: "", channel: "", q: "" },
    items: [],
    next: null,
    pages: 0,
    listToken: 0,
    loadingMore: false,
    counts: null,
    open: null, // {id, conversation, contact, messages, card, earlier}
    openToken: 0,
    // null: not known yet; true: the server has it; false: it does not (the control is hidden).
    features: {
      inbox: null, counts: null, tags: null, canned: null, contacts: null, presence: null, queue: null,
      take: null, snooze: null, transfer: null, unassign: null,
    },
    tags: [],
    operators: {}, // id -> name, learnt from the queue overview and from messages
    queue: null,
    presence: null,
    mode: "reply",
    files: [], // {key, id?, name, uploading}
    sending: false,
    canned: { items: [], index: 0, query: null },
    typingOn: false,
    attention: {}, // conversation id -> true: needs my eyes (the title badge)
    tookAt: {}, // conversation id -> when I took it myself (no chime for my own doing)
  };

  /* ---------------------------------------------------------------------------------------------
     API: JSON over fetch with the CSRF token and the workspace; missing endpoints are recognised
     --------------------------------------------------------------------------------------------- */

  function request(method, path, body) {
    var headers = { "X-Workspace": SLUG, Accept: "application/json" };
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(
      function (response) {
        if (response.status === 401) location.assign("/login?next=" + encodeURIComponent(location.pathname));
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            return { ok: response.ok, status: response.status, data: data, missing: routeMissing(response.status, data) };
          });
      },
      function () {
        return { ok: false, status: 0, data: null, missing: false };
      }
    );
  }

  /* An unknown route answers 404 with the bare HTTP reason; a missing row names what is missing. */
  function routeMissing(status, data) {
    if (status === 405) return true;
    return status === 404 && !!(data && data.error) && data.error.message === "Not Found";
  }

  /* Does a route exist? A GET to a POST-only route is 405 (it exists), an unknown one 404. */
  function probe(path) {
    return request("GET", path).then(function (result) {
      return !(result.status === 404 && routeMissing(404, result.data));
    });
  }

  function errorText(result) {
    var error = result && result.data && result.data.error;
    return error && error.message ? error.message : t("error");
  }

  function errorDetail(result, name) {
    var error = (result && result.data && result.data.error) || {};
    if (error[name] !== undefined) return error[name];
    return error.details ? error.details[name] : undefined;
  }

  function conversationOf(result) {
    var data = result.data || {};
    return data.conversation || (data.id ? data : null);
  }

  function detectFeatures() {
    var probes = {
      take: "/conversations/0/take",
      snooze: "/conversations/0/snooze",
      transfer: "/conversations/0/transfer",
      unassign: "/conversations/0/unassign",
      contacts: "/contacts/0",
    };
    Object.keys(probes).forEach(function (name) {
      probe(probes[name]).then(function (exists) {
        state.features[name] = exists;
        applyFeatures();
      });
    });
    loadTags();
    loadPresence();
    loadQueue();
    request("GET", "/canned-replies?q=").then(function (result) {
      state.features.canned = !result.missing && result.status !== 404;
    });
  }

  function applyFeatures() {
    var inboxApi = state.features.inbox !== false;
    show($("filter-group"), inboxApi && state.features.inbox === true);
    show($("filter-tag"), inboxApi && state.features.tags === true && state.tags.length > 0);
    show($("presence"), state.features.presence === true);
    if ($("queue-toggle")) show($("queue-toggle"), state.features.queue === true);
    if (state.open && state.open.conversation) renderHeader();
  }

  /* ---------------------------------------------------------------------------------------------
     Conversation list: views, filters, counters, search, load more
     --------------------------------------------------------------------------------------------- */

  var list = $("conversation-list");
  var FALLBACK_STATUS = { unassigned: "open", mine: "open", open: "open", snoozed: "snoozed", closed: "closed" };

  function filterParams() {
    var params = new URLSearchParams();
    Object.keys(state.filters).forEach(function (name) {
      if (state.filters[name]) params.set(name, state.filters[name]);
    });
    return params;
  }

  function inView(item, view) {
    if (view === "unassigned") return item.status === "open" && item.owner === "queue";
    if (view === "mine") return item.status === "open" && item.assignee_id === ME;
    if (view === "open") return item.status === "open";
    return item.status === view;
  }

  /* The filters, applied here: to the fallback list, and to live changes (the server's full-text
     search also looks at older messages, which the list does not have: `search` is false then). */
  function matchesFilters(item, search) {
    var f = state.filters;
    if (f.channel && item.channel !== f.channel) return false;
    if (f.group === "none" && item.group_id) return false;
    if (f.group && f.group !== "none" && item.group_id !== undefined && String(item.group_id) !== f.group) return false;
    if (f.tag && item.tags && !item.tags.some(function (tag) { return String(tag.id) === f.tag; })) return false;
    if (!f.q || search === false) return true;
    var contact = item.contact || {};
    var haystack = [contact.name, contact.email, contact.phone, item.preview].join(" ").toLowerCase();
    return haystack.indexOf(f.q.toLowerCase()) >= 0;
  }

  function loadList(more) {
    var token = ++state.listToken;
    if (state.features.inbox === false) return loadListFallback(token);
    var params = filterParams();
    params.set("view", state.view);
    if (more && state.next) params.set("before", state.next);
    if (more) state.loadingMore = true;
    return request("GET", "/inbox?" + params.toString()).then(function (result) {
      if (more) state.loadingMore = false;
      if (token !== state.listToken) return;
      if (result.missing) {
        state.features.inbox = false;
        applyFeatures();
        return loadListFallback(token);
      }
      if (!result.ok) return showListError(result);
      state.features.inbox = true;
      applyFeatures();
      receivePage(result.data.conversations, result.data.next, more);
    });
  }

  function receivePage(conversations, next, more) {
    if (more) {
      state.items = mergeItems(state.items, conversations);
      state.next = next;
      state.pages += 1;
    } else if (state.pages > 1) {
      // A live reload refreshes the first page and keeps the older pages already scrolled through.
      var fresh = {};
      conversations.forEach(function (item) {
        fresh[item.id] = true;
      });
      var older = state.items.slice(conversations.length).filter(function (item) {
        return !fresh[item.id] && inView(item, state.view);
      });
      state.items = conversations.concat(older);
    } else {
      state.items = conversations;
      state.next = next;
      state.pages = 1;
    }
    renderList();
  }

  function mergeItems(items, incoming) {
    var known = {};
    items.forEach(function (item) {
      known[item.id] = true;
    });
    return items.concat(incoming.filter(function (item) { return !known[item.id]; }));
  }

  /* Until GET /inbox exists: the plain list by status, the view and filters applied here. */
  function loadListFallback(token) {
    return request("GET", "/conversations?status=" + FALLBACK_STATUS[state.view]).then(function (result) {
      if (token !== state.listToken) return;
      if (!result.ok) return showListError(result);
      state.items = result.data.conversations.filter(function (item) {
        return inView(item, state.view) && matchesFilters(item);
      });
      state.next = null;
      state.pages = 1;
      renderList();
    });
  }

  function showListError(result) {
    var error = $("list-error");
    error.textContent = errorText(result);
    show(error, true);
  }

  function loadCounts() {
    if (state.features.counts === false) return loadCountsFallback();
    request("GET", "/inbox/counts?" + filterParams().toString()).then(function (result) {
      if (result.missing) {
        state.features.counts = false;
        return loadCountsFallback();
      }
      if (!result.ok) return;
      state.features.counts = true;
      state.counts = result.data;
      renderCounts();
    });
  }

  function loadCountsFallback() {
    request("GET", "/conversations?status=all").then(function (result) {
      if (!result.ok) return;
      var counts = { unassigned: 0, mine: 0, open: 0, snoozed: 0, closed: 0 };
      result.data.conversations.filter(matchesFilters).forEach(function (item) {
        VIEWS.forEach(function (view) {
          if (inView(item, view)) counts[view] += 1;
        });
      });
      state.counts = counts;
      renderCounts();
    });
  }

  var scheduleList = debounce(function () {
    loadList(false);
  }, 250);
  var scheduleCounts = debounce(loadCounts, 500);

  function renderCounts() {
    document.querySelectorAll("[data-count]").forEach(function (node) {
      var value = state.counts ? state.counts[node.dataset.count] : undefined;
      node.textContent = value === undefined ? "" : String(value);
      node.classList.toggle("zero", !value);
    });
  }

  function renderViews() {
    document.querySelectorAll("[data-view]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
    });
  }

  function renderList() {
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.dataset.open : null;
    show($("list-error"), false);
    list.replaceChildren.apply(list, state.items.map(itemNode));
    // Live updates redraw the list: keep the keyboard where it was.
    var again = focused ? list.querySelector('[data-open="' + focused + '"]') : null;
    if (again) again.focus();
    var empty = $("list-empty");
    empty.textContent = state.pages === 0 ? t("loading") : t("no_conversations");
    show(empty, state.items.length === 0);
    show($("load-more"), !!state.next);
  }

  function itemNode(item) {
    var selected = !!state.open && state.open.id === item.id;
    var unread = Math.max(0, item.unread || 0);
    var button = el("button", {
      className: "item",
      attrs: { type: "button", "aria-current": selected ? "true" : null },
      data: { open: item.id },
    }, [
      el("span", { className: "item-line" }, [
        el("strong", { className: "item-name", text: contactName(item.contact, item.contact_id) }),
        timeNode(item.last_message_at || item.created_at),
      ]),
      el("span", { className: "item-line" }, [
        el("span", { className: "item-preview", text: item.preview || "" }),
        unread ? el("span", { className: "unread", text: unread, attrs: { "data-testid": "unread" } }) : null,
      ]),
      el("span", { className: "item-line item-meta" }, [
        el("span", { className: "channel-badge", text: channelName(item.channel) }),
        tagsNode(item.tags || [], null),
        item.assignee_id ? el("span", { className: "assignee", text: assigneeName(item) }) : null,
      ]),
    ]);
    return el("li", {
      className: "conversation-item" + (selected ? " selected" : "") + (unread ? " has-unread" : ""),
      attrs: { "data-testid": "conversation-item", "data-id": item.id, "data-status": item.status },
    }, [button]);
  }

  function tagsNode(tags, onRemove) {
    if (!tags.length) return null;
    return el("span", { className: "tag-list" }, tags.map(function (tag) {
      var chip = el("span", { className: "tag", text: tag.name, attrs: { "data-testid": "tag" } });
      chip.style.setProperty("--tag-color", safeColor(tag.color));
      if (onRemove) {
        chip.append(el("button", {
          className: "tag-remove",
          text: "×",
          attrs: { type: "button", "aria-label": t("remove_tag", { name: tag.name }) },
          on: { click: function () { onRemove(tag); } },
        }));
      }
      return chip;
    }));
  }

  function findItem(id) {
    for (var i = 0; i < state.items.length; i += 1) {
      if (state.items[i].id === id) return state.items[i];
    }
    return null;
  }

  function updateItem(conversation) {
    var item = findItem(conversation.id);
    // One not listed: reload only if the change may bring it into this view.
    if (!item) {
      if (conversation.status === undefined || inView(conversation, state.view)) scheduleList();
      return;
    }
    Object.assign(item, conversation);
    if (!inView(item, state.view) || !matchesFilters(item, state.features.inbox === false)) {
      state.items = state.items.filter(function (other) { return other.id !== item.id; });
    }
    renderList();
  }

  function chooseView(view) {
    state.view = view;
    localStorage.setItem(VIEW_KEY, view);
    state.items = [];
    state.next = null;
    state.pages = 0;
    renderViews();
    renderList();
    loadList(false);
  }

  function onFiltersChanged() {
    state.filters.group = $("filter-group").value;
    state.filters.tag = $("filter-tag").value;
    state.filters.channel = $("filter-channel").value;
    state.filters.q = $("search").value.trim();
    state.pages = 0;
    loadList(false);
    loadCounts();
  }

  function watchLoadMore() {
    var button = $("load-more");
    button.addEventListener("click", function () {
      if (!state.loadingMore && state.next) loadList(true);
    });
    if (!("IntersectionObserver" in window)) return;
    new IntersectionObserver(function (entries) {
      if (entries[0].isIntersecting && !state.loadingMore && state.next) loadList(true);
    }).observe(button);
  }

  /* ---------------------------------------------------------------------------------------------
     The open conversation: header, history, delivery states, typing, read receipts
     --------------------------------------------------------------------------------------------- */

  var messagesNode = $("messages");

  function openConversation(id) {
    if (state.open && state.open.id === id) return focusPane();
    var token = ++state.openToken;
    stopTyping();
    state.open = { id: id, conversation: null, contact: null, messages: [], card: null, earlier: null, statuses: {} };
    state.files = [];
    renderFiles();
    history.replaceState(null, "", "#" + id);
    root.classList.add("showing-conversation");
    show($("conversation-empty"), false);
    show($("conversation-view"), true);
    $("conversation-title").textContent = t("loading");
    messagesNode.replaceChildren();
    $("contact-pane").replaceChildren();
    hideActionError();
    hideTyping();
    renderList();
    if (state.features.tags === true && Date.now() - loadTags.at > TAGS_FRESH_MS) loadTags();
    request("GET", "/conversations/" + id).then(function (result) {
      if (token !== state.openToken) return;
      if (!result.ok) return showActionError(errorText(result));
      receiveConversation(result.data, true);
      loadContactCard();
      focusPane();
    });
    forget(id);
  }

  function focusPane() {
    root.classList.add("showing-conversation");
  }

  function receiveConversation(data, replace) {
    var open = state.open;
    var item = findItem(data.conversation.id) || {};
    open.conversation = Object.assign({}, item, open.conversation || {}, data.conversation);
    open.contact = data.contact || open.contact;
    if (replace) open.messages = [];
    data.messages.forEach(function (message) {
      rememberMessage(message);
    });
    renderHeader();
    if (replace) renderMessages();
    else data.messages.forEach(placeMessage);
    if (!open.card) renderContactCard();
    markRead();
    syncItem(open.conversation);
  }

  /* The list shows what the open conversation says (not every change comes with a live frame). */
  function syncItem(conversation) {
    var item = findItem(conversation.id);
    if (!item) return;
    var fields = ["status", "owner", "assignee_id", "assignee", "group_id", "tags", "snoozed_until"];
    var changed = fields.some(function (name) {
      return name in conversation && JSON.stringify(item[name]) !== JSON.stringify(conversation[name]);
    });
    if (!changed) return;
    var change = { id: conversation.id };
    fields.forEach(function (name) {
      if (name in conversation) change[name] = conversation[name];
    });
    updateItem(change);
    scheduleCounts();
  }

  /* Reloads the open conversation: its state and what came after the last message we have. */
  function refreshOpen(full) {
    var open = state.open;
    if (!open || !open.conversation) return;
    var after = full ? 0 : lastSeq();
    request("GET", "/conversations/" + open.id + "?after_seq=" + after).then(function (result) {
      if (state.open !== open || !result.ok) return;
      receiveConversation(result.data, !!full);
    });
  }

  var scheduleRefreshOpen = debounce(function () {
    refreshOpen(false);
  }, 200);

  function lastSeq() {
    var messages = state.open.messages;
    return messages.length ? messages[messages.length - 1].seq : 0;
  }

  /* Keeps the newest delivery state: the socket can tell "sent" before the reply's own answer
     (still "pending") arrives, and a status can come before its message. */
  function rememberMessage(message) {
    var open = state.open;
    var messages = open.messages;
    if (message.operator_id && message.operator && message.operator.name) {
      state.operators[message.operator_id] = message.operator.name;
    }
    var early = open.statuses[message.id];
    if (early && message.status === "pending") {
      Object.assign(message, { status: early.status, failure_reason: early.reason });
    }
    for (var i = 0; i < messages.length; i += 1) {
      if (messages[i].id === message.id) {
        if (message.status === "pending" && messages[i].status === "sent") message.status = "sent";
        messages[i] = message;
        return;
      }
    }
    messages.push(message);
    messages.sort(function (a, b) { return a.seq - b.seq; });
    var conversation = state.open.conversation;
    if (conversation && message.seq > (conversation.last_seq || 0)) conversation.last_seq = message.seq;
  }

  function renderHeader() {
    var c = state.open.conversation;
    var f = state.features;
    $("conversation-title").textContent = contactName(state.open.card || state.open.contact || c.contact, c.contact_id);
    $("conversation-channel").textContent = channelName(c.channel);
    $("conversation-status").textContent = statusText(c);
    $("conversation-status").dataset.status = c.status;
    $("conversation-owner").textContent = ownerText(c);
    var rules = {
      take: f.take === true && c.status === "open" && !c.assignee_id,
      unassign: f.unassign === true && c.status === "open" && !!c.assignee_id,
      "return-to-bot": c.status === "open" && c.owner !== "bot",
      transfer: f.transfer === true && f.queue === true && c.status !== "closed",
      snooze: f.snooze === true && c.status === "open",
      close: c.status !== "closed",
      reopen: c.status === "closed",
    };
    document.querySelectorAll("#actions [data-action]").forEach(function (button) {
      var action = button.dataset.action;
      if (action in rules) show(button, rules[action]);
    });
    renderConversationTags();
  }

  function statusText(c) {
    if (c.status === "snoozed") return t("status_snoozed", { time: fullTime(c.snoozed_until) || "…" });
    return t("status_" + c.status);
  }

  function ownerText(c) {
    if (c.assignee_id === ME) return t("assigned_to_you");
    if (c.assignee_id) return t("assigned_to", { name: assigneeName(c) });
    if (c.owner === "bot") return t("owner_bot");
    return t("owner_queue");
  }

  function renderConversationTags() {
    var box = $("conversation-tags");
    var tags = state.open.conversation.tags || [];
    box.replaceChildren();
    var chips = tagsNode(tags, state.features.tags === true ? removeTag : null);
    if (chips) box.append(chips);
    if (state.features.tags !== true) return;
    var onIt = {};
    tags.forEach(function (tag) {
      onIt[tag.id] = true;
    });
    var choices = state.tags.filter(function (tag) { return !onIt[tag.id]; });
    if (!choices.length) return;
    var select = el("select", {
      className: "add-tag",
      attrs: { "aria-label": t("add_tag"), "data-testid": "add-tag" },
      on: { change: function (event) { addTag(Number(event.target.value)); } },
    }, [el("option", { text: t("add_tag"), attrs: { value: "" } })].concat(choices.map(function (tag) {
      return el("option", { text: tag.name, attrs: { value: tag.id } });
    })));
    box.append(select);
  }

  function renderMessages() {
    messagesNode.replaceChildren.apply(messagesNode, state.open.messages.map(messageNode));
    messagesNode.scrollTop = messagesNode.scrollHeight;
  }

  /* Puts one message where its seq belongs (or replaces its older rendering). */
  function placeMessage(message) {
    var node = messageNode(message);
    var existing = messagesNode.querySelector('[data-id="' + message.id + '"]');
    var nearBottom = messagesNode.scrollHeight - messagesNode.scrollTop - messagesNode.clientHeight < 80;
    if (existing) {
      existing.replaceWith(node);
      return;
    }
    var after = null;
    messagesNode.querySelectorAll("[data-seq]").forEach(function (other) {
      if (Number(other.dataset.seq) > message.seq && after === null) after = other;
    });
    messagesNode.insertBefore(node, after);
    if (nearBottom || message.operator_id === ME) messagesNode.scrollTop = messagesNode.scrollHeight;
  }

  function upsertMessage(message) {
    rememberMessage(message);
    placeMessage(message);
  }

  function messageNode(message) {
    var note = message.author === "note";
    var head = el("div", { className: "message-head" }, [
      el("span", { className: "author", text: authorLabel(message) }),
      note ? el("span", { className: "note-label", text: t("internal_note") }) : null,
      timeNode(message.created_at),
    ]);
    return el("li", {
      className: "message from-" + message.author,
      attrs: {
        "data-testid": "message", "data-author": message.author, "data-seq": message.seq, "data-id": message.id,
        "data-status": message.status,
      },
    }, [
      head,
      message.text ? el("p", { className: "message-text", text: message.text }) : null,
      attachmentsNode(message.attachments || []),
      deliveryNode(message),
    ]);
  }

  function authorLabel(message) {
    switch (message.author) {
      case "visitor":
        return contactName(state.open.card || state.open.contact, state.open.conversation.contact_id);
      case "operator":
      case "note":
        return message.operator ? message.operator.name : operatorName(message.operator_id);
      case "bot":
        return t("bot");
      default:
        return t("system");
    }
  }

  function attachmentsNode(attachments) {
    if (!attachments.length) return null;
    return el("ul", { className: "attachments" }, attachments.map(function (file) {
      var image = /^image\/(png|jpeg|gif|webp)$/.test(file.content_type);
      var link = el("a", { attrs: { href: file.url, target: "_blank", rel: "noopener" } });
      if (image) link.append(el("img", { attrs: { src: file.url, alt: file.name, loading: "lazy" } }));
      else link.append(document.createTextNode(file.name));
      return el("li", { className: image ? "image" : "file" }, [link]);
    }));
  }

  function deliveryNode(message) {
    if (message.author !== "operator" && message.author !== "bot") return null;
    var box = el("div", { className: "delivery", attrs: { "data-testid": "delivery" } });
    if (message.status === "failed") {
      box.classList.add("failed");
      box.append(
        el("span", { text: message.failure_reason ? t("failed", { reason: message.failure_reason }) : t("failed_no_reason") }),
        el("button", {
          className: "link",
          text: t("retry"),
          attrs: { type: "button", "data-testid": "retry" },
          on: { click: function () { retry(message); } },
        })
      );
    } else if (message.status === "pending") {
      box.textContent = t("sending");
    } else {
      var read = message.seq <= (state.open.conversation.visitor_read_seq || 0);
      box.textContent = read ? t("read") : t("sent");
    }
    return box;
  }

  function retry(message) {
    request("POST", "/messages/" + message.id + "/retry").then(function (result) {
      if (!result.ok) return showActionError(errorText(result));
      delete state.open.statuses[message.id];
      upsertMessage(Object.assign({}, message, { status: "pending", failure_reason: null }));
    });
  }

  function showVisitorTyping(on) {
    var node = $("typing");
    clearTimeout(showVisitorTyping.timer);
    node.textContent = t("visitor_typing");
    show(node, on);
    // A lost "stopped typing" must not leave the indicator on for ever.
    if (on) showVisitorTyping.timer = setTimeout(hideTyping, VISITOR_TYPING_MS);
  }

  function hideTyping() {
    show($("typing"), false);
  }

  function markRead() {
    var open = state.open;
    if (!open || !open.conversation || document.visibilityState !== "visible") return;
    var seq = Math.max(open.conversation.last_seq || 0, lastSeq());
    if (seq <= (open.conversation.operator_read_seq || 0) || open.readSent >= seq) return;
    open.readSent = seq;
    request("POST", "/conversations/" + open.id + "/read", { seq: seq }).then(function (result) {
      if (!result.ok) return;
      open.conversation.operator_read_seq = result.data.operator_read_seq;
      var item = findItem(open.id);
      if (item) {
        item.operator_read_seq = result.data.operator_read_seq;
        item.unread = Math.max(0, (item.last_seq || 0) - result.data.operator_read_seq);
        renderList();
      }
    });
  }

  /* ---------------------------------------------------------------------------------------------
     Actions: take, close, reopen, unassign, snooze, transfer, tags
     --------------------------------------------------------------------------------------------- */

  function showActionError(text) {
    var node = $("action-error");
    node.textContent = text;
    show(node, true);
  }

  function hideActionError() {
    show($("action-error"), false);
  }

  function conversationPath(suffix) {
    return "/conversations/" + state.open.id + suffix;
  }

  function applyConversation(conversation) {
    if (!conversation) return refreshOpen(false);
    if (state.open && state.open.id === conversation.id) {
      state.open.conversation = Object.assign({}, state.open.conversation, conversation);
      renderHeader();
    }
    updateItem(conversation);
    scheduleCounts();
  }

  function act(action) {
    if (!state.open || !state.open.conversation) return;
    hideActionError();
    if (action === "snooze") return openSnooze();
    if (action === "transfer") return openTransfer();
    if (action === "contact") return toggleContact();
    if (action === "take") state.tookAt[state.open.id] = Date.now();
    request("POST", conversationPath("/" + action)).then(function (result) {
      if (result.ok) return applyConversation(conversationOf(result));
      if (result.missing) {
        state.features[action] = false;
        applyFeatures();
        return showActionError(t("unavailable"));
      }
      var takenBy = errorDetail(result, "taken_by");
      if (result.status === 409 && takenBy && takenBy.name) {
        showActionError(t("taken_by", { name: takenBy.name }));
        refreshOpen(false);
        return;
      }
      showActionError(errorText(result));
    });
  }

  function canAct(action) {
    var button = document.querySelector('#actions [data-action="' + action + '"]');
    return !!state.open && !!button && !button.hidden;
  }

  function addTag(tagId) {
    if (!tagId) return;
    request("POST", conversationPath("/tags"), { tag_id: tagId }).then(receiveTags);
  }

  function removeTag(tag) {
    request("DELETE", conversationPath("/tags/" + tag.id)).then(receiveTags);
  }

  function receiveTags(result) {
    if (!result.ok) return showActionError(errorText(result));
    applyConversation({ id: state.open.id, tags: result.data.tags });
  }

  /* The workspace's tags (for the filter and the "Add a tag" list); reloaded now and then, as
     admins may add some while the page is open. */
  function loadTags() {
    loadTags.at = Date.now();
    request("GET", "/tags").then(function (result) {
      state.features.tags = result.ok;
      if (result.ok) {
        state.tags = result.data.tags;
        var select = $("filter-tag");
        var chosen = select.value;
        select.replaceChildren(select.options[0]);
        state.tags.forEach(function (tag) {
          select.append(el("option", { text: tag.name, attrs: { value: tag.id } }));
        });
        select.value = chosen;
      }
      applyFeatures();
    });
  }

  /* Snooze: a date and time of one's own, or a quick choice; the server refuses a past time. */
  function openSnooze() {
    var dialog = $("snooze-dialog");
    var input = $("snooze-until");
    var soon = new Date(Date.now() + 3600 * 1000);
    input.min = isoWithOffset(new Date()).slice(0, 16);
    input.value = isoWithOffset(soon).slice(0, 16);
    dialogError(dialog, null);
    dialog.showModal();
    input.focus();
  }

  function quickSnooze(choice) {
    var date = new Date();
    if (choice === "hour") {
      date = new Date(date.getTime() + 3600 * 1000);
    } else {
      date.setDate(date.getDate() + 1);
      date.setHours(9, 0, 0, 0);
    }
    snooze(date);
  }

  function snooze(date) {
    var dialog = $("snooze-dialog");
    request("POST", conversationPath("/snooze"), { until: isoWithOffset(date) }).then(function (result) {
      if (!result.ok) return dialogError(dialog, errorText(result));
      dialog.close();
      applyConversation(conversationOf(result));
    });
  }

  function onSnoozeSubmit(event) {
    event.preventDefault();
    var value = $("snooze-until").value;
    if (!value) return dialogError($("snooze-dialog"), t("choose_time"));
    snooze(new Date(value)); // a datetime-local value is read as local time
  }

  function dialogError(dialog, text) {
    var node = dialog.querySelector(".dialog-error");
    node.textContent = text || "";
    show(node, !!text);
  }

  /* Transfer: to a group's queue (GET /queue lists the groups) or to a colleague the server says
     may get this dialog (GET /conversations/{id}/transfer-targets: where operators see only their
     groups' dialogs, an operator gives one only to those who see it already). */
  function openTransfer() {
    var dialog = $("transfer-dialog");
    dialogError(dialog, null);
    $("transfer-groups").replaceChildren(el("li", { className: "muted", text: t("loading") }));
    $("transfer-operators").replaceChildren();
    dialog.showModal();
    Promise.all([request("GET", "/queue"), request("GET", conversationPath("/transfer-targets"))]).then(function (answers) {
      var result = answers[0];
      if (!result.ok) return dialogError(dialog, errorText(result));
      receiveQueue(result.data);
      var targets = answers[1];
      // A server without the list: the operators of the groups, as before.
      renderTransferChoices(result.data, targets.ok ? targets.data.operators : queueOperators(result.data));
    });
  }

  function renderTransferChoices(queue, people) {
    var groups = queue.groups || [];
    $("transfer-groups").replaceChildren.apply($("transfer-groups"), groups.map(function (group) {
      return choiceNode(t("to_group", { name: group.name }), group.waiting ? t("waiting", { count: group.waiting }) : "", {
        group_id: group.id,
      });
    }));
    $("transfer-operators").replaceChildren.apply($("transfer-operators"), people.map(function (person) {
      state.operators[person.id] = person.name;
      var detail = presenceName(person.presence);
      if (person.load !== undefined) detail += " · " + t("load_of", { load: person.load, capacity: person.capacity });
      return choiceNode(person.name, detail, { operator_id: person.id });
    }));
  }

  function choiceNode(label, detail, body) {
    return el("li", {}, [
      el("button", {
        className: "choice",
        attrs: { type: "button" },
        on: { click: function () { transfer(body); } },
      }, [el("span", { text: label }), detail ? el("span", { className: "muted", text: detail }) : null]),
    ]);
  }

  function transfer(body) {
    var dialog = $("transfer-dialog");
    request("POST", conversationPath("/transfer"), body).then(function (result) {
      if (!result.ok) return dialogError(dialog, errorText(result));
      dialog.close();
      applyConversation(conversationOf(result));
    });
  }

  /* ---------------------------------------------------------------------------------------------
     Composer: reply or note, Enter sends, files, typing, saved replies after "/"
     --------------------------------------------------------------------------------------------- */

  var input = $("composer-input");

  function setMode(mode) {
    state.mode = mode;
    var form = $("composer");
    form.classList.toggle("note-mode", mode === "note");
    form.querySelectorAll("[data-mode]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    });
    input.placeholder = t(mode === "note" ? "note_placeholder" : "reply_placeholder");
    var send = $("send-button");
    send.textContent = mode === "note" ? send.dataset.noteLabel : send.dataset.replyLabel;
    show($("attach"), mode === "reply");
    if (mode === "note") stopTyping();
  }

  function focusComposer(mode) {
    if (!state.open) return;
    setMode(mode);
    input.focus();
  }

  function composerError(text) {
    $("composer-error").textContent = text || "";
  }

  function send() {
    if (!state.open || state.sending) return;
    var text = input.value.trim();
    var ready = state.files.filter(function (file) { return file.id; });
    var note = state.mode === "note";
    if (state.files.some(function (file) { return file.uploading; })) return;
    if (!text && (note || !ready.length)) return;
    var open = state.open;
    var body = note ? { text: text } : {
      text: text, client_id: randomId(), attachments: ready.map(function (file) { return file.id; }),
    };
    state.sending = true;
    if (!note) state.tookAt[open.id] = Date.now(); // replying takes an unassigned dialog
    composerError(null);
    request("POST", conversationPath(note ? "/notes" : "/messages"), body).then(function (result) {
      state.sending = false;
      if (!result.ok) return composerError(errorText(result));
      if (state.open !== open) return;
      input.value = "";
      state.files = [];
      renderFiles();
      closeCanned();
      stopTyping();
      upsertMessage(result.data.message);
      markRead();
      // A reply takes the conversation over (and reopens a closed one): show its new state.
      if (!note && (open.conversation.owner !== "operator" || open.conversation.status !== "open")) {
        refreshOpen(false);
        schedulePresence();
      }
    });
  }

  function onComposerKey(event) {
    if (handleCannedKey(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === "Escape") {
      input.blur();
    }
  }

  function onComposerInput() {
    composerError(null);
    updateCanned();
    if (state.mode === "reply" && input.value.trim()) startTyping();
  }

  function startTyping() {
    clearTimeout(startTyping.idle);
    startTyping.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
    if (state.typingOn || !state.open) return;
    state.typingOn = true;
    request("POST", conversationPath("/typing"), { on: true });
  }

  function stopTyping() {
    clearTimeout(startTyping.idle);
    if (!state.typingOn || !state.open) return;
    state.typingOn = false;
    request("POST", conversationPath("/typing"), { on: false });
  }

  function onFilesChosen(event) {
    Array.prototype.forEach.call(event.target.files, upload);
    event.target.value = "";
  }

  function upload(file) {
    var entry = { key: randomId(), name: file.name, uploading: true };
    var open = state.open;
    state.files.push(entry);
    renderFiles();
    var form = new FormData();
    form.append("file", file, file.name);
    request("POST", "/attachments", form).then(function (result) {
      if (state.open !== open) return;
      if (!result.ok) {
        state.files = state.files.filter(function (other) { return other !== entry; });
        composerError(file.name + ": " + errorText(result));
      } else {
        entry.id = result.data.id;
        entry.uploading = false;
      }
      renderFiles();
    });
  }

  function renderFiles() {
    var box = $("pending-files");
    box.replaceChildren.apply(box, state.files.map(function (file) {
      return el("li", { className: file.uploading ? "uploading" : "" }, [
        el("span", { text: file.uploading ? t("uploading", { name: file.name }) : file.name }),
        el("button", {
          className: "link",
          text: "×",
          attrs: { type: "button", "aria-label": t("remove_file", { name: file.name }) },
          on: { click: function () {
            state.files = state.files.filter(function (other) { return other !== file; });
            renderFiles();
          } },
        }),
      ]);
    }));
  }

  var canned = $("canned");

  var fetchCanned = debounce(function () {
    var query = state.canned.query;
    if (query === null) return; // the picker was closed meanwhile
    request("GET", "/canned-replies?q=" + encodeURIComponent(query)).then(function (result) {
      if (result.missing || result.status === 404) {
        state.features.canned = false;
        return closeCanned();
      }
      if (!result.ok || state.canned.query !== query) return;
      state.canned.items = result.data.canned_replies;
      state.canned.index = 0;
      renderCanned();
    });
  }, 150);

  function updateCanned() {
    var match = /^\/(\S*)$/.exec(input.value);
    if (!match || state.features.canned === false) return closeCanned();
    if (state.canned.query === match[1]) return;
    state.canned.query = match[1];
    fetchCanned();
  }

  function renderCanned() {
    var items = state.canned.items;
    if (!items.length) {
      canned.replaceChildren(el("li", { className: "muted", text: t("no_canned") }));
    } else {
      canned.replaceChildren.apply(canned, items.map(function (item, index) {
        var active = index === state.canned.index;
        return el("li", {
          className: "canned-item" + (active ? " active" : ""),
          attrs: { role: "option", id: "canned-" + index, "aria-selected": String(active) },
          on: { mousedown: function (event) { event.preventDefault(); insertCanned(item); } },
        }, [
          el("strong", { text: "/" + item.shortcut }),
          el("span", { text: " " + item.title }),
          el("span", { className: "muted canned-body", text: item.body }),
        ]);
      }));
    }
    show(canned, true);
    input.setAttribute("aria-expanded", "true");
    if (items.length) input.setAttribute("aria-activedescendant", "canned-" + state.canned.index);
  }

  function closeCanned() {
    state.canned = { items: [], index: 0, query: null };
    show(canned, false);
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function insertCanned(item) {
    input.value = item.body;
    closeCanned();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  /* Arrow keys move in the open picker, Enter or Tab insert, Escape closes. */
  function handleCannedKey(event) {
    if (canned.hidden) return false;
    var items = state.canned.items;
    if (event.key === "Escape") {
      closeCanned();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && items.length) {
      var step = event.key === "ArrowDown" ? 1 : -1;
      state.canned.index = (state.canned.index + step + items.length) % items.length;
      renderCanned();
    } else if ((event.key === "Enter" || event.key === "Tab") && items.length) {
      insertCanned(items[state.canned.index]);
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  /* ---------------------------------------------------------------------------------------------
     Contact card: who they are (editable), where they came from, their earlier conversations
     --------------------------------------------------------------------------------------------- */

  var contactPane = $("contact-pane");

  function loadContactCard() {
    var open = state.open;
    if (state.features.contacts === false) return;
    request("GET", "/contacts/" + open.conversation.contact_id).then(function (result) {
      if (state.open !== open) return;
      if (result.missing) {
        state.features.contacts = false;
        return;
      }
      if (!result.ok) return;
      state.features.contacts = true;
      open.card = result.data.contact;
      open.earlier = result.data.conversations || [];
      renderContactCard();
      renderHeader();
    });
  }

  function renderContactCard() {
    var open = state.open;
    var contact = open.card || open.contact;
    if (!contact) return contactPane.replaceChildren();
    var editable = state.features.contacts === true && !!open.card;
    contactPane.replaceChildren(
      el("h2", { text: contactName(contact, open.conversation.contact_id) }),
      el("div", { className: "contact-fields" }, ["name", "email", "phone"].map(function (field) {
        return contactField(contact, field, editable);
      })),
      visitDetails(contact),
      earlierConversations(open)
    );
  }

  function contactField(contact, field, editable) {
    var label = t(field === "name" ? "full_name" : field);
    var value = contact[field] || "";
    if (!editable) {
      return el("p", { className: "field" }, [el("span", { className: "muted", text: label }), el("span", { text: value || "—" })]);
    }
    var status = el("span", { className: "field-status", attrs: { role: "status" } });
    var inputNode = el("input", {
      attrs: { type: field === "email" ? "email" : field === "phone" ? "tel" : "text", value: value, "data-testid": "contact-" + field },
      on: {
        change: function (event) { saveContactField(field, event.target, status); },
        keydown: function (event) { if (event.key === "Enter") event.target.blur(); },
      },
    });
    return el("label", { className: "field editable" }, [el("span", { className: "muted", text: label }), inputNode, status]);
  }

  function saveContactField(field, inputNode, status) {
    var open = state.open;
    var body = {};
    body[field] = inputNode.value.trim() || null;
    status.className = "field-status";
    request("PATCH", "/contacts/" + open.card.id, body).then(function (result) {
      if (!result.ok) {
        status.classList.add("error");
        status.textContent = errorText(result);
        return;
      }
      open.card = result.data.contact;
      status.textContent = t("saved");
      setTimeout(function () { status.textContent = ""; }, 2000);
      $("conversation-title").textContent = contactName(open.card, open.card.id);
      var item = findItem(open.id);
      if (item) {
        item.contact = Object.assign({}, item.contact, { name: open.card.name, email: open.card.email });
        renderList();
      }
    });
  }

  function visitDetails(contact) {
    var props = contact.properties || {};
    var rows = [];
    function row(label, valueNode) {
      if (valueNode) rows.push(el("dt", { text: label }), el("dd", {}, [valueNode]));
    }
    function text(value) {
      return value ? document.createTextNode(value) : null;
    }
    row(t("page_url"), linkOrText(props.page_url));
    row(t("referrer"), linkOrText(props.referrer));
    var utm = Object.keys(props).filter(function (key) { return key.indexOf("utm_") === 0; });
    row(t("utm"), text(utm.map(function (key) { return key.slice(4) + "=" + props[key]; }).join(", ")));
    var browser = browserName(props.user_agent);
    if (browser) row(t("browser"), el("span", { text: browser, attrs: { title: props.user_agent } }));
    row(t("language"), text(contact.language));
    row(t("first_seen"), text(fullTime(contact.first_seen_at)));
    row(t("last_seen"), text(fullTime(contact.last_seen_at)));
    return el("dl", { className: "visit" }, rows);
  }

  /* A link only for http(s) addresses: a visitor's page could report anything, javascript: included. */
  function linkOrText(value) {
    if (!value) return null;
    var url = null;
    try {
      url = new URL(value);
    } catch (error) {
      return document.createTextNode(value);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return document.createTextNode(value);
    return el("a", { text: value, attrs: { href: url.href, target: "_blank", rel: "noopener noreferrer" } });
  }

  function browserName(agent) {
    if (!agent) return "";
    var found = /(Edg|OPR|Firefox|YaBrowser|Chrome|Version)\/(\d+)/.exec(agent);
    var names = { Edg: "Edge", OPR: "Opera", Version: "Safari", YaBrowser: "Yandex Browser" };
    var browser = found ? (names[found[1]] || found[1]) + " " + found[2] : "";
    var system = /Windows|Android|iPhone|iPad|Mac OS X|Linux/.exec(agent);
    var systemName = system ? system[0].replace("Mac OS X", "macOS") : "";
    return [browser, systemName].filter(Boolean).join(" · ") || agent.slice(0, 60);
  }

  function earlierConversations(open) {
    if (!open.earlier) return null;
    var others = open.earlier.filter(function (c) { return c.id !== open.id; });
    var section = el("section", { className: "earlier", attrs: { "data-testid": "earlier-conversations" } }, [
      el("h3", { text: t("earlier") }),
    ]);
    if (!others.length) {
      section.append(el("p", { className: "muted", text: t("no_earlier") }));
      return section;
    }
    section.append(el("ul", {}, others.map(function (c) {
      return el("li", {}, [
        el("button", {
          className: "link",
          attrs: { type: "button" },
          on: { click: function () { openConversation(c.id); } },
        }, [el("span", { text: fullTime(c.last_message_at || c.created_at) + " · " + t(c.status === "snoozed" ? "snoozed" : "status_" + c.status) })]),
        tagsNode(c.tags || [], null),
      ]);
    })));
    return section;
  }

  function toggleContact() {
    var shown = root.classList.toggle("showing-contact");
    document.querySelector('[data-action="contact"]').setAttribute("aria-expanded", String(shown));
  }

  /* ---------------------------------------------------------------------------------------------
     Presence and the supervisor's queue overview
     --------------------------------------------------------------------------------------------- */

  function presenceName(presence) {
    return t(presence === "offline" ? "offline_presence" : presence);
  }

  function loadPresence() {
    if (state.features.presence === false) return;
    request("GET", "/presence").then(receivePresence);
  }

  // My load changes with every dialog I get or give back; the presence frame does not carry it.
  var schedulePresence = debounce(loadPresence, 1000);

  function receivePresence(result) {
    if (result.missing || result.status === 404) {
      state.features.presence = false;
    } else if (result.ok) {
      state.features.presence = true;
      state.presence = result.data;
      renderPresence();
    }
    applyFeatures();
  }

  function renderPresence() {
    var p = state.presence;
    if (!p) return;
    $("presence-select").value = p.presence;
    $("presence").dataset.presence = p.presence;
    $("my-load").textContent = t("load_of", { load: p.load, capacity: p.capacity });
  }

  function changePresence(event) {
    request("PUT", "/presence", { presence: event.target.value }).then(receivePresence);
  }

  function loadQueue() {
    request("GET", "/queue").then(function (result) {
      if (result.missing || result.status === 404) {
        state.features.queue = false;
      } else if (result.ok) {
        state.features.queue = true;
        receiveQueue(result.data);
      }
      applyFeatures();
    });
  }

  var scheduleQueue = debounce(function () {
    var panel = $("queue-panel");
    if (panel && !panel.hidden) loadQueue();
  }, 1000);

  function queueOperators(queue) {
    var seen = {};
    var people = [];
    (queue.groups || []).forEach(function (group) {
      (group.operators || []).forEach(function (person) {
        if (seen[person.id]) return;
        seen[person.id] = true;
        people.push(person);
      });
    });
    return people;
  }

  function receiveQueue(queue) {
    state.queue = queue;
    queueOperators(queue).concat(queue.operators || []).forEach(function (person) {
      state.operators[person.id] = person.name;
    });
    renderQueue();
  }

  function renderQueue() {
    var rows = $("queue-rows");
    if (!rows || !state.queue) return;
    var groups = (state.queue.groups || []).slice();
    if (state.queue.ungrouped) groups.push(Object.assign({ name: t("no_group"), operators: null }, state.queue.ungrouped));
    rows.replaceChildren.apply(rows, groups.map(function (group) {
      return el("tr", { attrs: { "data-testid": "queue-group" } }, [
        el("td", { text: group.name }),
        el("td", { text: group.waiting }),
        el("td", { text: group.waiting ? duration(group.longest_wait_seconds) : "—" }),
        el("td", {}, [group.operators ? onlineOperators(group.operators) : null]),
      ]);
    }));
  }

  function onlineOperators(people) {
    var online = people.filter(function (person) { return person.presence !== "offline"; });
    if (!online.length) return el("span", { className: "muted", text: t("nobody_online") });
    return el("ul", { className: "plain-list" }, online.map(function (person) {
      return el("li", { className: "presence-" + person.presence }, [
        el("span", { className: "dot", attrs: { "aria-hidden": "true" } }),
        el("span", { text: person.name + " · " + presenceName(person.presence) + " · " + person.load + "/" + person.capacity }),
      ]);
    }));
  }

  function toggleQueuePanel() {
    var panel = $("queue-panel");
    panel.hidden = !panel.hidden;
    $("queue-toggle").setAttribute("aria-expanded", String(!panel.hidden));
    clearInterval(toggleQueuePanel.timer);
    if (panel.hidden) return;
    loadQueue();
    // Waits grow by themselves: refresh now and then even without events.
    toggleQueuePanel.timer = setInterval(loadQueue, QUEUE_REFRESH_MS);
  }

  /* ---------------------------------------------------------------------------------------------
     Attention: the title badge, a chime made with Web Audio, desktop notifications
     --------------------------------------------------------------------------------------------- */

  var audio = null;

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") {
      audio.resume().catch(function () {}); // without a user gesture yet, the browser keeps it muted
    }
    return audio;
  }

  function chime() {
    root.dataset.chimes = String(Number(root.dataset.chimes) + 1);
    var context = audioContext();
    if (!context) return;
    var start = context.currentTime;
    [[880, 0], [1320, 0.15]].forEach(function (tone) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      var at = start + tone[1];
      oscillator.type = "sine";
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.3);
    });
  }

  function isViewing(id) {
    return !!state.open && state.open.id === id && document.visibilityState === "visible";
  }

  function needsAttention(id) {
    if (isViewing(id)) return;
    state.attention[id] = true;
    updateTitle();
  }

  function forget(id) {
    delete state.attention[id];
    updateTitle();
  }

  function updateTitle() {
    var count = Object.keys(state.attention).length;
    document.title = count ? "(" + count + ") " + PAGE_TITLE : PAGE_TITLE;
  }

  function notify(title, body, id) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    var notification = new Notification(title, { body: body || "", tag: "firstline-" + id });
    notification.onclick = function () {
      window.focus();
      openConversation(id);
      notification.close();
    };
  }

  function renderNotifyButton() {
    var button = $("notify-button");
    show(button, "Notification" in window && Notification.permission === "default");
  }

  function askNotifications() {
    audioContext(); // a click is the gesture browsers want before they play sound
    Notification.requestPermission().then(renderNotifyButton);
  }

  function itemTitle(id) {
    var item = findItem(id);
    return item ? contactName(item.contact, item.contact_id) : "";
  }

  /* ---------------------------------------------------------------------------------------------
     Live: the operators' socket, its frames, reconnecting with backoff
     --------------------------------------------------------------------------------------------- */

  var live = { socket: null, attempt: 0, connected: false, ping: 0 };

  function connect() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(scheme + "//" + location.host + API + "/socket?workspace=" + encodeURIComponent(SLUG));
    live.socket = socket;
    socket.addEventListener("open", function () {
      var again = live.connected;
      live.connected = true;
      live.attempt = 0;
      setConnection("online");
      live.ping = setInterval(function () {
        if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
      }, PING_MS);
      if (again) resync();
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handleFrame(frame);
    });
    socket.addEventListener("close", function () {
      clearInterval(live.ping);
      live.socket = null;
      setConnection("reconnecting");
      setTimeout(connect, backoff(live.attempt));
      live.attempt += 1;
    });
  }

  function backoff(attempt) {
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, attempt));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  function setConnection(status) {
    root.dataset.connection = status;
    var node = $("connection");
    node.textContent = t("offline");
    show(node, status === "reconnecting");
  }

  /* After a lost connection (or when the server says it lost events): reload what is shown. */
  function resync() {
    loadList(false);
    loadCounts();
    refreshOpen(true);
    loadPresence();
    scheduleQueue();
  }

  var FRAMES = {
    message: onMessageFrame,
    message_status: onStatusFrame,
    conversation: onConversationFrame,
    assigned: onAssignedFrame,
    presence: onPresenceFrame,
    typing: onTypingFrame,
    read: onReadFrame,
    resync: resync,
  };

  function handleFrame(frame) {
    var handler = FRAMES[frame.type];
    if (!handler) return;
    handler(frame);
    if (frame.type !== "typing" && frame.type !== "read") scheduleQueue();
  }

  function onMessageFrame(frame) {
    var id = frame.conversation_id;
    var message = frame.message;
    if (state.open && state.open.id === id && state.open.conversation) {
      if (message) upsertMessage(message);
      else scheduleRefreshOpen();
      if (message && message.author === "visitor") hideTyping();
      markRead();
    }
    var item = findItem(id);
    if (item) {
      touchItem(item, frame);
    } else if (state.features.inbox === false) {
      // The older server announces no new conversations: any unknown one may be new.
      scheduleList();
      scheduleCounts();
    } else if (state.view === "open" || (message && message.operator_id === ME)) {
      scheduleList(); // newest activity first: it moves to the top
    }
    if (message && message.author === "visitor" && item && item.assignee_id === ME) {
      needsAttention(id);
      if (!isViewing(id)) notify(t("notify_message", { name: itemTitle(id) }), message.text, id);
    }
  }

  function touchItem(item, frame) {
    var message = frame.message;
    item.last_seq = Math.max(item.last_seq || 0, frame.seq || 0);
    if (message && message.author !== "note") {
      item.preview = message.text || (message.attachments || []).map(function (a) { return a.name; }).join(", ");
    }
    item.last_message_at = message ? message.created_at : new Date().toISOString();
    item.unread = isViewing(item.id) ? 0 : item.last_seq - (item.operator_read_seq || 0);
    if (state.view !== "unassigned") {
      state.items = [item].concat(state.items.filter(function (other) { return other !== item; }));
    }
    renderList();
  }

  function onStatusFrame(frame) {
    if (!state.open || state.open.id !== frame.conversation_id) return;
    var known = state.open.messages.filter(function (m) { return m.id === frame.message_id; })[0];
    state.open.statuses[frame.message_id] = { status: frame.status, reason: frame.reason };
    if (known) upsertMessage(Object.assign({}, known, { status: frame.status, failure_reason: frame.reason }));
  }

  function onConversationFrame(frame) {
    var change = { id: frame.conversation_id };
    ["status", "owner", "assignee_id", "group_id"].forEach(function (name) {
      if (frame[name] !== undefined) change[name] = frame[name];
    });
    var listed = findItem(change.id);
    var before = listed || (state.open && state.open.id === change.id ? state.open.conversation : null);
    if (change.assignee_id === ME || (before && before.assignee_id === ME)) schedulePresence();
    // A frame that changes none of these tells of what it does not carry (its tags): reload the list.
    var unchanged = !!listed && Object.keys(change).every(function (name) { return listed[name] === change[name]; });
    updateItem(change);
    if (unchanged) scheduleList();
    scheduleCounts();
    if (state.open && state.open.id === frame.conversation_id && state.open.conversation) {
      state.open.conversation = Object.assign({}, state.open.conversation, change);
      renderHeader();
      scheduleRefreshOpen();
    }
  }

  function onAssignedFrame(frame) {
    scheduleList();
    scheduleCounts();
    if (state.open && state.open.id === frame.conversation_id) scheduleRefreshOpen();
    if (frame.assignee_id !== ME) return;
    schedulePresence();
    if (Date.now() - (state.tookAt[frame.conversation_id] || 0) < SELF_ASSIGNED_MS) return;
    chime();
    needsAttention(frame.conversation_id);
    notify(t("notify_assigned"), itemTitle(frame.conversation_id), frame.conversation_id);
  }

  function onPresenceFrame(frame) {
    if (frame.operator_id !== ME) return;
    // The frame may overtake the first GET /presence; reloading also brings my load.
    schedulePresence();
    if (!state.presence) return;
    state.presence.presence = frame.presence;
    if (frame.load !== undefined) state.presence.load = frame.load;
    renderPresence();
  }

  function onTypingFrame(frame) {
    if (frame.name !== undefined) return; // an operator's typing, meant for the visitor
    if (state.open && state.open.id === frame.conversation_id) showVisitorTyping(!!frame.on);
  }

  function onReadFrame(frame) {
    if (frame.by === "visitor") {
      if (!state.open || state.open.id !== frame.conversation_id || !state.open.conversation) return;
      var conversation = state.open.conversation;
      conversation.visitor_read_seq = Math.max(conversation.visitor_read_seq || 0, frame.seq);
      state.open.messages.forEach(function (message) {
        if (message.author === "operator" || message.author === "bot") placeMessage(message);
      });
      return;
    }
    var item = findItem(frame.conversation_id);
    if (!item) return;
    item.operator_read_seq = Math.max(item.operator_read_seq || 0, frame.seq);
    item.unread = Math.max(0, (item.last_seq || 0) - item.operator_read_seq);
    renderList();
  }

  /* ---------------------------------------------------------------------------------------------
     Keyboard shortcuts (not while typing in a field)
     --------------------------------------------------------------------------------------------- */

  function isTypingInto(target) {
    return target instanceof HTMLElement && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable);
  }

  function moveSelection(step) {
    if (!state.items.length) return;
    var index = -1;
    state.items.forEach(function (item, i) {
      if (state.open && item.id === state.open.id) index = i;
    });
    var next = Math.min(state.items.length - 1, Math.max(0, index + step));
    if (index === -1) next = 0;
    openConversation(state.items[next].id);
    var node = list.querySelector('[data-id="' + state.items[next].id + '"]');
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  var SHORTCUTS = {
    j: function () { moveSelection(1); },
    k: function () { moveSelection(-1); },
    r: function () { focusComposer("reply"); },
    n: function () { focusComposer("note"); },
    e: function () { if (canAct("close")) act("close"); },
    t: function () { if (canAct("take")) act("take"); },
    "/": function () { $("search").focus(); },
    "?": function () { $("shortcuts-dialog").showModal(); },
  };

  function onShortcut(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTypingInto(event.target) || document.querySelector("dialog[open]")) return;
    var shortcut = SHORTCUTS[event.key];
    if (!shortcut) return;
    event.preventDefault();
    shortcut();
  }

  /* ---------------------------------------------------------------------------------------------
     Wiring
     --------------------------------------------------------------------------------------------- */

  function wire() {
    document.querySelectorAll("[data-view]").forEach(function (button) {
      button.addEventListener("click", function () { chooseView(button.dataset.view); });
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-open]");
      if (button) openConversation(Number(button.dataset.open));
    });
    ["filter-group", "filter-tag", "filter-channel"].forEach(function (id) {
      $(id).addEventListener("change", onFiltersChanged);
    });
    $("search").addEventListener("input", debounce(onFiltersChanged, 300));
    $("search").addEventListener("keydown", function (event) {
      if (event.key === "Escape") event.target.blur();
    });
    document.querySelectorAll("#actions [data-action]").forEach(function (button) {
      button.addEventListener("click", function () { act(button.dataset.action); });
    });
    $("back-button").addEventListener("click", function () {
      root.classList.remove("showing-conversation", "showing-contact");
    });
    $("composer").addEventListener("submit", function (event) {
      event.preventDefault();
      send();
    });
    $("composer").querySelectorAll("[data-mode]").forEach(function (button) {
      button.addEventListener("click", function () { focusComposer(button.dataset.mode); });
    });
    input.addEventListener("keydown", onComposerKey);
    input.addEventListener("input", onComposerInput);
    input.addEventListener("blur", function () {
      // Late enough for a click in the picker; not if the composer has the focus again by then.
      setTimeout(function () { if (document.activeElement !== input) closeCanned(); }, 150);
    });
    $("file-input").addEventListener("change", onFilesChosen);
    wireDialogs();
    $("presence-select").addEventListener("change", changePresence);
    if ($("queue-toggle")) $("queue-toggle").addEventListener("click", toggleQueuePanel);
    $("notify-button").addEventListener("click", askNotifications);
    $("shortcuts-button").addEventListener("click", function () { $("shortcuts-dialog").showModal(); });
    document.addEventListener("keydown", onShortcut);
    document.addEventListener("pointerdown", audioContext, { once: true });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible" || !state.open) return;
      forget(state.open.id);
      markRead();
    });
    watchLoadMore();
  }

  function wireDialogs() {
    document.querySelectorAll("[data-close-dialog]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });
    $("snooze-form").addEventListener("submit", onSnoozeSubmit);
    document.querySelectorAll("[data-snooze]").forEach(function (button) {
      button.addEventListener("click", function () { quickSnooze(button.dataset.snooze); });
    });
  }

  function start() {
    wire();
    setMode("reply");
    renderViews();
    renderNotifyButton();
    detectFeatures();
    loadList(false);
    loadCounts();
    connect();
    var wanted = /^#(\d+)$/.exec(location.hash);
    if (wanted) openConversation(Number(wanted[1]));
  }

  start();
})();
