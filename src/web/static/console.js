// Loket staff console: sign in at a desk, call visitors, follow the queue live.
// Plain JavaScript, no framework. All data goes into the page with textContent.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  // The words in the staff's language, from the server (site.local_language).
  const W = JSON.parse($("words").textContent);
  const LOCALE = document.documentElement.dataset.locale || undefined;
  // "{code} called." with {code} filled; a placeholder without a value stays as written.
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }
  // A visitor's language as staff read it, "Tigrinya (ትግርኛ)", for a ticket or a result.
  function languageShown(t) {
    return W.languages[t.language] || t.language_name || t.language;
  }
  let session = null; // {desk, desk_name, csrf_token}
  let view = null; // last GET /api/v1/desks/{desk}
  let events = null; // EventSource
  let loading = false;
  let again = false;
  let retryTimer = null;

  // ---- messages ----------------------------------------------------------------------

  let messageTimer = null;
  function say(text, kind) {
    const m = $("message");
    m.textContent = text;
    m.className = "message " + (kind || "info");
    clearTimeout(messageTimer);
    if (kind !== "error") messageTimer = setTimeout(() => { m.textContent = ""; m.className = "message"; }, 8000);
  }

  // The server explains in English; staff read their own language first, the server's reason after it.
  const STATUS = {
    400: W.status_400,
    401: W.status_401,
    403: W.status_403,
    404: W.status_404,
    409: W.status_409,
    422: W.status_422,
    429: W.status_429,
  };
  async function errorText(res, first) {
    let reason = "";
    try {
      const body = await res.json();
      if (body && body.error) reason = body.error;
    } catch (_) { /* no JSON */ }
    const own = first || STATUS[res.status] || fill(W.status_other, { status: res.status });
    return reason ? own + " (" + reason + ")." : own + ".";
  }

  // ---- HTTP --------------------------------------------------------------------------

  function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (session && method !== "GET") headers["X-CSRF-Token"] = session.csrf_token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function deskPath(action) {
    return "/api/v1/desks/" + encodeURIComponent(session.desk) + (action ? "/" + action : "");
  }

  // ---- sign in / out -----------------------------------------------------------------

  function showSignIn() {
    session = null;
    view = null;
    if (events) { events.close(); events = null; }
    delete document.body.dataset.live;
    $("connection").hidden = true;
    $("desk-view").hidden = true;
    $("bar-actions").hidden = true;
    $("desk-name").textContent = "";
    clearLookup();
    document.title = "Loket – " + W.desk;
    $("sign-in-view").hidden = false;
    fillDesks();
  }

  // The desks to choose from; the one this browser used last is chosen again.
  async function fillDesks() {
    const select = $("desk");
    if (select.options.length === 0) {
      try {
        const res = await fetch("/api/v1/desks", { credentials: "same-origin" });
        const list = res.ok ? await res.json() : { desks: [] };
        for (const d of list.desks) {
          const option = document.createElement("option");
          option.value = d.id;
          option.textContent = d.can_sign_in ? d.name : fill(W.desk_without_pin, { desk: d.name });
          option.disabled = !d.can_sign_in;
          select.appendChild(option);
        }
      } catch (_) {
        // Offline: the form says so when signing in.
      }
    }
    const last = localStorage.getItem("loket.desk");
    if (last && [...select.options].some((o) => o.value === last && !o.disabled)) select.value = last;
    (last ? $("pin") : select).focus();
  }

  function showDesk(s) {
    session = s;
    $("sign-in-view").hidden = true;
    $("desk-view").hidden = false;
    $("bar-actions").hidden = false;
    $("desk-name").textContent = s.desk_name;
    document.title = "Loket – " + s.desk_name;
    connect();
    reload();
  }

  $("sign-in-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = $("sign-in-error");
    const desk = $("desk").value.trim();
    const pin = $("pin").value.trim();
    err.hidden = true;
    if (!desk || !pin) {
      err.textContent = W.choose_desk_and_pin;
      err.hidden = false;
      return;
    }
    $("sign-in").disabled = true;
    try {
      const res = await api("POST", "/api/v1/session", { desk, pin });
      if (res.ok) {
        localStorage.setItem("loket.desk", desk);
        $("pin").value = "";
        const s = await res.json();
        showDesk(s);
        say(fill(W.signed_in_as, { desk: s.desk_name }));
        $("call-next").focus();
        return;
      }
      const wait = res.headers.get("Retry-After");
      const text = await errorText(res, res.status === 401 ? W.wrong_pin
        : res.status === 429 ? (wait ? fill(W.try_again_in, { seconds: wait }) : W.status_429)
        : undefined);
      err.textContent = text;
      err.hidden = false;
      $("pin").value = "";
      $("pin").focus();
    } catch (_) {
      err.textContent = W.no_connection;
      err.hidden = false;
    } finally {
      $("sign-in").disabled = false;
    }
  });

  $("sign-out").addEventListener("click", async () => {
    try { await api("DELETE", "/api/v1/session"); } catch (_) { /* signed out anyway */ }
    showSignIn();
    say(W.signed_out);
  });

  // ---- the desk view -----------------------------------------------------------------

  async function reload() {
    if (!session) return;
    if (loading) { again = true; return; }
    loading = true;
    try {
      do {
        again = false;
        const res = await api("GET", deskPath());
        if (res.status === 401) { showSignIn(); say(W.status_401 + ".", "error"); return; }
        if (!res.ok) { say(await errorText(res), "error"); return; }
        view = await res.json();
        render();
      } while (again && session);
    } catch (_) {
      say(W.no_connection, "error");
    } finally {
      loading = false;
    }
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function minutes(n) { return fill(W.minutes, { n: n || 0 }); }

  const STATES = {
    waiting: W.state_waiting, called: W.state_called, served: W.state_served,
    no_show: W.state_no_show, expired: W.state_expired,
  };

  function fillSelect(select, options, keep) {
    const before = select.value;
    const fixed = keep ? Array.from(select.options).slice(0, keep) : [];
    select.replaceChildren(...fixed);
    for (const [value, label] of options) {
      const o = el("option", null, label);
      o.value = value;
      select.append(o);
    }
    if (Array.from(select.options).some((o) => o.value === before)) select.value = before;
  }

  function render() {
    const v = view;
    const paused = !!v.desk.paused;
    $("desk-name").textContent = v.desk.name;
    $("pause-toggle").textContent = paused ? W.resume : W.pause;
    $("pause-toggle").setAttribute("aria-pressed", String(paused));
    $("paused-badge").hidden = !paused;
    $("paused-note").hidden = !paused;
    document.body.classList.toggle("paused", paused);

    const n = v.waiting.length;
    $("waiting-count").textContent = n === 0 ? W.nobody_waiting : n === 1 ? W.one_waiting : fill(W.many_waiting, { n });

    renderCurrent(v.current);

    fillSelect($("outcome"), (v.outcomes || []).map((o) => [o, o]), 1);
    fillSelect($("issue-service"), (v.services || []).map((s) => [s.id, s.name]));
    fillSelect($("issue-language"), (v.languages || []).map((l) => [l, W.languages[l] || l]));
    renderAppointmentChoices().then(loadAppointments);
    fillSelect($("transfer-service"), (v.services || [])
      .filter((s) => !v.current || s.id !== v.current.service)
      .map((s) => [s.id, s.name]));

    const rows = v.waiting.map((t) => {
      const li = el("li");
      li.dataset.ticket = t.id;
      li.append(el("span", "code", t.code));
      const info = el("span", "info");
      info.append(el("span", "service", t.service_name));
      const lang = el("span", "language", languageShown(t));
      lang.dir = "auto";
      info.append(lang);
      if (t.screening_code) info.append(screeningButton(t.screening_code));
      li.append(info);
      li.append(el("span", "minutes", minutes(t.waiting_minutes)));
      const b = el("button", "secondary call-one", W.call);
      b.type = "button";
      b.setAttribute("aria-label", fill(W.call_code, { code: t.code }));
      b.addEventListener("click", () => act("call", { ticket: t.id }));
      li.append(b);
      return li;
    });
    $("waiting").replaceChildren(...rows);
    $("waiting-empty").hidden = n > 0;

    const f = v.figures || {};
    $("fig-served").textContent = f.served_today || 0;
    $("fig-no-shows").textContent = f.no_shows_today || 0;
    $("fig-longest").textContent = minutes(f.longest_wait_minutes);
    $("fig-screenings").textContent = f.screenings_today || 0;
    $("fig-tutorials").textContent = f.tutorials_today || 0;
    $("fig-per-service").replaceChildren(...(f.waiting_per_service || []).map((s) => {
      const li = el("li");
      li.append(el("span", null, s.name), el("strong", null, String(s.waiting)));
      return li;
    }));
  }

  function renderCurrent(t) {
    // A question about another visitor (or none) is no longer the question.
    if (!t || !pendingTransfer || pendingTransfer.ticket !== t.id) cancelTransfer();
    $("current-none").hidden = !!t;
    $("current-ticket").hidden = !t;
    if (!t) return;
    $("current-code").textContent = t.code;
    $("current-state").textContent = STATES[t.state] || t.state;
    $("current-service").textContent = t.service_name;
    $("current-language").textContent = languageShown(t);
    $("current-wait").textContent = fill(W.waited, { time: minutes(t.waiting_minutes) });
    const screening = $("current-screening");
    screening.hidden = !t.screening_code;
    if (t.screening_code) {
      screening.textContent = fill(W.screening_code, { code: t.screening_code });
      screening.onclick = () => lookUp(t.screening_code);
    }
  }

  // A ticket taken from the screening's result screen carries its result code: one click
  // shows the result in the lookup below.
  function screeningButton(code) {
    const b = el("button", "secondary screening-code", fill(W.screening_code, { code }));
    b.type = "button";
    b.setAttribute("aria-label", fill(W.look_up_screening, { code }));
    b.addEventListener("click", () => lookUp(code));
    return b;
  }

  function lookUp(code) {
    $("lookup-code").value = code;
    $("lookup-form").requestSubmit();
    $("lookup").scrollIntoView({ behavior: "smooth" });
  }

  // ---- actions -----------------------------------------------------------------------

  const DONE = {
    "no-show": (t) => fill(W.done_no_show, { code: t.code }),
    "served": (t) => fill(W.done_served, { code: t.code }),
    "transfer": (t) => fill(W.done_transfer, { code: t.code, service: t.service_name }),
  };

  let busy = false;
  async function act(action, body) {
    if (!session || busy) return;
    cancelTransfer();
    busy = true;
    document.body.classList.add("busy");
    try {
      const res = await api("POST", deskPath(action), body);
      if (res.status === 401) { showSignIn(); say(W.status_401 + ".", "error"); return; }
      if (!res.ok) { say(await errorText(res), "error"); return; }
      const data = res.status === 204 ? {} : await res.json();
      if (data.called) {
        // Show the call at once; the reload below fills in the rest.
        if (view) { view.current = data.called; renderCurrent(data.called); }
        say(fill(W.done_called, { code: data.called.code }), "ok");
        if (action === "call") $("current").scrollIntoView({ block: "nearest" });
      } else if (data.ticket && DONE[action]) {
        say(DONE[action](data.ticket), "ok");
      } else if (typeof data.paused === "boolean") {
        say(data.paused ? W.done_paused : W.done_resumed, "ok");
      }
    } catch (_) {
      say(W.no_connection, "error");
    } finally {
      busy = false;
      document.body.classList.remove("busy");
    }
    await reload();
    // A "Call" button disappears with its row: keep the keyboard focus on the page.
    if (session && (!document.activeElement || document.activeElement === document.body)) $("call-next").focus();
  }

  $("call-next").addEventListener("click", () => act("call-next"));
  // These act on the visitor on screen: the server refuses (409) if the desk has moved on.
  const onScreen = () => (view && view.current ? { ticket: view.current.id } : {});
  $("recall").addEventListener("click", () => act("recall", onScreen()));
  $("no-show").addEventListener("click", () => act("no-show", onScreen()));
  $("served").addEventListener("click", () => {
    const outcome = $("outcome").value;
    act("served", outcome ? { ...onScreen(), outcome } : onScreen());
  });
  // "Send on" asks first, in a row below it: a click that lands on it by mistake moves nobody,
  // and a second click on the same spot takes the question back instead of confirming it.
  let pendingTransfer = null; // {ticket, service}
  let transferTimer = null;
  function cancelTransfer() {
    pendingTransfer = null;
    clearTimeout(transferTimer);
    $("transfer-confirm").hidden = true;
    $("transfer").setAttribute("aria-expanded", "false");
  }
  $("transfer").addEventListener("click", () => {
    if (pendingTransfer) { cancelTransfer(); return; }
    const service = $("transfer-service").value;
    if (!service) { say(W.choose_service, "error"); return; }
    if (!view || !view.current) return;
    const name = $("transfer-service").selectedOptions[0].textContent;
    pendingTransfer = { ticket: view.current.id, service };
    $("transfer-question").textContent = fill(W.transfer_question, { code: view.current.code, service: name });
    $("transfer-confirm").hidden = false;
    $("transfer").setAttribute("aria-expanded", "true");
    $("transfer-yes").focus();
    clearTimeout(transferTimer);
    transferTimer = setTimeout(cancelTransfer, 15000);
  });
  $("transfer-yes").addEventListener("click", () => {
    const p = pendingTransfer;
    if (!p) return;
    act("transfer", { service: p.service, ticket: p.ticket });
  });
  $("transfer-cancel").addEventListener("click", () => { cancelTransfer(); $("transfer").focus(); });
  $("transfer-service").addEventListener("change", cancelTransfer);

  // ---- tickets from the desk: issued for a visitor without one, or printed again ----------

  function printSaid(code, print, first) {
    if (!print) return [first, "ok"];
    if (print.state === "printed") return [fill(W.done_issued_printed, { code }), "ok"];
    if (print.state === "queued") return [fill(W.print_queued, { code }), "ok"];
    return [fill(W.print_not_ready, { code, reason: print.reason || "" }), "error"];
  }

  $("issue-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!session) return;
    const body = {
      service: $("issue-service").value,
      language: $("issue-language").value,
      print: $("issue-print").checked,
    };
    $("issue-submit").disabled = true;
    try {
      const res = await api("POST", "/api/v1/tickets", body);
      if (res.status === 401) { showSignIn(); say(W.status_401 + ".", "error"); return; }
      if (!res.ok) { say(await errorText(res), "error"); return; }
      const data = await res.json();
      const code = data.ticket.code;
      const [text, kind] = printSaid(code, data.print, fill(W.done_issued, { code }));
      say(text, kind);
    } catch (_) {
      say(W.no_connection, "error");
    } finally {
      $("issue-submit").disabled = false;
    }
  });

  $("reprint").addEventListener("click", async () => {
    if (!session || !view || !view.current) return;
    const code = view.current.code;
    $("reprint").disabled = true;
    try {
      const res = await api("POST", "/api/v1/tickets/" + encodeURIComponent(view.current.id) + "/print");
      if (res.status === 401) { showSignIn(); say(W.status_401 + ".", "error"); return; }
      if (!res.ok) { say(await errorText(res), "error"); return; }
      const data = await res.json();
      const print = data.print;
      if (print && print.state === "printed") say(fill(W.done_printed_again, { code }), "ok");
      else say(...printSaid(code, print, ""));
    } catch (_) {
      say(W.no_connection, "error");
    } finally {
      $("reprint").disabled = false;
    }
  });
  $("pause-toggle").addEventListener("click", () => act(view && view.desk.paused ? "resume" : "pause"));

  // ---- screening results ---------------------------------------------------------------

  const LEVELS = {
    on_own: ["✓", W.level_on_own],
    with_help: ["◐", W.level_with_help],
    not_yet: ["✗", W.level_not_yet],
  };
  const ENDINGS = { skipped: W.ending_skipped, timed_out: W.ending_timed_out, not_reached: W.ending_not_reached };

  function levelMark(level) {
    const [mark, text] = LEVELS[level] || ["?", level];
    const span = el("span", "level " + level);
    const m = el("span", "mark", mark);
    m.setAttribute("aria-hidden", "true");
    span.append(m, " " + text);
    return span;
  }

  function duration(ms) {
    const s = Math.round((ms || 0) / 1000);
    if (s < 60) return s + " s";
    return Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s";
  }

  function clearLookup() {
    $("lookup-result").hidden = true;
    $("lookup-error").hidden = true;
    $("lookup-code").value = "";
    $("lookup-competences").replaceChildren();
    $("lookup-items").tBodies[0].replaceChildren();
  }

  function renderResult(r) {
    $("lookup-shown").textContent = r.code;
    $("lookup-when").textContent = r.ended_local;
    $("lookup-language").textContent = languageShown(r);
    $("lookup-unfinished").hidden = r.finished;
    // The pack lacked the learner's language: say in which language the tasks were explained.
    const instructions = $("lookup-instructions");
    instructions.hidden = !r.instructions_language;
    instructions.textContent = r.instructions_language
      ? fill(W.instructions_shown_in, {
          language: W.languages[r.instructions_language] || r.instructions_language_name,
        })
      : "";
    $("lookup-referral").textContent = r.referral.label;
    $("lookup-competences").replaceChildren(...r.competences.map((c) => {
      const li = el("li");
      li.append(levelMark(c.level), el("span", "competence", c.code + " " + c.name));
      return li;
    }));
    $("lookup-items").tBodies[0].replaceChildren(...r.items.map((i) => {
      const tr = el("tr");
      const reached = i.ending !== "not_reached";
      const done = i.ending === "completed"
        ? (i.steps_done === i.steps_total ? W.yes : fill(W.shown_how, { done: i.steps_done, total: i.steps_total }))
        : ENDINGS[i.ending] || i.ending;
      const hints = i.hints === 0 ? "0" : fill(W.hints_level, { hints: i.hints, level: i.max_hint_level });
      // The exercise by its title in the staff's language; its id below, small, for reports.
      const name = el("th", "item", i.title || i.item_id);
      name.scope = "row";
      if (i.title) name.append(el("span", "item-id", i.item_id));
      const level = el("td");
      level.append(levelMark(i.level));
      const cells = [
        level, el("td", null, done),
        el("td", "num", reached ? hints : "–"),
        el("td", "num", reached ? String(i.wrong_taps) : "–"),
        el("td", "num" + (i.risky_taps > 0 ? " risky" : ""), reached ? String(i.risky_taps) : "–"),
        el("td", "num", reached ? duration(i.duration_ms) : "–"),
      ];
      // On a phone the rows stack: each cell then shows its column's name.
      const heads = Array.from($("lookup-items").tHead.rows[0].cells).slice(1);
      cells.forEach((td, n) => { td.dataset.label = heads[n].textContent; });
      tr.append(name, ...cells);
      return tr;
    }));
    $("lookup-error").hidden = true;
    $("lookup-result").hidden = false;
  }

  $("lookup-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const code = $("lookup-code").value.trim();
    const err = $("lookup-error");
    $("lookup-result").hidden = true;
    if (!code) {
      err.textContent = W.enter_code;
      err.hidden = false;
      return;
    }
    $("lookup-submit").disabled = true;
    try {
      const res = await api("GET", "/api/v1/screening/" + encodeURIComponent(code));
      if (res.status === 401) { showSignIn(); say(W.status_401 + ".", "error"); return; }
      if (!res.ok) {
        err.textContent = await errorText(res, res.status === 404 ? W.no_result
          : res.status === 400 ? W.not_a_code : undefined);
        err.hidden = false;
        return;
      }
      renderResult(await res.json());
      // Screenings do not change the queue, so no live event brings today's figures: fetch them.
      reload();
    } catch (_) {
      err.textContent = W.no_connection;
      err.hidden = false;
    } finally {
      $("lookup-submit").disabled = false;
    }
  });

  // ---- live updates ------------------------------------------------------------------

  function connect() {
    if (events) events.close();
    clearTimeout(retryTimer);
    const es = new EventSource("/api/v1/events");
    events = es;
    es.addEventListener("open", () => {
      document.body.dataset.live = "open";
      $("connection").hidden = true;
      reload();
    });
    es.addEventListener("queue", reload);
    es.addEventListener("resync", reload);
    es.addEventListener("appointment_checked_in", loadAppointments);
    es.addEventListener("error", () => {
      if (events !== es) return;
      document.body.dataset.live = "closed";
      $("connection").hidden = false;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. 401): check the session, then try again.
        retryTimer = setTimeout(checkSession, 3000);
      }
    });
  }

  async function checkSession() {
    try {
      const res = await api("GET", "/api/v1/session");
      if (res.ok) { session = await res.json(); connect(); return; }
      if (res.status === 401) { $("connection").hidden = true; showSignIn(); return; }
    } catch (_) { /* still offline */ }
    retryTimer = setTimeout(checkSession, 5000);
  }

  // ---- reporting to the central system (from /health) ----------------------------------

  const REPORT_STATES = {
    off: W.report_off,
    starting: W.report_starting,
    waiting_for_clock: W.report_waiting_for_clock,
    sending: W.report_sending,
    up_to_date: W.report_up_to_date,
    token_refused: W.report_token_refused,
  };

  function when(iso) {
    return iso ? new Date(iso).toLocaleString(LOCALE) : "—";
  }

  async function loadReport() {
    try {
      const res = await fetch("/health", { credentials: "same-origin" });
      const health = res.ok ? await res.json() : null;
      const r = health && health.report;
      $("report").hidden = !r;
      if (!r) return;
      const text = r.state === "unreachable"
        ? fill(W.report_unreachable, { since: when(r.since), reason: r.reason })
        : REPORT_STATES[r.state] || r.message;
      $("report-state").textContent = text;
      $("report-state").className = ["unreachable", "token_refused"].includes(r.state) ? "error" : "";
      $("report-backlog").textContent = String(r.backlog);
      $("report-last-sent").textContent = when(r.last_sent_at);
      $("report-refused").textContent = String(r.refused);
      const dropped = Object.entries(r.dropped || {});
      $("report-dropped").hidden = dropped.length === 0;
      $("report-dropped").textContent = fill(W.report_dropped, {
        list: dropped.map(([type, n]) => type + " " + n).join(", "),
      });
      const list = $("report-problems");
      list.replaceChildren(...(r.problems || []).map((p) => el("li", "error", p)));
    } catch (_) { /* the connection notice already says so */ }
  }

  loadReport();
  setInterval(loadReport, 30000);

  // ---- appointments ------------------------------------------------------------------
  // A day's appointments (today unless staff choose another day), all or this desk's own;
  // book, move (the time), cancel (after a question), the visitor's slip, and a file upload.

  const APPT_STATES = {
    expected: W.appt_state_expected, checked_in: W.appt_state_checked_in, called: W.appt_state_called,
    served: W.appt_state_served, no_show: W.appt_state_no_show, cancelled: W.appt_state_cancelled,
  };
  let apptLoading = false;
  let apptAgain = false;
  let apptCancelling = null; // the appointment asked about

  function two(n) { return String(n).padStart(2, "0"); }
  function localDay(d) { return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()); }
  function localTime(iso) { const d = new Date(iso); return two(d.getHours()) + ":" + two(d.getMinutes()); }
  // The chosen day and a time "HH:MM" as an instant, in this computer's time zone.
  function instant(time) {
    const [y, m, d] = ($("appt-day").value || localDay(new Date())).split("-").map(Number);
    const [h, min] = time.split(":").map(Number);
    return new Date(y, m - 1, d, h, min).toISOString();
  }
  let apptDesks = null; // [{id, name}] from GET /api/v1/desks, once
  async function loadDesks() {
    if (apptDesks) return;
    try {
      const res = await fetch("/api/v1/desks", { credentials: "same-origin" });
      if (res.ok) apptDesks = (await res.json()).desks;
    } catch (_) { /* offline: the ids stand in for the names */ }
  }
  function deskName(id) {
    const d = (apptDesks || []).find((x) => x.id === id);
    return d ? d.name : id;
  }
  function serviceName(id) {
    const s = view && (view.services || []).find((x) => x.id === id);
    return s ? s.name : id;
  }

  async function loadAppointments() {
    if (!session) return;
    if (apptLoading) { apptAgain = true; return; }
    apptLoading = true;
    try {
      do {
        apptAgain = false;
        const query = new URLSearchParams();
        if ($("appt-day").value) query.set("day", $("appt-day").value);
        if ($("appt-mine").checked) query.set("desk", session.desk);
        const res = await api("GET", "/api/v1/appointments?" + query.toString());
        if (!res.ok) { say(await errorText(res), "error"); return; }
        renderAppointments(await res.json());
      } while (apptAgain && session);
    } catch (_) {
      say(W.no_connection, "error");
    } finally {
      apptLoading = false;
    }
  }

  function renderAppointments(list) {
    $("appt-empty").hidden = list.length > 0;
    const rows = list.map((a) => {
      const tr = el("tr");
      tr.dataset.appointment = a.id;
      tr.dataset.state = a.state;
      tr.append(
        el("td", "appt-time", localTime(a.starts_at)),
        el("td", null, serviceName(a.service)),
        el("td", null, a.desk ? deskName(a.desk) : W.appt_any_desk),
        el("td", null, a.language ? (W.languages[a.language] || a.language) : "—"),
        el("td", "code appt-code", a.code_shown),
        el("td", "appt-state", APPT_STATES[a.state] || a.state),
      );
      const actions = el("td", "appt-actions");
      const slip = el("a", "appt-slip", W.appt_slip);
      slip.href = "/appointments/" + encodeURIComponent(a.id) + "/slip";
      slip.target = "_blank";
      slip.rel = "noopener";
      actions.append(slip);
      if (a.state === "expected") {
        const time = el("input", "appt-move-time");
        time.type = "time";
        time.value = localTime(a.starts_at);
        time.setAttribute("aria-label", fill(W.appt_new_time_for, { code: a.code_shown }));
        const move = el("button", "secondary appt-move", W.appt_move);
        move.type = "button";
        move.addEventListener("click", () => moveAppointment(a, time.value));
        const cancel = el("button", "danger appt-cancel", W.appt_cancel);
        cancel.type = "button";
        cancel.addEventListener("click", () => askCancel(a));
        actions.append(" ", time, " ", move, " ", cancel);
      }
      tr.append(actions);
      return tr;
    });
    $("appt-list").tBodies[0].replaceChildren(...rows);
    // The day's figures: how many appointments are in each state (on the list shown).
    const counts = {};
    for (const a of list) counts[a.state] = (counts[a.state] || 0) + 1;
    const figures = $("appt-figures");
    figures.replaceChildren();
    for (const state of Object.keys(APPT_STATES)) {
      figures.dataset[state.replace(/_(.)/g, (_, c) => c.toUpperCase())] = counts[state] || 0;
      if (counts[state]) figures.append(el("span", "appt-figure", APPT_STATES[state] + ": " + counts[state]));
    }
    figures.hidden = list.length === 0;
  }

  async function apptChange(method, path, body, done) {
    try {
      const res = await api(method, path, body);
      if (res.status === 401) { showSignIn(); say(W.status_401 + ".", "error"); return null; }
      if (!res.ok) { say(await errorText(res), "error"); return null; }
      const a = await res.json();
      say(fill(done, { code: a.code_shown, time: localTime(a.starts_at) }));
      loadAppointments();
      return a;
    } catch (_) {
      say(W.no_connection, "error");
      return null;
    }
  }

  function moveAppointment(a, time) {
    if (!time) { say(W.appt_choose_time, "error"); return; }
    apptChange("PATCH", "/api/v1/appointments/" + encodeURIComponent(a.id), { starts_at: instant(time) },
      W.appt_done_moved);
  }

  function askCancel(a) {
    apptCancelling = a;
    $("appt-cancel-question").textContent =
      fill(W.appt_cancel_question, { code: a.code_shown, time: localTime(a.starts_at) });
    $("appt-cancel-confirm").hidden = false;
    $("appt-cancel-no").focus();
  }
  function closeCancel() {
    apptCancelling = null;
    $("appt-cancel-confirm").hidden = true;
  }
  $("appt-cancel-no").addEventListener("click", closeCancel);
  $("appt-cancel-yes").addEventListener("click", () => {
    const a = apptCancelling;
    closeCancel();
    if (a) apptChange("POST", "/api/v1/appointments/" + encodeURIComponent(a.id) + "/cancel", undefined,
      W.appt_done_cancelled);
  });

  $("appt-book-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const time = $("appt-book-time").value;
    const service = $("appt-book-service").value;
    if (!time || !service) { say(W.appt_choose_time, "error"); return; }
    const body = { starts_at: instant(time), service };
    if ($("appt-book-desk").value) body.desk = $("appt-book-desk").value;
    if ($("appt-book-language").value) body.language = $("appt-book-language").value;
    $("appt-book").disabled = true;
    await apptChange("POST", "/api/v1/appointments", body, W.appt_done_booked);
    $("appt-book").disabled = false;
  });

  $("appt-import-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = $("appt-import-error");
    const done = $("appt-import-done");
    error.hidden = true;
    done.hidden = true;
    const file = $("appt-import-file").files[0];
    if (!file) { error.textContent = W.appt_choose_file; error.hidden = false; return; }
    try {
      const res = await fetch("/api/v1/appointments/import", {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Accept": "application/json", "Content-Type": "text/plain", "X-CSRF-Token": session.csrf_token },
        body: await file.text(),
      });
      if (res.ok) {
        const r = await res.json();
        done.textContent = fill(W.appt_imported, { booked: r.booked, moved: r.moved, unchanged: r.unchanged });
        done.hidden = false;
        loadAppointments();
        return;
      }
      let body = null;
      try { body = await res.json(); } catch (_) { /* no JSON */ }
      if (res.status === 400 && body && body.error) {
        error.textContent = body.line
          ? fill(W.appt_import_refused_line, { line: body.line, reason: body.error })
          : fill(W.appt_import_refused, { reason: body.error });
      } else {
        const own = STATUS[res.status] || fill(W.status_other, { status: res.status });
        error.textContent = body && body.error ? own + " (" + body.error + ")." : own + ".";
      }
      error.hidden = false;
    } catch (_) {
      error.textContent = W.no_connection;
      error.hidden = false;
    }
  });

  $("appt-day").addEventListener("change", loadAppointments);
  $("appt-mine").addEventListener("change", loadAppointments);

  async function renderAppointmentChoices() {
    fillSelect($("appt-book-service"), ((view && view.services) || []).map((s) => [s.id, s.name]));
    await loadDesks();
    fillSelect($("appt-book-desk"), (apptDesks || []).map((d) => [d.id, d.name]), 1);
    fillSelect($("appt-book-language"), ((view && view.languages) || []).map((l) => [l, W.languages[l] || l]), 1);
  }

  // ---- start -------------------------------------------------------------------------

  (async function start() {
    try {
      const res = await api("GET", "/api/v1/session");
      if (res.ok) { showDesk(await res.json()); return; }
    } catch (_) {
      say(W.no_connection, "error");
    }
    showSignIn();
  })();
})();
