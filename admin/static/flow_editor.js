/* The flow editor: the draft as JSON (checked for syntax here, saved through the flows API, its
   errors listed with their paths), the graph drawn from that JSON as SVG (columns by distance from
   the start node, counters of the live version on the nodes), a preview chat that steps the saved
   draft, publishing, versions and roll back. API: docs/flows-api.md.
   Texts of the flow are people's data: they only ever reach the page through textContent. */
(function () {
  "use strict";

  var root = document.getElementById("flow-editor");
  var config = JSON.parse(document.getElementById("flow-editor-config").textContent);
  var STRINGS = config.strings;
  var SLUG = root.dataset.slug;
  var BASE = "/api/v1/flows/" + root.dataset.flowId;
  var CSRF = document.querySelector("meta[name=csrf-token]").content;
  var LOCALE = document.documentElement.lang || "en";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var NODE_W = 200;
  var NODE_H = 68;
  var COL_GAP = 120;
  var ROW_GAP = 36;
  var MARGIN = 28;
  var PARSE_DELAY_MS = 250;
  // The database keeps JSON objects with their keys re-sorted; show them in a reading order.
  var TOP_KEYS = ["schema", "start", "triggers", "nodes", "ui"];
  var ITEM_KEYS = [
    "kind", "id", "type", "op", "text", "label", "image_url", "when", "then", "else", "input", "choices",
    "validator", "pattern", "save_to", "attempts", "retry_text", "seconds", "method", "url", "headers", "body",
    "timeout_seconds", "save", "prompt", "question", "group", "group_id", "summary", "path", "value", "tag",
    "keywords", "payload", "operations", "variants", "percent", "buttons", "target", "flow_id", "next",
    "on_text", "on_give_up", "on_timeout", "on_error", "on_handoff", "ui",
  ];

  var editor = $("flow-json");
  var graph = $("flow-graph");
  var dateFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" });

  var state = {
    flow: null, // the API's view of the flow (versions, live number, counters)
    saved: null, // the editor text last saved (or loaded)
    document: null, // the last JSON that parsed
    errors: [], // the server's errors for the draft last saved (or refused)
    selected: null, // the selected node's id
  };
  var preview = { state: null, node: null, busy: false };
  var view = { zoom: 1, width: 0, height: 0 };
  var ZOOMS = [0.25, 0.4, 0.55, 0.7, 0.85, 1, 1.25, 1.5];

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
    decorate(node, options || {}, children);
    if (options && options.className) node.className = options.className;
    return node;
  }

  function svg(tag, options, children) {
    var node = document.createElementNS(SVG_NS, tag);
    decorate(node, options || {}, children);
    if (options && options.className) node.setAttribute("class", options.className);
    return node;
  }

  function decorate(node, options, children) {
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
  }

  function inReadingOrder(value, first) {
    if (Array.isArray(value)) {
      return value.map(function (item) {
        return inReadingOrder(item, ITEM_KEYS);
      });
    }
    if (!isObject(value)) return value;
    var keys = Object.keys(value);
    var front = first.filter(function (key) {
      return keys.indexOf(key) >= 0;
    });
    var ordered = {};
    front
      .concat(
        keys.filter(function (key) {
          return front.indexOf(key) < 0;
        })
      )
      .forEach(function (key) {
        ordered[key] = inReadingOrder(value[key], ITEM_KEYS);
      });
    return ordered;
  }

  function debounce(fn, ms) {
    var timer = 0;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function shorten(text, length) {
    text = String(text === undefined || text === null ? "" : text).replace(/\s+/g, " ").trim();
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  /* ---------------------------------------------------------------------------------------------
     The API and the messages line
     --------------------------------------------------------------------------------------------- */

  function api(method, path, body) {
    var headers = { "X-Workspace": SLUG, Accept: "application/json" };
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(
      function (response) {
        if (response.status === 204) return { ok: true, status: 204, data: null };
        return response.json().then(
          function (data) {
            return { ok: response.ok, status: response.status, data: data };
          },
          function () {
            return { ok: response.ok, status: response.status, data: null };
          }
        );
      },
      function () {
        return { ok: false, status: 0, data: null };
      }
    );
  }

  function errorMessage(result) {
    return result.data && result.data.error ? result.data.error.message : t("error");
  }

  function detailErrors(result) {
    var error = result.data && result.data.error;
    return error && error.details && Array.isArray(error.details.errors) ? error.details.errors : null;
  }

  function say(text, kind) {
    var line = $("editor-message");
    line.textContent = text || "";
    line.className = "editor-message" + (kind ? " " + kind : "");
  }

  /* ---------------------------------------------------------------------------------------------
     Loading, status and versions
     --------------------------------------------------------------------------------------------- */

  function load() {
    return api("GET", BASE).then(function (result) {
      if (!result.ok) return say(errorMessage(result), "error");
      editor.value = JSON.stringify(inReadingOrder(result.data.flow.draft, TOP_KEYS), null, 2);
      state.saved = editor.value;
      state.errors = result.data.flow.errors;
      showFlow(result.data.flow);
      parseEditor();
      renderErrors();
      renderGraph();
      updateSaveState();
    });
  }

  function refresh() {
    return api("GET", BASE).then(function (result) {
      if (result.ok) {
        showFlow(result.data.flow);
        renderGraph();
      }
    });
  }

  function showFlow(flow) {
    state.flow = flow;
    var status = $("flow-status");
    if (flow.live_number !== null) {
      status.textContent = t("status_live", { number: flow.live_number });
      status.className = "badge live";
    } else {
      status.textContent = flow.versions.length ? t("status_off") : t("status_draft");
      status.className = "badge";
    }
    $("turn-off").hidden = flow.live_number === null;
    renderVersions(flow.versions);
  }

  function renderVersions(versions) {
    var list = $("versions");
    list.replaceChildren();
    if (!versions.length) {
      list.append(el("li", { className: "muted", text: t("no_versions") }));
      return;
    }
    versions.forEach(function (version) {
      var when = el("time", {
        className: "muted",
        text: dateFormat.format(new Date(version.published_at)),
        attrs: { datetime: version.published_at },
      });
      var action = version.is_live
        ? el("span", { className: "badge live", text: t("live") })
        : el("button", {
            className: "link",
            text: t("roll_back"),
            attrs: { type: "button" },
            data: { testid: "roll-back-" + version.number },
            on: { click: rollBack.bind(null, version.number) },
          });
      list.append(
        el("li", { data: { testid: "version-" + version.number } }, [
          el("strong", { text: t("version", { number: version.number }) }),
          when,
          action,
        ])
      );
    });
  }

  function rollBack(number) {
    if (!window.confirm(t("confirm_roll_back", { number: number }))) return;
    api("POST", BASE + "/rollback", { number: number }).then(function (result) {
      if (!result.ok) return say(errorMessage(result), "error");
      say(t("rolled_back", { number: result.data.live_number }), "success");
      refresh();
    });
  }

  function turnOff() {
    if (!window.confirm(t("confirm_turn_off"))) return;
    api("POST", BASE + "/turn-off").then(function (result) {
      if (!result.ok) return say(errorMessage(result), "error");
      say(t("turned_off"), "success");
      refresh();
    });
  }

  function publish() {
    saveIfChanged().then(function (saved) {
      if (!saved) return;
      api("POST", BASE + "/publish").then(function (result) {
        if (result.ok) {
          say(t("published", { number: result.data.number }), "success");
          return refresh();
        }
        var errors = detailErrors(result);
        if (errors) {
          state.errors = errors;
          renderErrors();
          renderGraph();
          return say(t("not_published"), "error");
        }
        say(errorMessage(result), "error");
      });
    });
  }

  function rename(event) {
    event.preventDefault();
    var name = $("rename-input").value;
    api("PATCH", BASE, { name: name }).then(function (result) {
      if (!result.ok) return say(errorMessage(result), "error");
      $("flow-name").textContent = result.data.flow.name;
      $("rename-input").value = result.data.flow.name;
      say(t("renamed"), "success");
    });
  }

  function deleteFlow() {
    if (!window.confirm(t("confirm_delete"))) return;
    api("DELETE", BASE).then(function (result) {
      if (!result.ok) return say(errorMessage(result), "error");
      state.saved = editor.value; // nothing left to lose
      window.location.assign("/w/" + encodeURIComponent(SLUG) + "/flows");
    });
  }

  /* ---------------------------------------------------------------------------------------------
     The JSON: syntax checked here, saved through the API, errors listed and located
     --------------------------------------------------------------------------------------------- */

  function isDirty() {
    return state.saved !== null && editor.value !== state.saved;
  }

  function updateSaveState() {
    $("save-state").textContent = isDirty() ? t("unsaved") : "";
  }

  /* The document in the editor, or null (and the syntax error shown) when it does not parse. */
  function parseEditor() {
    var box = $("json-error");
    try {
      state.document = JSON.parse(editor.value);
    } catch (error) {
      var problem = syntaxProblem(error, editor.value);
      box.textContent = problem.text;
      box.dataset.position = problem.position === null ? "" : String(problem.position);
      box.hidden = false;
      $("graph-note").textContent = t("graph_stale");
      $("graph-note").hidden = false;
      return null;
    }
    box.hidden = true;
    $("graph-note").hidden = true;
    return state.document;
  }

  function syntaxProblem(error, text) {
    var message = String((error && error.message) || error);
    var reason = message.replace(/\s*(in JSON )?at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
    var match = /position (\d+)/.exec(message);
    if (!match) return { text: t("json_syntax", { reason: reason }), position: null };
    var position = Number(match[1]);
    var lines = text.slice(0, position).split("\n");
    var where = { line: lines.length, column: lines[lines.length - 1].length + 1, reason: reason };
    return { text: t("json_syntax_at", where), position: position };
  }

  function showSyntaxError() {
    var position = $("json-error").dataset.position;
    if (position === "") return;
    selectText(Number(position), Number(position) + 1, true);
  }

  function saveDraft() {
    var documentToSave = parseEditor();
    if (documentToSave === null) {
      editor.focus();
      return Promise.resolve(false);
    }
    var text = editor.value;
    $("save-state").textContent = t("saving");
    return api("PUT", BASE + "/draft", { definition: documentToSave }).then(function (result) {
      if (result.ok) {
        state.saved = text;
        state.errors = result.data.errors;
        var count = state.errors.length;
        say(count ? t("saved_with_errors", { count: count }) : t("saved"), count ? "warning" : "success");
      } else if (detailErrors(result)) {
        state.errors = detailErrors(result);
        say(t("not_saved_shape"), "error");
      } else {
        say(errorMessage(result), "error");
      }
      renderErrors();
      renderGraph();
      updateSaveState();
      return result.ok;
    });
  }

  function saveIfChanged() {
    return isDirty() || parseEditor() === null ? saveDraft() : Promise.resolve(true);
  }

  function renderErrors() {
    var list = $("flow-errors");
    list.replaceChildren();
    if (!state.errors.length) {
      list.append(el("li", { className: "ok", text: t("no_errors") }));
      return;
    }
    state.errors.forEach(function (error) {
      var button = el(
        "button",
        { attrs: { type: "button" }, on: { click: locateError.bind(null, error) } },
        [
          el("code", { text: error.path || t("the_top") }),
          el("span", { text: error.message }),
          el("span", { className: "code", text: error.code }),
        ]
      );
      list.append(el("li", { data: { nodeId: error.node_id || "", code: error.code } }, [button]));
    });
  }

  function locateError(error) {
    if (error.node_id) {
      selectNode(error.node_id, { scroll: true });
      findInText(error.node_id);
      return;
    }
    var key = /^[A-Za-z_]+/.exec(error.path || "");
    var found = key ? editor.value.indexOf('"' + key[0] + '"') : -1;
    if (found >= 0) selectText(found, found + key[0].length + 2, true);
  }

  /* Select the node's `"id": "<id>"` in the JSON and scroll the editor to it. */
  function findInText(nodeId) {
    var pattern = new RegExp('"id"\\s*:\\s*' + JSON.stringify(nodeId).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    var match = pattern.exec(editor.value);
    if (match) selectText(match.index, match.index + match[0].length, false);
  }

  function selectText(start, end, focus) {
    if (focus) editor.focus({ preventScroll: true });
    editor.setSelectionRange(start, end);
    var line = editor.value.slice(0, start).split("\n").length - 1;
    var height = parseFloat(getComputedStyle(editor).lineHeight) || 18;
    editor.scrollTop = Math.max(0, line * height - editor.clientHeight / 3);
  }

  /* ---------------------------------------------------------------------------------------------
     The graph: nodes in columns by distance from the start, edges named, counters as badges
     --------------------------------------------------------------------------------------------- */

  /* Every way out of a node, as flows.graph.edges_of names them ("button:0", "next", "then"...). */
  function edgesOf(node) {
    var out = [];
    function add(name, target, label) {
      if (typeof target === "string" && target !== "") out.push({ name: name, target: target, label: label || name });
    }
    function list(value) {
      return Array.isArray(value) ? value.filter(isObject) : [];
    }
    switch (node.kind) {
      case "message":
        list(node.buttons).forEach(function (button, index) {
          add("button:" + index, button.target, button.label ? shorten(button.label, 20) : "button:" + index);
        });
        add("next", node.next);
        add("text", node.on_text);
        break;
      case "ask":
        add("next", node.next);
        add("give_up", node.on_give_up);
        add("timeout", node.on_timeout);
        break;
      case "condition":
        add("then", node.then);
        add("else", node["else"]);
        break;
      case "set":
      case "wait":
        add("next", node.next);
        break;
      case "webhook":
        add("next", node.next);
        add("error", node.on_error);
        break;
      case "ai_answer":
        add("next", node.next);
        add("handoff", node.on_handoff);
        break;
      case "goto":
        add("goto", node.target);
        break;
      case "split":
        list(node.variants).forEach(function (variant, index) {
          var label = typeof variant.percent === "number" ? variant.percent + "%" : "variant:" + index;
          add("variant:" + index, variant.target, label);
        });
        break;
    }
    return out;
  }

  function summaryOf(node) {
    switch (node.kind) {
      case "message":
      case "ask":
        return node.text;
      case "condition":
        return ruleText(node.when);
      case "webhook":
        return (node.method || "POST") + " " + (node.url || "");
      case "wait":
        return node.seconds + " s";
      case "ai_answer":
        return node.prompt || node.question || "";
      case "handoff":
        return node.group || (node.group_id ? "#" + node.group_id : "");
      case "goto":
        return node.target ? "→ " + node.target : node.flow_id ? "flow #" + node.flow_id : "";
      case "set":
        return Array.isArray(node.operations)
          ? node.operations
              .filter(isObject)
              .map(function (op) {
                return op.path || op.tag || "";
              })
              .join(", ")
          : "";
    }
    return "";
  }

  /* A structured rule as a line of text ("contact.email is_set and ..."), for the box only. */
  function ruleText(rule) {
    if (typeof rule === "string") return rule;
    if (!isObject(rule)) return JSON.stringify(rule);
    if (Array.isArray(rule.all) || Array.isArray(rule.any)) {
      var parts = (rule.all || rule.any).map(ruleText);
      return parts.length > 1 ? "(" + parts.join(rule.all ? " and " : " or ") + ")" : parts.join("");
    }
    if (rule.not !== undefined) return "not " + ruleText(rule.not);
    var value = rule.value === undefined ? "" : " " + JSON.stringify(rule.value);
    return String(rule["var"] || "?") + " " + String(rule.op || "?") + value;
  }

  /* Boxes (with their column and row) and edges of the document; an edge to an id that is no
     node leads to a "missing" box, so a dangling target shows where it is. */
  function graphOf(doc) {
    var boxes = [];
    var byId = {};
    var nodes = isObject(doc) && Array.isArray(doc.nodes) ? doc.nodes : [];
    nodes.forEach(function (node, index) {
      if (!isObject(node)) return;
      var id = typeof node.id === "string" ? node.id : "#" + index;
      var box = { id: id, node: node, index: index, ghost: false, out: [] };
      boxes.push(box);
      if (!Object.prototype.hasOwnProperty.call(byId, id)) byId[id] = box;
    });
    var start = isObject(doc) && Object.prototype.hasOwnProperty.call(byId, doc.start) ? byId[doc.start] : null;
    var edges = [];
    boxes.forEach(function (box) {
      edgesOf(box.node).forEach(function (edge) {
        var target = Object.prototype.hasOwnProperty.call(byId, edge.target) ? byId[edge.target] : null;
        if (target === null) {
          target = { id: edge.target, node: {}, ghost: true, out: [] };
          byId[edge.target] = target;
          boxes.push(target);
        }
        var drawn = { from: box, to: target, name: edge.name, label: edge.label };
        box.out.push(drawn);
        edges.push(drawn);
      });
    });
    placeInColumns(boxes, start);
    return { boxes: boxes, edges: edges, start: start };
  }

  /* Breadth-first from the start: column = distance. Nodes no path reaches go to the right of
     them, breadth-first from each in document order, marked unreachable. */
  function placeInColumns(boxes, start) {
    var next = 0;
    function spread(root, base, reachable) {
      root.column = base;
      root.reachable = reachable;
      var queue = [root];
      while (queue.length) {
        var box = queue.shift();
        next = Math.max(next, box.column + 1);
        box.out.forEach(function (edge) {
          if (edge.to.column === undefined) {
            edge.to.column = box.column + 1;
            edge.to.reachable = reachable;
            queue.push(edge.to);
          }
        });
      }
    }
    if (start) spread(start, 0, true);
    var base = next;
    boxes.forEach(function (box) {
      if (box.column === undefined && !box.ghost) spread(box, base, false);
    });
    boxes.forEach(function (box) {
      if (box.column === undefined) spread(box, base, false);
    });
  }

  function renderGraph() {
    var doc = state.document;
    var drawn = graphOf(doc);
    var columns = [];
    drawn.boxes.forEach(function (box) {
      (columns[box.column] = columns[box.column] || []).push(box);
    });
    var tallest = columns.reduce(function (most, column) {
      return Math.max(most, column ? column.length : 0);
    }, 1);
    // Loops back to earlier columns run along a lane above all boxes.
    var lane = drawn.edges.some(function (edge) {
      return edge.to.column < edge.from.column;
    })
      ? 30
      : 0;
    columns.forEach(function (column, index) {
      if (!column) return;
      var offset = ((tallest - column.length) * (NODE_H + ROW_GAP)) / 2;
      column.forEach(function (box, row) {
        box.row = row;
        box.x = MARGIN + index * (NODE_W + COL_GAP);
        box.y = MARGIN + 14 + lane + offset + row * (NODE_H + ROW_GAP);
      });
    });
    var width = MARGIN * 2 + Math.max(1, columns.length) * (NODE_W + COL_GAP) - COL_GAP;
    var height = MARGIN * 2 + 14 + lane + tallest * (NODE_H + ROW_GAP) - ROW_GAP;
    graph.setAttribute("viewBox", "0 0 " + width + " " + height);
    view.width = width;
    view.height = height;
    applyZoom();
    graph.replaceChildren(arrowMarkers());
    if (!drawn.boxes.length) {
      graph.append(svg("text", { className: "empty", text: t("no_nodes"), attrs: { x: MARGIN, y: MARGIN + 20 } }));
      return;
    }
    var paths = svg("g", { className: "edges" });
    var labels = svg("g", { className: "edge-labels" });
    var pairs = {};
    drawn.edges.forEach(function (edge) {
      var pair = edge.from.id + "\u0000" + edge.to.id;
      pairs[pair] = (pairs[pair] || 0) + 1;
      drawEdge(edge, pairs[pair] - 1, paths, labels);
    });
    var boxes = svg("g", { className: "nodes" });
    drawn.boxes.forEach(function (box) {
      boxes.append(drawNode(box, box === drawn.start));
    });
    graph.append(paths, boxes, labels);
  }

  /* The viewBox is the whole graph; zooming only changes the size it is drawn at (the frame scrolls). */
  function applyZoom() {
    graph.setAttribute("width", String(Math.round(view.width * view.zoom)));
    graph.setAttribute("height", String(Math.round(view.height * view.zoom)));
    $("zoom-level").textContent = Math.round(view.zoom * 100) + "%";
  }

  function zoomBy(direction) {
    var larger = ZOOMS.filter(function (zoom) {
      return direction > 0 ? zoom > view.zoom + 0.001 : zoom < view.zoom - 0.001;
    });
    if (!larger.length) return;
    view.zoom = direction > 0 ? larger[0] : larger[larger.length - 1];
    applyZoom();
  }

  function zoomToFit() {
    var frame = $("graph-scroll");
    var tallest = parseFloat(getComputedStyle(frame).maxHeight) || frame.clientHeight;
    view.zoom = Math.min(1, (frame.clientWidth - 2) / view.width, (tallest - 2) / view.height);
    applyZoom();
  }

  function arrowMarkers() {
    function marker(id, className) {
      return svg("marker", {
        attrs: { id: id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      }, [svg("path", { className: className, attrs: { d: "M0,0 L10,5 L0,10 z" } })]);
    }
    return svg("defs", {}, [marker("flow-arrow", "arrow"), marker("flow-arrow-missing", "arrow missing")]);
  }

  function drawEdge(edge, repeat, paths, labels) {
    var a = edge.from;
    var b = edge.to;
    var shape = edgeShape(a, b, repeat);
    paths.append(
      svg("path", {
        className: "edge" + (b.ghost ? " missing" : ""),
        attrs: { d: shape.d, "marker-end": "url(#" + (b.ghost ? "flow-arrow-missing" : "flow-arrow") + ")" },
        data: { from: a.id, to: b.id, edge: edge.name },
      })
    );
    var count = counterOf(a.id, "edge:" + edge.name);
    var text = count === null ? edge.label : edge.label + " · " + count;
    var at = { x: shape.x, y: shape.y, "text-anchor": shape.anchor };
    labels.append(svg("text", { className: "edge-label", text: text, attrs: at }));
  }

  /* The path of an edge and where its label goes; `repeat` counts earlier edges between the same boxes. */
  function edgeShape(a, b, repeat) {
    var shift = repeat * 14;
    if (b.column > a.column) {
      // Forward: a curve from the right side to the left side.
      var x1 = a.x + NODE_W;
      var y1 = a.y + NODE_H / 2 + shift;
      var x2 = b.x;
      var y2 = b.y + NODE_H / 2 + shift;
      var bend = Math.max(40, (x2 - x1) / 2);
      return curve([x1, y1, x1 + bend, y1, x2 - bend, y2, x2, y2], "middle", -4);
    }
    if (a === b) {
      // To itself: a small loop over the top.
      var left = a.x + NODE_W / 2 - 10;
      return curve([left + 20, a.y, left + 50, a.y - 40 - shift, left - 30, a.y - 40 - shift, left, a.y], "middle", -4);
    }
    if (b.column === a.column && Math.abs(b.row - a.row) === 1) {
      // The next box up or down the same column: straight across the gap, the label beside it.
      var down = b.row > a.row;
      var x = a.x + NODE_W / 2 + shift;
      var from = down ? a.y + NODE_H : a.y;
      var to = down ? b.y : b.y + NODE_H;
      return { d: "M" + x + "," + from + " V" + to, x: x + 5, y: (from + to) / 2 + 4 + repeat * 12, anchor: "start" };
    }
    var gap = 16 + (repeat % 4) * 6;
    if (b.column === a.column) {
      // Further along the same column: out of the right side and back in, clear of the boxes between.
      var side = a.x + NODE_W;
      var reach = side + gap + 14;
      var ya = a.y + NODE_H / 2;
      var yb = b.y + NODE_H / 2;
      return { d: "M" + side + "," + ya + " H" + reach + " V" + yb + " H" + side, x: reach + 4, y: (ya + yb) / 2, anchor: "start" };
    }
    // Back to an earlier column (a loop): up the gap after the source, along the lane over every
    // box, and down the gap before the target, so it never crosses a box.
    var lane = MARGIN + (repeat % 3) * 6;
    var out = a.x + NODE_W + gap;
    var into = b.x - gap;
    var ys = a.y + NODE_H / 2 + shift;
    var yt = b.y + NODE_H / 2 + shift;
    var d = "M" + (a.x + NODE_W) + "," + ys + " H" + out + " V" + lane + " H" + into + " V" + yt + " H" + b.x;
    return { d: d, x: out - 4, y: lane - 4, anchor: "end" };
  }

  function curve(points, anchor, raise) {
    var d = "M" + points[0] + "," + points[1] + " C" + points.slice(2, 4) + " " + points.slice(4, 6) + " " + points.slice(6, 8);
    var x = (points[0] + 3 * points[2] + 3 * points[4] + points[6]) / 8;
    var y = (points[1] + 3 * points[3] + 3 * points[5] + points[7]) / 8;
    return { d: d, x: x, y: y + raise, anchor: anchor };
  }

  function counterOf(nodeId, outcome) {
    var counters = state.flow && state.flow.counters ? state.flow.counters[nodeId] : null;
    if (!counters) return null;
    return counters[outcome] === undefined ? null : counters[outcome];
  }

  function drawNode(box, isStart) {
    var classes = ["node", "kind-" + (box.ghost ? "missing" : String(box.node.kind || "unknown"))];
    if (box.ghost) classes.push("ghost");
    if (!box.reachable && !box.ghost) classes.push("unreachable");
    if (hasErrors(box.id)) classes.push("has-error");
    if (box.id === state.selected) classes.push("selected");
    if (box.id === preview.node) classes.push("current");
    var kind = box.ghost ? t("missing_node") : String(box.node.kind || "?");
    var full = box.ghost ? box.id : box.id + " (" + kind + ")\n" + String(summaryOf(box.node) || "");
    var group = svg(
      "g",
      {
        className: classes.join(" "),
        attrs: { transform: "translate(" + box.x + "," + box.y + ")", tabindex: 0, role: "button", "aria-label": full },
        data: { nodeId: box.id, testid: "graph-node" },
        on: {
          click: pickNode.bind(null, box.id),
          keydown: function (event) {
            if (event.key === "Enter" || event.key === " ") {
              event.preventDefault();
              pickNode(box.id);
            }
          },
        },
      },
      [
        svg("title", { text: full }),
        svg("rect", { className: "box", attrs: { width: NODE_W, height: NODE_H, rx: 8 } }),
        svg("rect", { className: "stripe", attrs: { width: 6, height: NODE_H, rx: 3 } }),
        svg("text", { className: "node-id", text: shorten(box.id, 24), attrs: { x: 14, y: 20 } }),
        svg("text", { className: "node-kind", text: kind, attrs: { x: 14, y: 36 } }),
        svg("text", { className: "node-text", text: shorten(summaryOf(box.node), 28), attrs: { x: 14, y: 55 } }),
      ]
    );
    if (isStart) group.append(svg("text", { className: "start-mark", text: "▶ " + t("start"), attrs: { x: 0, y: -6 } }));
    var entered = counterOf(box.id, "entered");
    if (entered !== null || counterOf(box.id, "dropped") !== null) {
      var label = t("node_counters", { entered: entered || 0, dropped: counterOf(box.id, "dropped") || 0 });
      var badgeWidth = label.length * 6.2 + 12;
      group.append(
        svg("g", { className: "counters", data: { testid: "node-counters" } }, [
          svg("rect", { className: "badge-box", attrs: { x: NODE_W - badgeWidth - 6, y: -9, width: badgeWidth, height: 17, rx: 8 } }),
          svg("text", { className: "badge-text", text: label, attrs: { x: NODE_W - badgeWidth / 2 - 6, y: 3, "text-anchor": "middle" } }),
        ])
      );
    }
    return group;
  }

  function hasErrors(nodeId) {
    return state.errors.some(function (error) {
      return error.node_id === nodeId;
    });
  }

  function pickNode(nodeId) {
    selectNode(nodeId, { scroll: false });
    findInText(nodeId);
  }

  function selectNode(nodeId, options) {
    state.selected = nodeId;
    var chosen = null;
    graph.querySelectorAll(".node").forEach(function (node) {
      var on = node.dataset.nodeId === nodeId;
      node.classList.toggle("selected", on);
      if (on) chosen = node;
    });
    if (chosen && options.scroll) chosen.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function markCurrentNode() {
    graph.querySelectorAll(".node").forEach(function (node) {
      node.classList.toggle("current", node.dataset.nodeId === preview.node);
    });
  }

  /* ---------------------------------------------------------------------------------------------
     The preview chat: steps the saved draft through the API; the run state lives here
     --------------------------------------------------------------------------------------------- */

  function startPreview() {
    if (preview.busy) return;
    var note = isDirty() ? t("preview_saving") : null;
    if (note) say(note);
    saveIfChanged().then(function (saved) {
      if (!saved) return;
      $("preview-log").replaceChildren();
      preview.state = null;
      $("preview-start").hidden = true;
      $("preview-restart").hidden = false;
      step({ type: "start" }, null, visitorFacts());
    });
  }

  function visitorFacts() {
    var contact = {};
    var name = $("visitor-name").value.trim();
    var email = $("visitor-email").value.trim();
    if (name) contact.name = name;
    if (email) contact.email = email;
    return { contact: contact, within_working_hours: $("visitor-working-hours").checked };
  }

  function step(event, visitorText, facts) {
    if (visitorText !== null) addBubble("visitor", visitorText);
    var body = { state: preview.state, event: event };
    if (facts) body.facts = facts;
    setPreviewBusy(true);
    api("POST", BASE + "/preview", body).then(function (result) {
      setPreviewBusy(false);
      if (!result.ok) return addSystemLine(errorMessage(result), "error");
      var data = result.data;
      if (data.ignored) addSystemLine(t("preview_ignored"));
      preview.state = data.state;
      preview.node = data.finished ? null : data.node_id;
      data.output.forEach(function (item) {
        if (item.type === "message") addBotMessage(item);
        else addSystemLine(item.text, "effect");
      });
      if (data.finished) addSystemLine(t("preview_ended", { reason: t("finish_" + data.finish_reason) }), "end");
      showWaits(data);
      markCurrentNode();
      var open = !data.finished;
      $("preview-input").disabled = !open;
      $("preview-send").disabled = !open;
      if (open && data.waiting === "input") $("preview-input").focus();
    });
  }

  function setPreviewBusy(busy) {
    preview.busy = busy;
    $("preview-log").setAttribute("aria-busy", String(busy));
  }

  function addBubble(who, text) {
    var bubble = el("li", { className: "bubble " + who, data: { testid: "preview-" + who } }, [el("p", { text: text })]);
    appendToLog(bubble);
    return bubble;
  }

  function addBotMessage(message) {
    var bubble = addBubble("bot", message.text);
    if (message.image_url) {
      bubble.append(el("a", { text: message.image_url, attrs: { href: message.image_url, target: "_blank", rel: "noopener noreferrer" } }));
    }
    if (message.buttons.length) {
      var choices = el("div", { className: "choices" });
      message.buttons.forEach(function (button) {
        choices.append(
          el("button", {
            text: button.label,
            attrs: { type: "button" },
            data: { testid: "preview-button" },
            on: {
              click: function () {
                if (!preview.busy) step({ type: "button", button_id: button.id }, button.label);
              },
            },
          })
        );
      });
      bubble.append(choices);
    }
  }

  function addSystemLine(text, kind) {
    appendToLog(el("li", { className: "system-line" + (kind ? " " + kind : ""), text: text, data: { testid: "preview-system" } }));
  }

  function appendToLog(item) {
    var log = $("preview-log");
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function showWaits(data) {
    var waits = $("preview-waits");
    waits.replaceChildren();
    if (data.finished) return;
    if (data.waiting === "timer") waits.append(el("span", { className: "muted", text: t("preview_waiting_timer") }));
    if (data.state.timer_id) {
      waits.append(waitButton(t("fire_timer"), { type: "timer" }, "fire-timer"));
    }
    if (data.waiting === "webhook") {
      waits.append(el("span", { className: "muted", text: t("preview_waiting_webhook") }));
      ["ok", "failed", "timeout"].forEach(function (outcome) {
        var event = { type: "webhook", outcome: outcome, status: outcome === "ok" ? 200 : null, body: null };
        waits.append(waitButton(t("webhook_" + outcome), event, "webhook-" + outcome));
      });
    }
  }

  function waitButton(label, event, testid) {
    return el("button", {
      text: label,
      attrs: { type: "button" },
      data: { testid: testid },
      on: {
        click: function () {
          if (!preview.busy) step(event, null);
        },
      },
    });
  }

  function sendText(event) {
    event.preventDefault();
    var input = $("preview-input");
    var text = input.value.trim();
    if (!text || preview.busy || preview.state === null) return;
    input.value = "";
    step({ type: "text", text: text }, text);
  }

  /* ---------------------------------------------------------------------------------------------
     Wiring
     --------------------------------------------------------------------------------------------- */

  var reparse = debounce(function () {
    if (parseEditor() !== null) renderGraph();
  }, PARSE_DELAY_MS);

  editor.addEventListener("input", function () {
    updateSaveState();
    reparse();
  });
  editor.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      saveDraft();
    }
  });
  $("json-error").addEventListener("click", showSyntaxError);
  $("zoom-out").addEventListener("click", zoomBy.bind(null, -1));
  $("zoom-in").addEventListener("click", zoomBy.bind(null, 1));
  $("zoom-fit").addEventListener("click", zoomToFit);
  $("save-draft").addEventListener("click", saveDraft);
  $("publish").addEventListener("click", publish);
  $("turn-off").addEventListener("click", turnOff);
  $("rename-form").addEventListener("submit", rename);
  $("delete-flow").addEventListener("click", deleteFlow);
  $("preview-start").addEventListener("click", startPreview);
  $("preview-restart").addEventListener("click", startPreview);
  $("preview-form").addEventListener("submit", sendText);
  addSystemLine(t("preview_idle"));
  window.addEventListener("beforeunload", function (event) {
    if (isDirty()) event.preventDefault();
  });
  load();
})();
