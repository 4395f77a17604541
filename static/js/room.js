/* Kokous live meeting room (R5, R10, R13, R40–R44, R72–R77).
 *
 * The page is server-rendered and works without this script (forms post, reload shows state).
 * This script: opens the meeting socket, re-renders the room from each pushed snapshot, pings
 * every few seconds (heartbeat, R72), reconnects with backoff and resyncs from state.json, and
 * turns the forms into idempotent fetches that are resent with the same key if the network
 * drops (a phone on a train). No inline script (CSP): data comes from JSON script blocks.
 */
(function () {
  "use strict";

  var root = document.getElementById("live-room");
  var clientEl = document.getElementById("live-client");
  var stateEl = document.getElementById("live-state");
  if (!root || !clientEl || !stateEl) { return; }

  var client = JSON.parse(clientEl.textContent);
  var state = JSON.parse(stateEl.textContent);
  var T = client.i18n || {};
  var clientId = newKey();
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var clockOffset = 0;
  var ws = null;
  var attempts = 0;
  var pingTimer = null;
  var fetchTimer = null;
  var terminated = false;

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID().replace(/-/g, ""); }
    var a = new Uint32Array(4);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (n) { return n.toString(16); }).join("");
  }

  // --- small DOM builder ----------------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var key;
    attrs = attrs || {};
    for (key in attrs) {
      if (!Object.prototype.hasOwnProperty.call(attrs, key)) { continue; }
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { continue; }
      if (key === "text") { el.textContent = value; }
      else if (key === "className") { el.className = value; }
      else { el.setAttribute(key, value === true ? "" : String(value)); }
    }
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  function replace(id, nodes) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var fresh = document.createElement(el.tagName);
    append(fresh, nodes);
    // Unchanged section: keep its nodes. A push arrives every few hundred ms during a vote; a
    // tap that lands on a button just replaced would be lost (and typed text with it).
    if (fresh.innerHTML === el.innerHTML) { return; }
    var focused = document.activeElement && el.contains(document.activeElement) ? document.activeElement : null;
    var focusKey = focused ? (focused.getAttribute("id") || focused.getAttribute("data-focus-key")) : null;
    while (el.firstChild) { el.removeChild(el.firstChild); }
    while (fresh.firstChild) { el.appendChild(fresh.firstChild); }
    if (focusKey) {
      var again = el.querySelector("[id='" + focusKey + "'], [data-focus-key='" + focusKey + "']");
      if (again) { again.focus(); }
    }
  }
  function actionUrl(name) { return client.action_url.replace("ACTION", name); }
  function form(action, label, params, opts) {
    opts = opts || {};
    var f = h("form", { method: "post", action: actionUrl(action), "data-live-form": true,
      className: "live-action" + (opts.inline ? " inline" : "") });
    f.appendChild(h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf }));
    f.appendChild(h("input", { type: "hidden", name: "idempotency_key", value: newKey() }));
    var p = params || {};
    Object.keys(p).forEach(function (k) {
      f.appendChild(h("input", { type: "hidden", name: k, value: p[k] }));
    });
    var fid = opts.fid || (action + "-" + Object.keys(p).map(function (k) { return p[k]; }).join("-"));
    (opts.fields || []).forEach(function (fd) {
      var id = "f-" + fid + "-" + fd.name;
      var input;
      if (fd.type === "textarea") {
        input = h("textarea", { id: id, name: fd.name, rows: 2, required: !!fd.required });
        input.value = fd["default"] || "";
      } else if (fd.type === "select") {
        input = h("select", { id: id, name: fd.name });
        (fd.choices || []).forEach(function (c) {
          input.appendChild(h("option", { value: c[0], selected: c[0] === fd["default"], text: c[1] }));
        });
      } else {
        input = h("input", { id: id, name: fd.name, type: fd.type === "number" ? "number" : "text",
          value: fd["default"] || "", required: !!fd.required });
      }
      f.appendChild(h("p", { className: "live-field" }, h("label", { "for": id, text: fd.label }), input));
    });
    var button = h("button", { type: "submit", className: opts.style || null, disabled: !!opts.blocked,
      "data-focus-key": "btn-" + fid, "aria-describedby": opts.blocked ? "b-" + fid : null, text: label });
    f.appendChild(button);
    if (opts.blocked) { f.appendChild(h("span", { className: "live-blocked", id: "b-" + fid, text: opts.blocked })); }
    return f;
  }

  // --- derived "me" from the shared snapshot (no per-user fetch for common events) -------------
  function deriveMe(snap, me) {
    if (!snap || !me || !me.participant) { return; }
    var floor = snap.floor || {};
    var mine = [];
    if (floor.speaker && floor.speaker.participant === me.participant) {
      mine.push({ id: floor.speaker.id, kind: floor.speaker.kind, status: "speaking" });
    }
    (floor.queue || []).forEach(function (r) {
      if (r.participant === me.participant) { mine.push({ id: r.id, kind: r.kind, status: "queued" }); }
    });
    me.floor = mine;
    var pres = snap.presence || {};
    if (pres.present) {
      me.present = pres.present.indexOf(me.participant) >= 0;
      me.mode = (pres.remote || []).indexOf(me.participant) >= 0 ? "remote" : "in_room";
      if ((pres.rejoined || []).indexOf(me.participant) >= 0) { me.state = "rejoined"; }
      else if ((pres.disconnected || []).indexOf(me.participant) >= 0) { me.state = "disconnected"; }
      else if (me.state === "rejoined" || me.state === "disconnected") { me.state = "connected"; }
    }
    var vote = snap.voting && snap.voting.vote;
    if (vote) {
      me.eligible = (vote.eligible_persons || []).indexOf(me.person) >= 0;
      if (me.ballot && me.ballot.vote !== vote.id) { me.ballot = null; }
    } else {
      me.ballot = null;
    }
  }

  // --- rendering ---------------------------------------------------------------------------------
  function itemTitle(item) { return (item.section ? "§ " + item.section + " " : "") + item.title; }

  function render() {
    var snap = state.snapshot || {};
    var me = state.me || {};
    var meeting = snap.meeting || {};
    var status = document.getElementById("live-meeting-status");
    if (status) { status.textContent = meeting.status_label || ""; }
    var notice = document.getElementById("live-notice");
    if (notice) {
      notice.hidden = !meeting.notice;
      notice.textContent = meeting.notice ? meeting.notice : "";
    }
    renderPrivatePlace(snap, me);
    renderItem(snap, me);
    renderFloor(snap, me);
    renderProposals(snap, me);
    renderVote(snap, me);
    renderResults(snap, me);
    renderMe(snap, me);
    renderQuorum(snap);
    renderAgenda(snap);
    if (state.chair) { renderChair(state.chair, me); }
    tick();
  }

  function discussing(snap) {
    return !!(snap.item && snap.item.status === "in_discussion" && snap.meeting && snap.meeting.status === "in_session");
  }
  function placeOk(me) { // R75: a remote participant takes part in a closed item after attesting
    var pp = me.private_place || {};
    return !(pp.required && !pp.confirmed);
  }
  function active(me) {
    return !!(me.present && me.state !== "disconnected" && me.state !== "rejoined" && !me.removed && placeOk(me));
  }

  function renderItem(snap, me) {
    var item = snap.item;
    var nodes = [h("h2", { id: "live-item-h", text: T.item_heading })];
    if (!item) {
      nodes.push(h("p", { className: "muted", text: T.no_item }));
      replace("live-item", nodes);
      return;
    }
    nodes.push(h("p", { className: "live-item-title" }, h("strong", { text: itemTitle(item) }), " ",
      h("span", { className: "badge", text: item.status_label }),
      item.closed_handling ? [" ", h("span", { className: "badge warn", text: T.closed_item })] : null));
    if (me.item_description) {
      var d = h("div", { className: "live-description" });
      d.innerHTML = me.item_description; // sanitised when stored (meetings.html.sanitize_html)
      nodes.push(d);
    }
    if (item.proposal) { nodes.push(h("h3", { text: T.base_proposal || "" }), h("p", { className: "live-proposal-text", text: item.proposal })); }
    if (item.decision_text) { nodes.push(h("h3", { text: T.decision }), h("p", { className: "live-decision", text: item.decision_text })); }
    nodes.push(h("h3", { text: T.documents }));
    var ul = h("ul", { className: "live-docs" });
    var mine = (me.private_place && me.private_place.item === item.id) ? (me.attachments || []) : [];
    (item.attachments || []).concat(mine).forEach(function (a) {
      ul.appendChild(h("li", {}, a.url ? h("a", { href: a.url, text: a.title }) : a.title));
    });
    if (!placeOk(me)) { nodes.push(h("p", { className: "badge warn live-pp-hidden", text: T.pp_hidden })); }
    nodes.push(ul);
    replace("live-item", nodes);
  }

  function renderPrivatePlace(snap, me) { // R9, R75: attest a private place for a closed item
    var el = document.getElementById("live-private-place");
    if (!el) { return; }
    var pp = me.private_place || {};
    var show = !!(pp.required && snap.item && pp.item === snap.item.id);
    el.hidden = !show;
    if (!show) { replace("live-private-place", []); return; }
    var nodes = [h("h2", { id: "live-pp-h", text: T.pp_heading })];
    if (pp.confirmed) {
      nodes.push(h("p", { className: "badge ok", text: T.pp_confirmed }));
    } else {
      nodes.push(h("p", { text: T.pp_explain }));
      var f = form("private_place.confirm", T.pp_confirm, { item: pp.item }, { fid: "pp" });
      f.classList.add("live-private-place-form");
      f.insertBefore(h("p", { className: "live-field live-check" },
        h("input", { type: "checkbox", id: "pp-attest", name: "attest", value: "1", required: true }), " ",
        h("label", { "for": "pp-attest", text: T.pp_attest })), f.querySelector("button"));
      nodes.push(f);
    }
    replace("live-private-place", nodes);
  }

  function renderFloor(snap, me) {
    var floor = snap.floor || {};
    var nodes = [h("h2", { id: "live-floor-h", text: T.floor_heading || "" })];
    var sp = floor.speaker;
    if (sp) {
      nodes.push(h("div", { className: "live-speaker" },
        h("p", {}, h("strong", { text: T.speaker + ": " }), sp.name + (sp.kind === "reply" ? " (" + T.reply + ")" : ""), " ",
          h("span", { className: "live-timer", role: "timer", "data-granted": sp.granted_at || "", "data-limit": sp.limit || "" })),
        me.is_chair ? form("floor.end", T.end_floor || "", {}, { style: "secondary", fid: "floor-end" }) : null));
    } else {
      nodes.push(h("div", { className: "live-speaker" }, h("p", { className: "muted", text: T.no_speaker })));
    }
    nodes.push(h("h3", { text: T.queue }));
    var ol = h("ol", { className: "live-queue" });
    (floor.queue || []).forEach(function (r) {
      ol.appendChild(h("li", {}, h("span", { text: r.name + (r.kind === "reply" ? " (" + T.reply + ")" : "") + (r.participant === me.participant ? " – " + T.you : "") }),
        me.is_chair ? [form("floor.grant", T.grant, { request: r.id }, { inline: true, fid: "g" + r.id }),
          form("floor.cancel", T.cancel, { request: r.id }, { inline: true, style: "secondary", fid: "c" + r.id })] : null));
    });
    if (!(floor.queue || []).length) { ol.appendChild(h("li", { className: "muted", text: T.queue_empty })); }
    nodes.push(ol);
    if (discussing(snap) && active(me) && me.speech_right) {
      var mine = {};
      (me.floor || []).forEach(function (r) { mine[r.kind] = r; });
      var acts = h("div", { className: "live-actions" });
      if (!mine.speech) { acts.appendChild(form("floor.request", T.request_floor, { kind: "speech" }, { inline: true, fid: "req" })); }
      else if (mine.speech.status === "queued") { acts.appendChild(form("floor.withdraw", T.withdraw, { request: mine.speech.id }, { inline: true, style: "secondary", fid: "wd" })); }
      if (sp && sp.participant !== me.participant && !mine.reply) {
        acts.appendChild(form("floor.request", T.request_reply, { kind: "reply" }, { inline: true, style: "secondary", fid: "reply" }));
      }
      nodes.push(acts);
    }
    replace("live-floor", nodes);
  }

  function renderProposals(snap, me) {
    var voting = snap.voting || {};
    var nodes = [h("h2", { id: "live-proposals-h", text: T.proposals })];
    var list = voting.proposals || [];
    var canAct = discussing(snap) && active(me) && me.decides;
    if (!list.length) { nodes.push(h("p", { className: "muted", text: T.no_proposals })); }
    else {
      var ul = h("ul", { className: "live-proposals" });
      list.forEach(function (p) {
        var li = h("li", { className: "live-proposal" + (p.withdrawn ? " withdrawn" : "") },
          h("p", {}, h("strong", { text: p.label }), p.proposer_name ? " – " + T.proposer + ": " + p.proposer_name : "", p.withdrawn ? " (" + T.withdrawn + ")" : ""),
          h("p", { className: "live-proposal-text", text: p.text }));
        if (p.kind !== "base") {
          li.appendChild(h("p", { className: "muted", text: p.seconder_names.length ? T.seconded_by + ": " + p.seconder_names.join(", ") : T.not_seconded }));
        }
        if (canAct && p.kind !== "base" && !p.withdrawn && p.proposer !== me.participant && p.seconders.indexOf(me.participant) < 0) {
          li.appendChild(form("proposal.second", T.second, { proposal: p.id }, { inline: true, fid: "s" + p.id }));
        }
        if (discussing(snap) && p.proposer && p.proposer === me.participant && !p.withdrawn) {
          li.appendChild(form("proposal.withdraw", T.withdraw_proposal, { proposal: p.id }, { inline: true, style: "secondary", fid: "w" + p.id }));
        }
        ul.appendChild(li);
      });
      nodes.push(ul);
    }
    var old = document.querySelector("#live-proposals form.live-propose");
    if (canAct) {
      if (old) { nodes.push(old); } // keep what the member is typing
      else {
        var f = form("proposal.make", T.make_proposal, { item: snap.item.id }, { fid: "propose",
          fields: [{ name: "kind", label: T.proposal_kind, type: "select", "default": "counter",
            choices: [["counter", T.counter], ["rejection", T.rejection]] },
          { name: "text", label: T.proposal_text, type: "textarea", required: true }] });
        f.classList.add("live-propose");
        f.setAttribute("data-reset", "");
        nodes.push(f);
      }
    }
    replace("live-proposals", nodes);
  }

  function optionLabel(o) { return T[o] || o; }

  function renderVote(snap, me) {
    var v = snap.voting && snap.voting.vote;
    var nodes = [h("h2", { id: "live-vote-h", text: T.vote_heading || "" })];
    if (!v) {
      nodes.push(h("p", { className: "muted", text: T.no_vote }));
      replace("live-vote", nodes);
      return;
    }
    nodes.push(h("p", {}, h("strong", { text: v.status === "paused" ? T.vote_paused : T.vote_open }), " (" + v.step + ")"));
    nodes.push(h("dl", { className: "live-sides" }, h("dt", { text: T.jaa }), h("dd", { text: v.jaa }), h("dt", { text: T.ei }), h("dd", { text: v.ei })));
    nodes.push(h("p", { className: "live-cast" }, T.cast + ": ", h("span", { className: "live-cast-count", text: String(v.cast) }), " / " + v.eligible));
    if (me.ballot && me.ballot.vote === v.id) {
      nodes.push(h("p", { className: "live-voted badge ok", text: T.you_voted + ": " + optionLabel(me.ballot.option) }));
      nodes.push(h("p", { className: "live-receipt" }, T.receipt + ": ", h("code", { text: me.ballot.receipt })));
    }
    if (me.eligible && v.status === "open" && active(me)) {
      var f = form("ballot.cast", "", { vote: v.id }, { fid: "ballot" });
      f.removeChild(f.querySelector("button"));
      f.classList.add("live-ballot");
      var buttons = h("div", { className: "vote-buttons" });
      ["jaa", "ei", "tyhja"].forEach(function (o) {
        buttons.appendChild(h("button", { type: "submit", name: "option", value: o, "data-focus-key": "vote-" + o,
          className: o === "tyhja" ? "secondary" : null, text: optionLabel(o),
          "aria-pressed": me.ballot && me.ballot.option === o ? "true" : "false" }));
      });
      f.appendChild(buttons);
      nodes.push(f);
    } else if (!me.eligible) {
      nodes.push(h("p", { className: "muted", text: T.not_eligible }));
    }
    replace("live-vote", nodes);
  }

  function renderResults(snap, me) {
    var voting = snap.voting || {};
    var nodes = [h("h2", { id: "live-results-h", text: T.results })];
    var results = voting.results || [];
    if (!results.length) { nodes.push(h("p", { className: "muted", text: T.no_results })); }
    results.forEach(function (r) {
      var c = r.counts || {};
      var box = h("div", { className: "live-result" },
        h("h3", { text: T.vote_heading + " " + r.step }),
        h("p", { text: T.jaa + " = " + r.jaa + ", " + T.ei + " = " + r.ei }),
        h("p", { className: "live-counts", text: T.jaa + " " + c.jaa + " – " + T.ei + " " + c.ei + " – " + T.tyhja + " " + c.tyhja + " – " + T.absent + " " + c.absent }),
        h("p", {}, h("strong", { text: T.winner + ": " + r.winner_label })));
      if (r.names) {
        box.appendChild(h("details", {}, h("summary", { text: T.names }),
          ["jaa", "ei", "tyhja", "absent"].map(function (k) { return h("p", { text: optionLabel(k) + ": " + (r.names[k] || []).join(", ") }); })));
      }
      nodes.push(box);
    });
    if (voting.decision) {
      nodes.push(h("p", { className: "live-decision-state" }, h("strong", { text: T.decision + ": " }), voting.decision.label));
      if (voting.decision.dissent_open && me.decides && !me.dissent) {
        nodes.push(form("dissent.register", T.dissent, { item: snap.item ? snap.item.id : "" }, { style: "secondary", fid: "dissent" }));
      }
      if (me.dissent) { nodes.push(h("p", { className: "badge", text: T.dissent_done })); }
    }
    replace("live-results", nodes);
  }

  function renderMe(snap, me) {
    var nodes = [h("h2", { id: "live-me-h", text: T.me_heading || "" }), h("p", {}, h("strong", { text: me.name || "" }))];
    if (!me.participant) { nodes.push(h("p", { className: "muted", text: T.viewer })); }
    else if (me.removed) { nodes.push(h("p", { className: "badge bad", text: T.removed })); }
    else if (me.state === "rejoined") { nodes.push(h("p", { className: "badge warn", text: T.rejoined })); }
    else if (me.present) { nodes.push(h("p", { className: "badge ok", text: me.mode === "remote" ? T.present_remote : T.present_room })); }
    else if (me.mode === "remote") { nodes.push(h("p", { className: "badge warn", text: T.waiting_confirmation })); }
    else {
      nodes.push(h("p", { className: "muted", text: T.not_present }));
      if (me.remote_possible) { nodes.push(form("attend.remote", T.join_remote, {}, { fid: "remote" })); }
    }
    replace("live-me", nodes);
  }

  function renderQuorum(snap) {
    var q = snap.quorum || {};
    replace("live-quorum", [h("h2", { id: "live-quorum-h", text: T.quorum }),
      h("p", {}, h("span", { className: "badge " + (q.quorate ? "ok" : "bad"), text: q.quorate ? T.quorate : T.not_quorate }),
        " " + T.present + " " + q.present + ", " + T.required + " " + q.required)]);
  }

  function renderAgenda(snap) {
    var ol = h("ol", { className: "live-agenda" });
    (snap.agenda || []).forEach(function (i) {
      var current = snap.item && snap.item.id === i.id;
      ol.appendChild(h("li", { "aria-current": current ? "true" : null, className: current ? "current" : null },
        itemTitle(i) + " ", h("span", { className: "muted", text: "(" + i.status_label + ")" })));
    });
    replace("live-agenda", [h("h2", { id: "live-agenda-h", text: T.agenda }), ol]);
  }

  var alertLabels = { disconnected: "alert_disconnected", rejoined: "alert_rejoined", degraded: "alert_degraded", unconfirmed: "alert_unconfirmed" };

  function renderChair(chair, me) {
    var ul = h("ul", { className: "live-alert-list" });
    (chair.alerts || []).forEach(function (a) {
      ul.appendChild(h("li", { className: "live-alert " + a.kind }, h("strong", { text: a.name }), ": " + T[alertLabels[a.kind]]));
    });
    if (!(chair.alerts || []).length) { ul.appendChild(h("li", { className: "muted", text: T.no_alerts })); }
    replace("live-alerts", [h("h3", { id: "live-alerts-h", text: T.alerts }), ul]);
    if (document.getElementById("live-steps")) {
      var ol = h("ol", { className: "live-steps" });
      (chair.steps || []).forEach(function (s) {
        var li = h("li", { className: "live-step " + s.status },
          h("p", {}, h("strong", { text: s.label }), s.note ? [" – ", h("span", { className: "muted", text: s.note })] : null),
          s.warning ? h("p", { className: "live-warning badge warn", role: "note", text: s.warning }) : null);
        (s.actions || []).forEach(function (a) {
          var vals = Object.keys(a.params || {}).map(function (k) { return a.params[k]; }).join("-");
          li.appendChild(form(a.action, a.label, a.params, { fields: a.fields, blocked: a.blocked, style: a.style,
            fid: s.key + "-" + a.action + "-" + vals }));
        });
        ol.appendChild(li);
      });
      replace("live-steps", [h("h3", { id: "live-steps-h", text: T.steps }), ol]);
    }
    renderPlaceChair(chair.private_place);
    var tbody = h("tbody");
    (chair.roster || []).forEach(function (r) {
      var canConfirm = r.mode === "remote" && !r.removed && (r.state === "rejoined" || ((r.state === "connected" || r.state === "degraded") && !r.present));
      tbody.appendChild(h("tr", { "data-participant": r.id },
        h("th", { scope: "row", text: r.name }), h("td", { text: r.role_label }),
        h("td", { text: (r.present ? T.yes : T.no) + (r.mode === "remote" ? " (" + T.remote + ")" : "") }),
        h("td", { className: "live-state " + (r.state || "none"), text: r.state_label || "–" }),
        h("td", {}, canConfirm ? form("identity.confirm", T.confirm, { participant: r.id }, { inline: true, fid: "p" + r.id }) : null,
          me.is_chair && !r.removed && r.id !== me.participant ? h("details", { className: "live-remove" }, h("summary", { text: T.remove }),
            form("participant.remove", T.remove, { participant: r.id }, { style: "danger", fid: "rm" + r.id,
              fields: [{ name: "reason", label: T.reason, type: "text", required: true }] })) : null)));
    });
    replace("live-roster", [h("h3", { id: "live-roster-h", text: T.roster }),
      h("table", { className: "live-roster-table" }, h("caption", { className: "visually-hidden", text: T.roster }),
        h("thead", {}, h("tr", {}, [T.name, T.role, T.present_col, T.connection, T.actions].map(function (c) { return h("th", { scope: "col", text: c }); }))),
        tbody)]);
  }

  function renderPlaceChair(pp) { // R75: who attested a private place, with the count
    var el = document.getElementById("live-pp-chair");
    if (!el) { return; }
    el.hidden = !(pp && pp.required);
    if (el.hidden) { replace("live-pp-chair", []); return; }
    var ul = h("ul", { className: "live-pp-list" });
    (pp.rows || []).forEach(function (r) {
      ul.appendChild(h("li", { className: r.confirmed ? "ok" : "warn", "data-participant": r.participant },
        h("strong", { text: r.name }), ": " + (r.confirmed ? T.pp_yes : T.pp_no) + (r.connected ? "" : " (" + T.pp_offline + ")")));
    });
    replace("live-pp-chair", [h("h3", { id: "live-pp-chair-h", text: T.pp_chair + ": " + pp.confirmed + " / " + pp.remote + " " + T.pp_count }), ul]);
  }

  // --- speech timer (R10) -----------------------------------------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var timers = document.querySelectorAll(".live-timer");
    Array.prototype.forEach.call(timers, function (el) {
      var granted = Date.parse(el.getAttribute("data-granted"));
      if (isNaN(granted)) { el.textContent = ""; return; }
      var secs = Math.max(0, Math.floor((Date.now() + clockOffset - granted) / 1000));
      var limit = parseInt(el.getAttribute("data-limit"), 10);
      var text = T.elapsed + " " + Math.floor(secs / 60) + ":" + pad(secs % 60);
      if (limit > 0) { text += " (" + T.limit + " " + Math.floor(limit / 60) + ":" + pad(limit % 60) + ")"; }
      var over = limit > 0 && secs > limit;
      el.classList.toggle("over", over);
      el.textContent = over ? text + " – " + T.over : text;
    });
  }
  window.setInterval(tick, 1000);

  // --- state --------------------------------------------------------------------------------------
  function setConnection(kind) {
    var el = document.getElementById("live-connection");
    if (el) { el.textContent = T[kind] || kind; el.setAttribute("data-state", kind); }
    root.setAttribute("data-connection", kind);
  }

  function applySnapshot(version, snapshot) {
    if (!snapshot || version <= (state.v || 0)) { return false; }
    var itemBefore = state.snapshot && state.snapshot.item ? state.snapshot.item.id : null;
    state.v = version;
    state.snapshot = snapshot;
    if (snapshot.server_time) { clockOffset = Date.parse(snapshot.server_time) - Date.now(); }
    deriveMe(snapshot, state.me);
    root.setAttribute("data-version", String(version));
    var itemAfter = snapshot.item ? snapshot.item.id : null;
    return itemBefore !== itemAfter;
  }

  var fetchSeq = 0;
  var appliedSeq = 0;

  function fetchState(delay) {
    if (fetchTimer) { return; }
    fetchTimer = window.setTimeout(function () {
      fetchTimer = null;
      var seq = ++fetchSeq;
      fetch(client.state_url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) {
          if (r.status === 401 || r.status === 403) { terminated = true; window.location.reload(); return null; }
          return r.ok ? r.json() : null;
        })
        .then(function (data) {
          if (!data || seq < appliedSeq) { return; } // an older request answered late
          appliedSeq = seq;
          if ((data.v || 0) >= (state.v || 0)) {
            state = data;
            if (data.snapshot && data.snapshot.server_time) { clockOffset = Date.parse(data.snapshot.server_time) - Date.now(); }
            root.setAttribute("data-version", String(state.v));
            render();
          }
        })
        .catch(function () { /* offline: the next socket open resyncs */ });
    }, delay || 0);
  }

  var ME_EVENTS = /^(decision|dissent|meeting|item|attendance\.removed|attendance\.confirmed|proposals)/;

  function onMessage(ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (msg.type === "state") {
      var itemChanged = applySnapshot(msg.v, msg.snapshot);
      var needMe = itemChanged || (msg.events || []).some(function (e) { return ME_EVENTS.test(e); });
      render();
      if (needMe) { fetchState(Math.random() * 400); }
    } else if (msg.type === "progress") {
      if (msg.v <= (state.v || 0)) { return; }
      var snap = state.snapshot || {};
      var open = snap.voting && snap.voting.vote;
      state.v = msg.v;
      root.setAttribute("data-version", String(msg.v));
      if (!open || open.id !== msg.vote || snap.full_v !== msg.full_v) { fetchState(Math.random() * 300); return; }
      open.cast = msg.cast;
      open.needs_chair_decision = msg.needs_chair_decision;
      open.attention_reason = msg.attention_reason;
      renderVote(snap, state.me || {});
    } else if (msg.type === "chair") {
      if (state.chair !== undefined) { state.chair = msg.chair; renderChair(msg.chair, state.me || {}); }
    } else if (msg.type === "alert") {
      announce(msg.name + ": " + (T[alertLabels[msg.kind]] || msg.kind));
    } else if (msg.type === "stale") {
      fetchState(Math.random() * 500); // the server skipped pushes to this slow connection
    } else if (msg.type === "me.changed") {
      if (msg.client !== clientId) { fetchState(0); }
    } else if (msg.type === "pong") {
      if (typeof msg.v === "number" && msg.v > (state.v || 0)) { fetchState(Math.random() * 300); }
    }
  }

  function announce(text) {
    var el = document.getElementById("live-announce");
    if (!el) {
      el = h("p", { id: "live-announce", className: "live-announce", role: "alert" });
      root.insertBefore(el, root.firstChild.nextSibling);
    }
    el.textContent = text;
  }

  // --- socket with backoff -------------------------------------------------------------------------
  function connect() {
    if (terminated) { return; }
    var proto = window.location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + window.location.host + client.socket);
    ws.onopen = function () {
      attempts = 0;
      setConnection("connected");
      fetchState(0); // resync: whatever happened while we were away
      if (pingTimer) { window.clearInterval(pingTimer); }
      pingTimer = window.setInterval(function () {
        if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ type: "ping", v: state.v || 0 })); }
      }, (client.heartbeat || 5) * 1000);
    };
    ws.onmessage = onMessage;
    ws.onclose = function (ev) {
      if (pingTimer) { window.clearInterval(pingTimer); pingTimer = null; }
      ws = null;
      if (ev.code === 4001 || ev.code === 4401 || ev.code === 4403) {
        terminated = true;
        setConnection("offline");
        window.setTimeout(function () { window.location.reload(); }, 500);
        return;
      }
      setConnection("reconnecting");
      attempts += 1;
      var delay = Math.min(2000, 250 * Math.pow(2, attempts - 1)) + Math.random() * 250;
      window.setTimeout(connect, delay);
    };
  }

  // --- idempotent actions ------------------------------------------------------------------------
  function post(formEl, submitter) {
    var data = new FormData(formEl);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var key = data.get("idempotency_key") || newKey();
    var body = {};
    data.forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "idempotency_key") { body[name] = value; }
    });
    var tries = 0;
    var status = formEl.querySelector(".live-form-status");
    if (!status) { status = h("span", { className: "live-form-status", role: "status" }); formEl.appendChild(status); }
    status.textContent = T.saving;
    Array.prototype.forEach.call(formEl.querySelectorAll("button"), function (b) { b.disabled = true; });
    function attempt() {
      tries += 1;
      return fetch(formEl.getAttribute("action"), {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf,
          "Idempotency-Key": key, "X-Kokous-Client": clientId },
        body: JSON.stringify(body)
      }).then(function (r) {
        if ((r.status === 502 || r.status === 503 || r.status === 504) && tries < 6) { throw new Error("retry"); }
        return r.json().catch(function () { return { ok: false, message: T.failed }; }).then(function (payload) { return { status: r.status, payload: payload }; });
      }).catch(function () {
        if (tries >= 6) { return { status: 0, payload: { ok: false, message: T.failed } }; }
        status.textContent = T.retrying;
        return new Promise(function (resolve) { window.setTimeout(resolve, 400 * Math.pow(2, tries - 1)); }).then(attempt);
      });
    }
    return attempt().then(function (res) {
      Array.prototype.forEach.call(formEl.querySelectorAll("button"), function (b) { b.disabled = false; });
      var p = res.payload || {};
      if (p.code === "auth.step_up_required" && p.reauthenticate_url) { // ASVS L3 step-up
        window.location.assign(p.reauthenticate_url);
        return res;
      }
      status.textContent = p.ok ? (p.warning || T.saved) : (p.message || T.failed);
      status.className = "live-form-status " + (p.ok ? "ok" : "bad");
      if (p.ok) {
        if (p.receipt && state.me) { state.me.ballot = { vote: p.vote, option: p.option, receipt: p.receipt, cast_at: p.cast_at }; render(); }
        if (formEl.hasAttribute("data-reset")) { formEl.reset(); }
        var keyInput = formEl.querySelector("input[name=idempotency_key]");
        if (keyInput) { keyInput.value = newKey(); } // the next submission is a new action
        fetchState(0);
      }
      return res;
    });
  }

  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (!(f instanceof HTMLFormElement) || !f.hasAttribute("data-live-form")) { return; }
    ev.preventDefault();
    post(f, ev.submitter);
  });

  // expose for tests and debugging (read-only)
  window.kokousLive = { state: function () { return state; }, version: function () { return state.v; } };

  deriveMe(state.snapshot, state.me);
  root.setAttribute("data-version", String(state.v || 0));
  setConnection("reconnecting");
  render();
  connect();
}());
