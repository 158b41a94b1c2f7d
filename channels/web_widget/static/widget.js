/* Firstline web chat widget: one script, no dependencies, no build step (ES2019).
   Wire protocol: docs/widget-protocol.md (version 1). Everything lives in a shadow root, so the host
   page's CSS and ours never meet. */
(function () {
  "use strict";

  if (window.FirstlineWidget) {
    return; // embedded twice: the first copy keeps working, the second does nothing
  }

  var config = window.FirstlineSettings || {};
  var script = document.currentScript;
  var SERVER = script && script.src ? new URL(script.src, location.href).origin : location.origin;

  var PING_EVERY_MS = 15000;
  var ANSWER_WITHIN_MS = 10000;
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var TYPING_EVERY_MS = 2000;
  var OPERATOR_TYPING_MS = 6000;
  var ERROR_SHOWN_MS = 8000;
  var MAX_TEXT = 4000;
  var MAX_FILE_BYTES = 10 * 1024 * 1024;
  var FILE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"];
  // Errors about a `message` frame; without a client_id in the error they concern the oldest one in flight.
  var MESSAGE_ERRORS = ["rate_limited", "too_large", "not_found", "invalid_frame"];
  var THEIR_AUTHORS = ["operator", "bot", "system"];

  var DEFAULT_STRINGS = {
    title: "Chat with us",
    open: "Open the chat",
    close: "Close the chat",
    placeholder: "Write a message…",
    send: "Send",
    attach: "Attach a file",
    offline: "You are offline. Messages will be sent when the connection is back.",
    reconnecting: "Reconnecting…",
    typing: "{name} is typing…",
    read: "Read",
    failed: "Not sent.",
    retry: "Retry",
    file_too_large: "This file is larger than 10 MB.",
    file_type: "Only images (PNG, JPEG, GIF, WebP), PDF and text files can be sent.",
    rate_limited: "You are sending messages too fast; yours will go out in a moment.",
    away: "We're away now. We'll be back {when}.",
    away_unknown: "We're away now.",
    busy: "All our operators are busy or away right now.",
    leave_email: "Leave your email and we'll answer there.",
    email_placeholder: "Your email",
    email_send: "Send",
    email_invalid: "Enter a valid email address.",
    email_thanks: "Thank you! We'll answer at {email}.",
    sample_question: "Hi! Do you deliver on weekends?",
    sample_answer: "Yes, on Saturdays from 10:00 to 18:00.",
    sample_operator: "Anna",
  };

  var ICONS = {
    chat: "M12 3C6.5 3 2 6.8 2 11.5c0 2.5 1.3 4.7 3.3 6.3L4.5 21.5l4.3-2.2c1 .3 2.1.4 3.2.4 5.5 0 10-3.8 10-8.5S17.5 3 12 3z",
    close: "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12 19 6.4 17.6 5 12 10.6z",
    down: "M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z",
    send: "M3.4 20.4 21 12 3.4 3.6 3.4 10.2 15 12 3.4 13.8z",
    clip:
      "M16.5 6v11.5a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6H9v9.5a3 3 0 0 0 6 0V5" +
      "a4.5 4.5 0 0 0-9 0v12.5a6 6 0 0 0 12 0V6z",
  };

  var state = {
    preview: config.preview === true,
    settings: { color: "#2f6fed", position: "right", language: "en", greeting: "", strings: DEFAULT_STRINGS },
    token: null,
    socketUrl: null,
    conversation: null,
    messages: new Map(), // server id -> message
    outbox: new Map(), // client_id -> a message of ours not yet acknowledged
    open: false,
    seenSeq: 0, // the highest seq the visitor has had in front of them
    sentReadSeq: 0,
    operatorReadSeq: 0,
    operatorTyping: null, // the operator's name while they type
    draft: null, // the AI bot's answer while it is being written
    connection: "idle", // idle | connecting | online | reconnecting
    error: "",
    availability: null, // the last `availability` frame that had a notice (nobody can answer now)
    emailSaved: "", // the email the visitor left on this page
    emailError: "",
  };

  var link = {
    socket: null,
    ready: false,
    attempt: 0,
    inFlight: [], // client_ids sent on this socket and neither acknowledged nor refused
    tokenRefused: false,
    timers: { reconnect: 0, ping: 0, answer: 0, resend: 0 },
  };
  var typing = { on: false, lastSentAt: 0, operatorTimer: 0, errorTimer: 0 };
  var ui = null;
  var renderQueued = false;

  /* ---------- small tools ---------- */

  function strings() {
    return state.settings.strings;
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.append(child);
    });
    return node;
  }

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  var storage = {
    key: function () {
      return "firstline:" + config.workspace + ":visitor-token";
    },
    get: function () {
      try {
        return window.localStorage.getItem(storage.key());
      } catch (error) {
        return null; // storage disabled: this visitor is new on every page
      }
    },
    set: function (value) {
      try {
        if (value) window.localStorage.setItem(storage.key(), value);
        else window.localStorage.removeItem(storage.key());
      } catch (error) {
        /* storage disabled: see get() */
      }
    },
  };

  function newClientId() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    // randomUUID exists only in secure contexts; plain-http sites get a v4 UUID made by hand.
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function safeUrl(value) {
    try {
      var url = new URL(value, SERVER);
      return url.protocol === "https:" || url.protocol === "http:" || url.protocol === "blob:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function readableOn(hex) {
    var channel = function (offset) {
      var c = parseInt(hex.slice(offset, offset + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    var luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    return luminance > 0.45 ? "#1d2330" : "#ffffff";
  }

  function lastSeq() {
    var highest = 0;
    state.messages.forEach(function (message) {
      highest = Math.max(highest, message.seq);
    });
    return highest;
  }

  function pageVisible() {
    return document.visibilityState === "visible";
  }

  /* ---------- settings ---------- */

  function applySettings(next) {
    var current = state.settings;
    next = next || {};
    state.settings = {
      color: /^#[0-9a-f]{6}$/i.test(next.color || "") ? next.color : current.color,
      position: next.position === "left" || next.position === "right" ? next.position : current.position,
      language: typeof next.language === "string" ? next.language : current.language,
      greeting: typeof next.greeting === "string" ? next.greeting : current.greeting,
      strings: Object.assign({}, DEFAULT_STRINGS, next.strings || current.strings),
    };
  }

  function applyConversation(conversation) {
    if (!conversation) return;
    state.conversation = conversation;
    state.operatorReadSeq = Math.max(state.operatorReadSeq, conversation.operator_read_seq || 0);
    state.seenSeq = Math.max(state.seenSeq, conversation.visitor_read_seq || 0);
    state.sentReadSeq = Math.max(state.sentReadSeq, conversation.visitor_read_seq || 0);
  }

  /* ---------- the view ---------- */

  var CSS = [
    ".root{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;",
    "-webkit-font-smoothing:antialiased;text-align:left}",
    ".root *,.root *::before,.root *::after{box-sizing:border-box}",
    "button{font:inherit;color:inherit;background:none;border:0;margin:0;padding:0;cursor:pointer}",
    "[hidden]{display:none!important}",
    "svg{width:22px;height:22px;fill:currentColor;display:block}",
    ".launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;",
    "display:grid;place-items:center;background:var(--fl-color);color:var(--fl-on-color);",
    "box-shadow:0 6px 18px rgba(16,24,40,.24);transition:transform .15s ease}",
    ".launcher:hover{transform:scale(1.06)}",
    ".launcher svg{width:28px;height:28px}",
    ".left .launcher,.left .panel{left:20px;right:auto}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;",
    "background:#d92d20;color:#fff;font-size:12px;font-weight:600;line-height:20px;text-align:center;",
    "box-shadow:0 0 0 2px #fff}",
    ".panel{position:fixed;bottom:88px;right:20px;z-index:2147483000;width:360px;height:560px;",
    "max-height:calc(100vh - 108px);display:flex;flex-direction:column;overflow:hidden;background:#fff;",
    "border-radius:14px;box-shadow:0 12px 40px rgba(16,24,40,.22)}",
    ".header{display:flex;align-items:center;gap:8px;padding:12px 8px 12px 16px;background:var(--fl-color);",
    "color:var(--fl-on-color)}",
    ".title{flex:1;margin:0;font-size:16px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".icon{width:36px;height:36px;flex:none;border-radius:8px;display:grid;place-items:center}",
    ".header .icon:hover{background:rgba(127,127,127,.22)}",
    ".status{padding:6px 12px;font-size:12px;text-align:center;background:#fff6e0;color:#93370d}",
    ".log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px 12px 8px;display:flex;",
    "flex-direction:column;gap:8px;background:#f7f8fa}",
    ".msg{display:flex;flex-direction:column;align-items:flex-start;max-width:85%}",
    ".msg.mine{align-self:flex-end;align-items:flex-end}",
    ".msg.system{align-self:center;align-items:center;max-width:90%}",
    ".msg.draft .bubble{opacity:.75}",
    ".author{margin:0 4px 2px;font-size:12px;color:#667085}",
    ".bubble{padding:8px 12px;border-radius:16px;background:#fff;border:1px solid #e4e7ec;",
    "white-space:pre-wrap;overflow-wrap:anywhere}",
    ".theirs .bubble{border-bottom-left-radius:4px}",
    ".mine .bubble{background:var(--fl-color);color:var(--fl-on-color);border-color:transparent;",
    "border-bottom-right-radius:4px}",
    ".system .bubble{background:none;border:0;padding:2px 8px;font-size:12px;color:#667085;text-align:center}",
    ".bubble a{color:inherit;text-decoration:underline}",
    ".sending .bubble,.uploading .bubble{opacity:.6}",
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}",
    ".choice{font:inherit;font-size:13px;padding:6px 12px;border-radius:14px;border:1px solid var(--fl-color);",
    "background:#fff;color:var(--fl-color);cursor:pointer}.choice:hover{background:var(--fl-color);color:var(--fl-on-color)}",
    ".failed .bubble{box-shadow:0 0 0 2px #f04438}",
    ".thumb{display:block;margin:4px 0}",
    ".thumb img{display:block;max-width:220px;max-height:180px;border-radius:10px}",
    ".file{display:block;margin:2px 0}",
    ".meta{margin:2px 4px 0;font-size:11px;color:#667085}",
    ".meta button{margin-left:6px;font-size:11px;font-weight:600;text-decoration:underline;color:#b42318}",
    ".typing{padding:4px 16px 6px;font-size:12px;font-style:italic;color:#667085;background:#f7f8fa}",
    ".error{padding:6px 12px;font-size:12px;color:#b42318;background:#fef3f2}",
    ".notice{padding:8px 12px;font-size:12px;text-align:center;color:#475467;background:#f2f4f7;",
    "border-top:1px solid #e4e7ec}",
    ".notice p{margin:0 0 6px}.notice p:last-child{margin-bottom:0}",
    ".email-form{display:flex;gap:6px;margin:0 0 6px}",
    ".email-form input{flex:1;min-width:0;height:32px;margin:0;padding:4px 8px;font:inherit;color:inherit;",
    "background:#fff;border:1px solid #d0d5dd;border-radius:8px}",
    ".email-form button{padding:0 12px;border-radius:8px;font-weight:600;background:var(--fl-color);",
    "color:var(--fl-on-color)}",
    ".email-error{color:#b42318}.email-thanks{color:#067647}",
    ".composer{display:flex;align-items:flex-end;gap:4px;padding:8px;border-top:1px solid #e4e7ec;background:#fff}",
    ".composer textarea{flex:1;min-width:0;height:38px;max-height:120px;margin:0;padding:8px 10px;resize:none;",
    "font:inherit;line-height:20px;color:inherit;background:#fff;border:1px solid #d0d5dd;border-radius:10px}",
    ".composer .icon{color:#667085}",
    ".composer .send{color:var(--fl-color)}",
    ".file-input{display:none}",
    ":focus-visible{outline:2px solid var(--fl-focus);outline-offset:2px}",
    "@media (max-width:480px){.root .panel{inset:0;width:auto;height:auto;max-height:none;border-radius:0}",
    ".open .launcher{display:none}.composer textarea,.email-form input{font-size:16px}}",
  ].join("\n");

  function buildView() {
    var host = el("div", { "data-firstline-widget": "" });
    host.style.setProperty("all", "initial", "important");
    var shadow = host.attachShadow({ mode: "open" });
    var view = { host: host, nodes: new Map() };
    view.badge = el("span", { class: "badge", "data-testid": "badge", hidden: true, "aria-hidden": "true" });
    view.launcherIcon = el("span", {}, [icon("chat")]);
    view.launcher = el("button", { type: "button", class: "launcher", "data-testid": "launcher", onclick: toggle }, [
      view.launcherIcon,
      view.badge,
    ]);
    view.panel = el("div", { class: "panel", role: "dialog", "data-testid": "panel", hidden: true, onkeydown: onPanelKey }, [
      buildHeader(view),
      (view.status = el("div", { class: "status", role: "status", "data-testid": "connection-status", hidden: true })),
      (view.log = el("div", { class: "log", role: "log", "aria-live": "polite", "data-testid": "message-list" })),
      buildNotice(view),
      (view.typing = el("div", { class: "typing", "data-testid": "typing", hidden: true })),
      (view.error = el("div", { class: "error", role: "alert", "data-testid": "error", hidden: true })),
      buildComposer(view),
    ]);
    view.root = el("div", { class: "root" }, [view.panel, view.launcher]);
    shadow.append(el("style", { text: CSS }), view.root);
    document.body.append(host);
    return view;
  }

  function buildHeader(view) {
    view.title = el("h2", { class: "title" });
    view.close = el("button", { type: "button", class: "icon", "data-testid": "close", onclick: closeFromUi }, [
      icon("close"),
    ]);
    return el("div", { class: "header" }, [view.title, view.close]);
  }

  // Shown while the dialog waits in a queue nobody can answer now; offers to leave an email.
  function buildNotice(view) {
    view.noticeText = el("p", { "data-testid": "availability-notice" });
    view.emailPrompt = el("p", { "data-testid": "email-prompt" });
    view.emailInput = el("input", {
      type: "email",
      name: "email",
      autocomplete: "email",
      maxlength: "254",
      "data-testid": "email-input",
    });
    view.emailSend = el("button", { type: "submit", "data-testid": "email-send" });
    var formAttributes = { class: "email-form", novalidate: true, "data-testid": "email-form", onsubmit: onEmailSubmit };
    view.emailForm = el("form", formAttributes, [view.emailInput, view.emailSend]);
    view.emailError = el("p", { class: "email-error", role: "alert", "data-testid": "email-error" });
    view.emailThanks = el("p", { class: "email-thanks", "data-testid": "email-thanks" });
    view.notice = el("div", { class: "notice", "aria-live": "polite", "data-testid": "availability", hidden: true }, [
      view.noticeText,
      view.emailPrompt,
      view.emailForm,
      view.emailError,
      view.emailThanks,
    ]);
    return view.notice;
  }

  function buildComposer(view) {
    view.fileInput = el("input", {
      type: "file",
      class: "file-input",
      "data-testid": "attach-input",
      accept: FILE_TYPES.join(","),
      tabindex: "-1",
      onchange: onFilesChosen,
    });
    view.attach = el("button", { type: "button", class: "icon", "data-testid": "attach", onclick: chooseFile }, [
      icon("clip"),
    ]);
    view.input = el("textarea", {
      rows: "1",
      maxlength: String(MAX_TEXT),
      "data-testid": "composer-input",
      oninput: onInput,
      onkeydown: onComposerKey,
    });
    view.send = el("button", { type: "submit", class: "icon send", "data-testid": "send" }, [icon("send")]);
    return el("form", { class: "composer", onsubmit: onSubmit }, [view.attach, view.fileInput, view.input, view.send]);
  }

  function scheduleRender() {
    if (!ui || renderQueued) return;
    renderQueued = true;
    Promise.resolve().then(function () {
      renderQueued = false;
      render();
    });
  }

  function render() {
    renderChrome();
    renderMessages();
    renderIndicators();
    markSeen();
  }

  function renderChrome() {
    var s = strings();
    var settings = state.settings;
    ui.root.style.setProperty("--fl-color", settings.color);
    ui.root.style.setProperty("--fl-on-color", readableOn(settings.color));
    ui.root.style.setProperty("--fl-focus", readableOn(settings.color) === "#ffffff" ? settings.color : "#1d2330");
    ui.root.className = "root " + settings.position + (state.open ? " open" : "");
    ui.root.lang = settings.language;
    ui.title.textContent = s.title;
    ui.panel.setAttribute("aria-label", s.title);
    ui.panel.hidden = !state.open;
    ui.launcher.setAttribute("aria-label", state.open ? s.close : s.open);
    ui.launcher.setAttribute("aria-expanded", String(state.open));
    ui.launcherIcon.replaceChildren(icon(state.open ? "down" : "chat"));
    ui.close.setAttribute("aria-label", s.close);
    ui.input.placeholder = s.placeholder;
    ui.input.setAttribute("aria-label", s.placeholder);
    ui.send.setAttribute("aria-label", s.send);
    ui.attach.setAttribute("aria-label", s.attach);
    ui.fileInput.setAttribute("aria-label", s.attach);
    ui.emailInput.placeholder = s.email_placeholder;
    ui.emailInput.setAttribute("aria-label", s.email_placeholder);
    ui.emailSend.textContent = s.email_send;
    ui.emailPrompt.textContent = s.leave_email;
  }

  function renderIndicators() {
    var s = strings();
    var unread = state.open ? 0 : unreadCount();
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 99 ? "99+" : String(unread);
    var status = statusText();
    ui.status.hidden = status === "";
    ui.status.textContent = status;
    ui.typing.hidden = state.operatorTyping === null;
    ui.typing.textContent = (s.typing || "").split("{name}").join(state.operatorTyping || "…");
    ui.error.hidden = state.error === "";
    ui.error.textContent = state.error;
    renderNotice();
  }

  function renderNotice() {
    var s = strings();
    var notice = noticeText();
    var askEmail = notice !== "" && state.availability.needs_email && state.emailSaved === "";
    ui.notice.hidden = notice === "";
    ui.noticeText.textContent = notice;
    ui.emailPrompt.hidden = !askEmail;
    ui.emailForm.hidden = !askEmail;
    ui.emailError.hidden = !askEmail || state.emailError === "";
    ui.emailError.textContent = state.emailError;
    ui.emailThanks.hidden = notice === "" || state.emailSaved === "";
    ui.emailThanks.textContent = (s.email_thanks || "").split("{email}").join(state.emailSaved);
  }

  function noticeText() {
    var availability = state.availability;
    var s = strings();
    if (state.preview || !availability) return "";
    if (availability.notice === "busy") return s.busy;
    if (availability.notice !== "away") return "";
    return availability.when ? s.away.split("{when}").join(availability.when) : s.away_unknown;
  }

  function unreadCount() {
    var count = 0;
    state.messages.forEach(function (message) {
      if (THEIR_AUTHORS.indexOf(message.author) >= 0 && message.seq > state.seenSeq) count += 1;
    });
    return count;
  }

  function statusText() {
    if (state.preview || state.connection !== "reconnecting") return "";
    return navigator.onLine === false ? strings().offline : strings().reconnecting;
  }

  /* ---------- the message list ---------- */

  function timeline() {
    var items = [];
    if (state.settings.greeting) {
      items.push({ key: "greeting", author: "bot", text: state.settings.greeting, attachments: [] });
    }
    var confirmed = Array.from(state.messages.values()).sort(function (a, b) {
      return a.seq - b.seq;
    });
    var lastOwn = confirmed.filter(function (m) {
      return m.author === "visitor";
    }).pop();
    var lastMessage = confirmed[confirmed.length - 1];
    confirmed.forEach(function (m) {
      items.push({
        key: m.client_id ? "c:" + m.client_id : "m:" + m.id,
        buttons: m === lastMessage && m.author === "bot" && state.outbox.size === 0 ? m.buttons || [] : [],
        author: m.author,
        seq: m.seq,
        name: m.author === "operator" && m.operator ? m.operator.name : null,
        text: m.text || "",
        attachments: m.attachments || [],
        read: m === lastOwn && state.operatorReadSeq >= m.seq,
      });
    });
    if (state.draft) items.push({ key: "draft", author: "bot", text: state.draft, attachments: [], status: "draft" });
    state.outbox.forEach(function (item) {
      items.push({
        key: "c:" + item.client_id,
        clientId: item.client_id,
        author: "visitor",
        text: item.text,
        attachments: item.attachments,
        status: item.status,
      });
    });
    return items;
  }

  function renderMessages() {
    var log = ui.log;
    var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    var items = timeline();
    var keep = new Set();
    items.forEach(function (item, index) {
      var node = messageNodeFor(item);
      keep.add(item.key);
      if (log.children[index] !== node) log.insertBefore(node, log.children[index] || null);
    });
    ui.nodes.forEach(function (entry, key) {
      if (keep.has(key)) return;
      entry.node.remove();
      ui.nodes.delete(key);
    });
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function messageNodeFor(item) {
    var signature = JSON.stringify(item);
    var entry = ui.nodes.get(item.key);
    if (entry && entry.signature === signature) return entry.node;
    var node = messageNode(item);
    if (entry) entry.node.replaceWith(node);
    ui.nodes.set(item.key, { node: node, signature: signature });
    return node;
  }

  function messageNode(item) {
    var side = item.author === "visitor" ? "mine" : item.author === "system" ? "system" : "theirs";
    var bubble = el("div", { class: "bubble" }, linkified(item.text));
    item.attachments.forEach(function (attachment) {
      bubble.append(attachmentNode(attachment));
    });
    return el(
      "div",
      {
        class: ["msg", side, item.status].filter(Boolean).join(" "),
        "data-testid": item.key === "greeting" || item.key === "draft" ? item.key : "message",
        "data-author": item.author,
        "data-seq": item.seq,
        "data-status": item.status,
      },
      [item.name ? el("div", { class: "author", text: item.name }) : null, bubble, buttonsNode(item), metaNode(item)]
    );
  }

  // A bot's choices: pressing one sends its label as the visitor's message, with the button's id.
  function buttonsNode(item) {
    if (!item.buttons || item.buttons.length === 0) return null;
    return el(
      "div",
      { class: "choices" },
      item.buttons.map(function (button) {
        return el("button", {
          type: "button",
          class: "choice",
          "data-testid": "bot-button",
          text: button.label,
          onclick: function () {
            queueMessage(button.label, [], null, button.id);
          },
        });
      })
    );
  }

  function metaNode(item) {
    var s = strings();
    if (item.status === "failed") {
      var retryButton = el("button", { type: "button", "data-testid": "retry", text: s.retry, onclick: retry });
      retryButton.dataset.clientId = item.clientId;
      return el("div", { class: "meta" }, [document.createTextNode(s.failed), retryButton]);
    }
    if (item.read) return el("div", { class: "meta", "data-testid": "read-receipt", text: s.read });
    return null;
  }

  // Links are made only from http(s) URLs found in the text, as elements; the text itself stays text.
  function linkified(text) {
    var parts = [];
    var pattern = /\bhttps?:\/\/[^\s<>"']+/gi;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var url = match[0].replace(/[.,!?;:)\]}]+$/, "");
      var href = safeUrl(url);
      if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
      parts.push(
        href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow", text: url }) : url
      );
      last = match.index + url.length;
      pattern.lastIndex = last;
    }
    if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
    return parts;
  }

  // Files are readable by the visitor who holds the token; <img> and links cannot send a header, so it rides along.
  function attachmentUrl(value) {
    var href = value ? safeUrl(value) : null;
    if (!href || !state.token) return href;
    var url = new URL(href);
    if (url.origin !== SERVER || url.pathname.indexOf("/files/") !== 0 || url.searchParams.has("token")) return href;
    url.searchParams.set("token", state.token);
    return url.href;
  }

  function attachmentNode(attachment) {
    var href = attachmentUrl(attachment.url);
    var name = attachment.name || "file";
    if (href && /^image\//.test(attachment.content_type || "")) {
      return el("a", { class: "thumb", href: href, target: "_blank", rel: "noopener noreferrer" }, [
        el("img", { src: href, alt: name, loading: "lazy" }),
      ]);
    }
    var label = name + (attachment.size ? " (" + formatSize(attachment.size) + ")" : "");
    if (!href || /^blob:/.test(href)) return el("span", { class: "file", text: label });
    return el("a", { class: "file", href: href, download: name, target: "_blank", rel: "noopener noreferrer", text: label });
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  /* ---------- what the visitor does ---------- */

  function toggle() {
    if (state.open) return closeFromUi();
    openPanel();
    // Only a visitor's own click moves focus: opening by script (or the admin's preview) must not steal it.
    if (window.innerWidth > 480) ui.input.focus({ preventScroll: true });
  }

  function openPanel() {
    state.open = true;
    if (!state.preview) connect();
    if (!state.preview && link.ready) sendFrame({ type: "open" });
    if (!ui) return;
    render();
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function closePanel() {
    state.open = false;
    scheduleRender();
  }

  function closeFromUi() {
    closePanel();
    if (ui) ui.launcher.focus();
  }

  function onPanelKey(event) {
    if (event.key === "Escape") closeFromUi();
  }

  function onComposerKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) onSubmit(event);
  }

  function onSubmit(event) {
    event.preventDefault();
    var text = ui.input.value.trim();
    if (text === "") return;
    ui.input.value = "";
    autosize();
    stopTyping();
    queueMessage(text, []);
    ui.input.focus();
  }

  function onInput() {
    autosize();
    if (state.preview) return;
    var hasText = ui.input.value.trim() !== "";
    if (!hasText) return stopTyping();
    if (Date.now() - typing.lastSentAt < TYPING_EVERY_MS) return;
    if (sendFrame({ type: "typing", on: true })) {
      typing.on = true;
      typing.lastSentAt = Date.now();
    }
  }

  function stopTyping() {
    if (typing.on) sendFrame({ type: "typing", on: false });
    typing.on = false;
    typing.lastSentAt = 0;
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(Math.max(ui.input.scrollHeight + 2, 38), 120) + "px";
  }

  function chooseFile() {
    ui.fileInput.click();
  }

  function onFilesChosen() {
    var files = Array.from(ui.fileInput.files || []);
    ui.fileInput.value = "";
    files.forEach(attachFile);
  }

  function attachFile(file) {
    var problem = file.size > MAX_FILE_BYTES ? "file_too_large" : FILE_TYPES.indexOf(file.type) < 0 ? "file_type" : null;
    if (problem) return showError(strings()[problem]);
    var local = /^image\//.test(file.type) ? URL.createObjectURL(file) : null;
    var item = queueMessage("", [{ name: file.name, content_type: file.type, size: file.size, url: local }], file);
    if (!state.preview) upload(item);
  }

  function retry(event) {
    var item = state.outbox.get(event.currentTarget.dataset.clientId);
    if (!item) return;
    if (item.file) return upload(item);
    item.status = "sending";
    connect();
    transmit(item);
    scheduleRender();
  }

  function onEmailSubmit(event) {
    event.preventDefault();
    var email = ui.emailInput.value.trim();
    if (email === "") state.emailError = strings().email_invalid;
    else if (sendFrame({ type: "leave_email", email: email })) {
      state.emailError = "";
      expectAnswer();
    } else state.emailError = strings().offline;
    scheduleRender();
  }

  function showError(text) {
    state.error = text || "";
    clearTimeout(typing.errorTimer);
    typing.errorTimer = setTimeout(function () {
      state.error = "";
      scheduleRender();
    }, ERROR_SHOWN_MS);
    scheduleRender();
  }

  /* ---------- sending ---------- */

  function queueMessage(text, attachments, file, buttonId) {
    var item = {
      client_id: newClientId(),
      button_id: buttonId || null,
      text: text,
      attachments: attachments,
      file: file || null, // kept until its upload succeeds
      status: file ? "uploading" : "sending",
    };
    if (state.preview) return showInPreview(item);
    state.outbox.set(item.client_id, item);
    connect();
    transmit(item);
    scheduleRender();
    return item;
  }

  function transmit(item) {
    if (!link.ready || item.status !== "sending" || link.inFlight.indexOf(item.client_id) >= 0) return;
    var frame = {
      type: "message",
      client_id: item.client_id,
      text: item.text,
      attachments: item.attachments.map(function (a) {
        return a.id;
      }),
    };
    if (item.button_id) frame.button_id = item.button_id;
    if (sendFrame(frame)) {
      link.inFlight.push(item.client_id);
      expectAnswer();
    }
  }

  function flushOutbox() {
    state.outbox.forEach(transmit);
  }

  function settle(clientId, message) {
    takeInFlight(clientId);
    var item = state.outbox.get(clientId);
    if (item) {
      item.attachments.forEach(function (a) {
        if (a.url && /^blob:/.test(a.url)) URL.revokeObjectURL(a.url);
      });
      state.outbox.delete(clientId);
    }
    if (message) mergeMessages([message]);
  }

  function takeInFlight(clientId) {
    var index = clientId ? link.inFlight.indexOf(clientId) : 0;
    if (index < 0 || link.inFlight.length === 0) return null;
    return link.inFlight.splice(index, 1)[0];
  }

  function upload(item) {
    item.status = "uploading";
    scheduleRender();
    var form = new FormData();
    form.append("file", item.file, item.file.name);
    return fetch(endpoint("attachments"), {
      method: "POST",
      headers: { "X-Visitor-Token": state.token || "" },
      body: form,
      credentials: "omit",
    })
      .then(function (response) {
        return readJson(response).then(function (answer) {
          if (!response.ok) return uploadRefused(item, response.status, answer);
          item.attachments = [answer];
          item.file = null;
          item.status = "sending";
          transmit(item);
          scheduleRender();
        });
      })
      .catch(function () {
        markFailed(item.client_id, strings().failed);
      });
  }

  function uploadRefused(item, status, answer) {
    var s = strings();
    var text = status === 413 ? s.file_too_large : status === 415 ? s.file_type : errorMessage(answer, s.failed);
    markFailed(item.client_id, text);
    if (status === 401) refreshSession();
  }

  function markFailed(clientId, text) {
    var item = state.outbox.get(clientId);
    if (item) item.status = "failed";
    showError(text);
  }

  function showInPreview(item) {
    var seq = lastSeq() + 1;
    state.messages.set("preview-" + seq, {
      id: "preview-" + seq,
      seq: seq,
      author: "visitor",
      text: item.text,
      client_id: item.client_id,
      attachments: item.attachments,
    });
    scheduleRender();
    return item;
  }

  /* ---------- the session ---------- */

  function endpoint(name) {
    return SERVER + "/widget/v1/" + encodeURIComponent(config.workspace) + "/" + name;
  }

  function readJson(response) {
    return response.json().catch(function () {
      return null;
    });
  }

  function errorMessage(answer, fallback) {
    return answer && answer.error && answer.error.message ? answer.error.message : fallback;
  }

  function sessionBody(withUser) {
    var body = {
      token: storage.get() || undefined,
      page_url: location.href,
      referrer: document.referrer || undefined,
      title: document.title,
      language: navigator.language,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      screen: window.screen.width + "x" + window.screen.height,
      user_agent: navigator.userAgent,
      utm: utmTags(),
    };
    var user = config.user;
    if (withUser && user && user.id !== undefined && user.id !== null) {
      body.user = { id: String(user.id), hash: user.hash, name: user.name, email: user.email, phone: user.phone };
    }
    return body;
  }

  function utmTags() {
    var query = new URLSearchParams(location.search);
    var tags = {};
    ["source", "medium", "campaign", "term", "content"].forEach(function (name) {
      var value = query.get("utm_" + name);
      if (value) tags[name] = value;
    });
    return Object.keys(tags).length ? tags : undefined;
  }

  function startSession(attempt, withUser) {
    return fetch(endpoint("session"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(sessionBody(withUser)),
      credentials: "omit",
    })
      .then(function (response) {
        return readJson(response).then(function (answer) {
          if (response.ok && answer && answer.token) return sessionStarted(answer);
          if (response.status >= 500) return retrySession(attempt, withUser);
          return sessionRefused(answer, withUser);
        });
      })
      .catch(function () {
        retrySession(attempt, withUser);
      });
  }

  function retrySession(attempt, withUser) {
    setTimeout(function () {
      startSession(attempt + 1, withUser);
    }, backoff(attempt));
  }

  function sessionRefused(answer, withUser) {
    var code = answer && answer.error ? answer.error.code : "unknown";
    if (code === "identity_invalid" && withUser) {
      console.warn("Firstline: the user's identity hash was refused; chatting anonymously.");
      return startSession(0, false);
    }
    console.warn("Firstline: the chat is not available here (" + code + ").");
  }

  function sessionStarted(answer) {
    state.token = answer.token;
    storage.set(answer.token);
    state.socketUrl = answer.socket_url;
    applySettings(answer.settings);
    applyConversation(answer.conversation);
    if (!ui) mount();
    if (answer.conversation || state.open || state.outbox.size) connect();
    scheduleRender();
  }

  function refreshSession() {
    state.token = null;
    storage.set(null);
    closeSocket();
    startSession(0, true);
  }

  /* ---------- the socket ---------- */

  function socketAddress() {
    var url = new URL(state.socketUrl, SERVER);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  function connect() {
    if (state.preview || link.socket || !state.socketUrl || !state.token) return;
    clearTimeout(link.timers.reconnect);
    var socket = new WebSocket(socketAddress());
    link.socket = socket;
    link.ready = false;
    link.inFlight = [];
    setConnection(state.connection === "reconnecting" ? "reconnecting" : "connecting");
    socket.onopen = function () {
      if (socket !== link.socket) return;
      sendFrame({ type: "hello", v: 1, token: state.token, last_seq: lastSeq() });
      expectAnswer();
      link.timers.ping = setInterval(ping, PING_EVERY_MS);
    };
    socket.onmessage = function (event) {
      if (socket === link.socket) onFrame(event.data);
    };
    socket.onclose = function () {
      if (socket === link.socket) lost();
    };
  }

  function sendFrame(frame) {
    if (!link.socket || link.socket.readyState !== WebSocket.OPEN) return false;
    link.socket.send(JSON.stringify(frame));
    return true;
  }

  function ping() {
    if (sendFrame({ type: "ping" })) expectAnswer();
  }

  // A connection can die without a close event (a laptop lid, a NAT); silence after a request means it did.
  function expectAnswer() {
    if (!link.timers.answer) link.timers.answer = setTimeout(lost, ANSWER_WITHIN_MS);
  }

  function closeSocket() {
    var socket = link.socket;
    link.socket = null;
    link.ready = false;
    clearInterval(link.timers.ping);
    clearTimeout(link.timers.answer);
    link.timers.answer = 0;
    if (socket) socket.close();
  }

  function lost() {
    closeSocket();
    typing.on = false;
    state.operatorTyping = null;
    if (link.tokenRefused) {
      link.tokenRefused = false;
      setConnection("idle");
      return refreshSession();
    }
    setConnection("reconnecting");
    link.timers.reconnect = setTimeout(connect, backoff(link.attempt));
    link.attempt += 1;
  }

  function reconnectNow() {
    if (link.socket || state.connection !== "reconnecting") return;
    link.attempt = 0;
    connect();
  }

  function backoff(attempt) {
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, attempt));
    return ceiling / 2 + (Math.random() * ceiling) / 2; // jitter: reconnecting visitors spread out
  }

  function setConnection(value) {
    state.connection = value;
    scheduleRender();
  }

  function onFrame(data) {
    clearTimeout(link.timers.answer);
    link.timers.answer = 0;
    var frame;
    try {
      frame = JSON.parse(data);
    } catch (error) {
      return;
    }
    var handler = frame && FRAME_HANDLERS[frame.type];
    if (handler) handler(frame);
    scheduleRender();
  }

  var FRAME_HANDLERS = {
    ready: function (frame) {
      link.ready = true;
      link.attempt = 0;
      setConnection("online");
      applyConversation(frame.conversation);
      mergeMessages(frame.messages || []);
      flushOutbox();
      if (state.open) sendFrame({ type: "open" });
    },
    ack: function (frame) {
      settle(frame.client_id, frame.message);
    },
    message: function (frame) {
      mergeMessages([frame.message]);
    },
    typing: function (frame) {
      if (frame.on) showOperatorTyping(frame.name);
      else hideOperatorTyping();
    },
    read: function (frame) {
      state.operatorReadSeq = Math.max(state.operatorReadSeq, frame.seq || 0);
    },
    conversation: function (frame) {
      applyConversation(frame.conversation);
    },
    draft: function (frame) {
      state.draft = typeof frame.text === "string" && frame.text ? frame.text : null;
    },
    availability: function (frame) {
      state.availability = frame.notice ? frame : null;
    },
    email_saved: function (frame) {
      state.emailSaved = frame.email || ui.emailInput.value.trim();
      state.emailError = "";
    },
    pong: function () {},
    error: onServerError,
  };

  function mergeMessages(messages) {
    messages.forEach(function (message) {
      if (!message || message.id === undefined || typeof message.seq !== "number") return;
      state.messages.set(message.id, message);
      if (message.client_id && state.outbox.has(message.client_id)) settle(message.client_id, null);
      if (message.author !== "visitor") hideOperatorTyping();
      if (message.author === "bot") state.draft = null; // the answer arrived whole
      if (message.author === "operator") state.availability = null; // someone is answering after all
    });
  }

  function showOperatorTyping(name) {
    state.operatorTyping = name || "";
    clearTimeout(typing.operatorTimer);
    typing.operatorTimer = setTimeout(hideOperatorTyping, OPERATOR_TYPING_MS);
  }

  function hideOperatorTyping() {
    clearTimeout(typing.operatorTimer);
    state.operatorTyping = null;
    scheduleRender();
  }

  function onServerError(frame) {
    if (frame.code === "invalid_token") {
      link.tokenRefused = true; // the server closes the socket; lost() then starts a new session
      return;
    }
    if (frame.code === "invalid_email" || frame.about === "leave_email") {
      // What was typed stays in the field to be corrected.
      state.emailError = frame.code === "invalid_email" ? strings().email_invalid : frame.message || frame.code;
      return;
    }
    var clientId = MESSAGE_ERRORS.indexOf(frame.code) >= 0 ? takeInFlight(frame.client_id) : null;
    if (frame.code === "rate_limited") {
      // Not stored: it stays pending and goes again, with the same client_id, when the server allows.
      clearTimeout(link.timers.resend);
      link.timers.resend = setTimeout(flushOutbox, Math.max(1, frame.retry_after || 1) * 1000);
      return showError(strings().rate_limited);
    }
    if (clientId) return markFailed(clientId, frame.message || strings().failed);
    showError(frame.message || frame.code);
  }

  function markSeen() {
    if (!state.open || !pageVisible() || state.preview) return;
    var seq = lastSeq();
    state.seenSeq = Math.max(state.seenSeq, seq);
    if (seq > state.sentReadSeq && link.ready && sendFrame({ type: "read", seq: seq })) state.sentReadSeq = seq;
  }

  /* ---------- start ---------- */

  function mount() {
    ui = buildView();
    render();
    if (state.open) openPanel();
  }

  function whenBodyExists(callback) {
    if (document.body) return callback();
    document.addEventListener("DOMContentLoaded", callback, { once: true });
  }

  function samplePreviewExchange() {
    var s = strings();
    state.messages.delete("sample-question");
    state.messages.delete("sample-answer");
    state.messages.set("sample-question", {
      id: "sample-question",
      seq: 0.1,
      author: "visitor",
      text: s.sample_question,
      attachments: [],
    });
    state.messages.set("sample-answer", {
      id: "sample-answer",
      seq: 0.2,
      author: "operator",
      operator: { name: s.sample_operator },
      text: s.sample_answer,
      attachments: [],
    });
    state.operatorReadSeq = Math.max(state.operatorReadSeq, 0.1);
  }

  function update(settings) {
    applySettings(settings);
    if (state.preview) samplePreviewExchange();
    scheduleRender();
  }

  window.FirstlineWidget = {
    open: openPanel,
    close: closePanel,
    update: update,
  };

  whenBodyExists(function () {
    if (state.preview) {
      applySettings(config.settings);
      samplePreviewExchange();
      state.open = true;
      return mount();
    }
    if (!config.workspace) {
      console.warn("Firstline: set window.FirstlineSettings = {workspace: \"…\"} before loading widget.js.");
      return;
    }
    document.addEventListener("visibilitychange", function () {
      if (!pageVisible()) return;
      reconnectNow();
      scheduleRender();
    });
    window.addEventListener("online", reconnectNow);
    window.addEventListener("offline", scheduleRender);
    startSession(0, true);
  });
})();
