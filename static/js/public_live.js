/* Kokous public live view (KL 101.4 §, R8): no login, no member socket.
 *
 * Prefers server-sent events (one subscriber per server worker fans out to all viewers); falls
 * back to polling snapshot.json every second with If-None-Match (304 while unchanged, cacheable
 * for one second by any proxy). Renders only what the public snapshot holds.
 */
(function () {
  "use strict";
  var clientEl = document.getElementById("pub-client");
  var stateEl = document.getElementById("pub-state");
  if (!clientEl || !stateEl) { return; }
  var client = JSON.parse(clientEl.textContent);
  var T = client.i18n || {};
  var pub = JSON.parse(stateEl.textContent) || {};
  var version = pub.v || 0;
  var etag = null;
  var pollTimer = null;
  var source = null;

  function h(tag, attrs) {
    var el = document.createElement(tag);
    attrs = attrs || {};
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === "text") { el.textContent = v; } else if (k === "className") { el.className = v; } else { el.setAttribute(k, v); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      (Array.isArray(c) ? c : [c]).forEach(function (x) { el.appendChild(typeof x === "string" ? document.createTextNode(x) : x); });
    }
    return el;
  }
  function fill(id, nodes) {
    var el = document.getElementById(id);
    if (!el) { return; }
    while (el.firstChild) { el.removeChild(el.firstChild); }
    (Array.isArray(nodes) ? nodes : [nodes]).forEach(function (n) { if (n) { el.appendChild(n); } });
  }
  function status(kind) {
    var el = document.getElementById("pub-connection");
    if (el) { el.textContent = T[kind] || ""; }
    document.body.setAttribute("data-connection", kind);
  }

  function render(data) {
    var m = data.meeting || {};
    var st = document.getElementById("pub-status");
    if (st) { st.textContent = m.status_label || ""; }
    var item = data.item;
    if (!item) { fill("pub-item", h("p", { className: "muted", text: T.public_none })); }
    else if (item.closed) { fill("pub-item", h("p", {}, h("strong", { text: T.public_closed }))); }
    else {
      var nodes = [h("p", { className: "live-item-title" }, h("strong", { text: (item.section ? "§ " + item.section + " " : "") + item.title }), " ", h("span", { className: "badge", text: item.status_label }))];
      if ((item.attachments || []).length) {
        nodes.push(h("h3", { text: T.documents }));
        nodes.push(h("ul", { className: "live-docs" }, item.attachments.map(function (a) {
          return h("li", {}, a.url ? h("a", { href: a.url, text: a.title }) : a.title);
        })));
      }
      if (data.decision) { nodes.push(h("h3", { text: T.decision }), h("p", { text: data.decision })); }
      fill("pub-item", nodes);
    }
    var sp = data.speaker;
    fill("pub-speaker", sp ? h("p", { text: sp.name + (sp.kind === "reply" ? " (" + T.reply + ")" : "") }) : h("p", { className: "muted", text: T.no_speaker }));
    var results = data.results || [];
    fill("pub-results", results.length ? results.map(function (r) {
      var c = r.counts || {};
      return h("div", { className: "live-result" }, h("h3", { text: T.vote_heading + " " + r.step }),
        h("p", { text: T.jaa + " = " + r.jaa + ", " + T.ei + " = " + r.ei }),
        h("p", { className: "live-counts", text: T.jaa + " " + c.jaa + " – " + T.ei + " " + c.ei + " – " + T.tyhja + " " + c.tyhja + " – " + T.absent + " " + c.absent }),
        h("p", {}, h("strong", { text: T.winner + ": " + r.winner_label })));
    }) : h("p", { className: "muted", text: T.no_results }));
    document.body.setAttribute("data-version", String(data.v || 0));
  }

  function accept(data) {
    if (!data || (data.v || 0) <= version) { return; }
    version = data.v;
    pub = data;
    render(data);
  }

  function poll() {
    var headers = { Accept: "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(client.snapshot_url + "?v=" + version, { headers: headers })
      .then(function (r) {
        if (r.status === 304) { status("connected"); return null; }
        if (!r.ok) { status("reconnecting"); return null; }
        etag = r.headers.get("ETag");
        status("connected");
        return r.json();
      })
      .then(accept)
      .catch(function () { status("reconnecting"); })
      .then(function () { pollTimer = window.setTimeout(poll, 1000); });
  }

  function stream() {
    source = new EventSource(client.events_url);
    var failures = 0;
    source.onopen = function () { failures = 0; status("connected"); };
    source.onmessage = function (ev) {
      try { accept(JSON.parse(ev.data)); } catch (e) { /* ignore a broken frame */ }
    };
    source.onerror = function () {
      failures += 1;
      status("reconnecting");
      if (failures >= 3) { source.close(); source = null; poll(); }
    };
  }

  document.body.setAttribute("data-version", String(version));
  if (window.EventSource && client.events_url) { stream(); } else { poll(); }
}());
