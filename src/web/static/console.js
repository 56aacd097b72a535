// Loket staff console: sign in at a desk, call visitors, follow the queue live.
// Plain JavaScript, no framework. All data goes into the page with textContent.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
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

  // The server explains in English; staff read Dutch first, the server's reason after it.
  const STATUS = {
    400: "Dat verzoek klopt niet",
    401: "U bent afgemeld. Meld opnieuw aan",
    403: "Dat mag deze balie niet",
    404: "Niet gevonden",
    409: "Dat kan nu niet",
    422: "Die keuze bestaat niet",
    429: "Te veel pogingen",
  };
  async function errorText(res, first) {
    let reason = "";
    try {
      const body = await res.json();
      if (body && body.error) reason = body.error;
    } catch (_) { /* no JSON */ }
    const dutch = first || STATUS[res.status] || "Er ging iets mis op de server (" + res.status + ")";
    return reason ? dutch + " (" + reason + ")." : dutch + ".";
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
    document.title = "Loket – balie";
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
          option.textContent = d.can_sign_in ? d.name : d.name + " (geen PIN ingesteld)";
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
      err.textContent = "Kies de balie en vul de PIN in.";
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
        say("Aangemeld als " + s.desk_name + ".");
        $("call-next").focus();
        return;
      }
      const wait = res.headers.get("Retry-After");
      const text = await errorText(res, res.status === 401 ? "Balie-code of PIN klopt niet"
        : res.status === 429 ? "Te veel pogingen" + (wait ? ": probeer opnieuw over " + wait + " seconden" : "")
        : undefined);
      err.textContent = text;
      err.hidden = false;
      $("pin").value = "";
      $("pin").focus();
    } catch (_) {
      err.textContent = "Geen verbinding met de server.";
      err.hidden = false;
    } finally {
      $("sign-in").disabled = false;
    }
  });

  $("sign-out").addEventListener("click", async () => {
    try { await api("DELETE", "/api/v1/session"); } catch (_) { /* signed out anyway */ }
    showSignIn();
    say("Afgemeld.");
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
        if (res.status === 401) { showSignIn(); say("U bent afgemeld. Meld opnieuw aan.", "error"); return; }
        if (!res.ok) { say(await errorText(res), "error"); return; }
        view = await res.json();
        render();
      } while (again && session);
    } catch (_) {
      say("Geen verbinding met de server.", "error");
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

  function minutes(n) { return (n || 0) + " min"; }

  const STATES = { waiting: "wacht", called: "geroepen", served: "geholpen", no_show: "niet gekomen", expired: "verlopen" };

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
    $("pause-toggle").textContent = paused ? "Hervat" : "Pauze";
    $("pause-toggle").setAttribute("aria-pressed", String(paused));
    $("paused-badge").hidden = !paused;
    $("paused-note").hidden = !paused;
    document.body.classList.toggle("paused", paused);

    const n = v.waiting.length;
    $("waiting-count").textContent = n === 0 ? "Niemand wacht." : n === 1 ? "1 bezoeker wacht." : n + " bezoekers wachten.";

    renderCurrent(v.current);

    fillSelect($("outcome"), (v.outcomes || []).map((o) => [o, o]), 1);
    fillSelect($("transfer-service"), (v.services || [])
      .filter((s) => !v.current || s.id !== v.current.service)
      .map((s) => [s.id, s.name]));

    const rows = v.waiting.map((t) => {
      const li = el("li");
      li.dataset.ticket = t.id;
      li.append(el("span", "code", t.code));
      const info = el("span", "info");
      info.append(el("span", "service", t.service_name));
      const lang = el("span", "language", t.language_name);
      lang.lang = t.language;
      lang.dir = "auto";
      info.append(lang);
      if (t.screening_code) info.append(screeningButton(t.screening_code));
      li.append(info);
      li.append(el("span", "minutes", minutes(t.waiting_minutes)));
      const b = el("button", "secondary call-one", "Roep");
      b.type = "button";
      b.setAttribute("aria-label", "Roep " + t.code);
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
    $("current-none").hidden = !!t;
    $("current-ticket").hidden = !t;
    if (!t) return;
    $("current-code").textContent = t.code;
    $("current-state").textContent = STATES[t.state] || t.state;
    $("current-service").textContent = t.service_name;
    const lang = $("current-language");
    lang.textContent = t.language_name;
    lang.lang = t.language;
    $("current-wait").textContent = minutes(t.waiting_minutes) + " gewacht";
    const screening = $("current-screening");
    screening.hidden = !t.screening_code;
    if (t.screening_code) {
      screening.textContent = "Screening " + t.screening_code;
      screening.onclick = () => lookUp(t.screening_code);
    }
  }

  // A ticket taken from the screening's result screen carries its result code: one click
  // shows the result in the lookup below.
  function screeningButton(code) {
    const b = el("button", "secondary screening-code", "Screening " + code);
    b.type = "button";
    b.setAttribute("aria-label", "Screeningresultaat " + code + " opzoeken");
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
    "no-show": (t) => t.code + " niet gekomen.",
    "served": (t) => t.code + " geholpen.",
    "transfer": (t) => t.code + " doorgestuurd naar " + t.service_name + ".",
  };

  let busy = false;
  async function act(action, body) {
    if (!session || busy) return;
    busy = true;
    document.body.classList.add("busy");
    try {
      const res = await api("POST", deskPath(action), body);
      if (res.status === 401) { showSignIn(); say("U bent afgemeld. Meld opnieuw aan.", "error"); return; }
      if (!res.ok) { say(await errorText(res), "error"); return; }
      const data = res.status === 204 ? {} : await res.json();
      if (data.called) {
        // Show the call at once; the reload below fills in the rest.
        if (view) { view.current = data.called; renderCurrent(data.called); }
        say(data.called.code + " geroepen.", "ok");
        if (action === "call") $("current").scrollIntoView({ block: "nearest" });
      } else if (data.ticket && DONE[action]) {
        say(DONE[action](data.ticket), "ok");
      } else if (typeof data.paused === "boolean") {
        say(data.paused ? "Pauze." : "Hervat.", "ok");
      }
    } catch (_) {
      say("Geen verbinding met de server.", "error");
    } finally {
      busy = false;
      document.body.classList.remove("busy");
    }
    await reload();
    // A "Roep" button disappears with its row: keep the keyboard focus on the page.
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
  $("transfer").addEventListener("click", () => {
    const service = $("transfer-service").value;
    if (!service) { say("Kies een dienst om naar door te sturen.", "error"); return; }
    act("transfer", { service });
  });
  $("pause-toggle").addEventListener("click", () => act(view && view.desk.paused ? "resume" : "pause"));

  // ---- screening results ---------------------------------------------------------------

  const LEVELS = {
    on_own: ["✓", "zelfstandig"],
    with_help: ["◐", "met hulp"],
    not_yet: ["✗", "nog niet"],
  };
  const ENDINGS = { skipped: "overgeslagen", timed_out: "weggegaan", not_reached: "niet bereikt" };

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
    const lang = $("lookup-language");
    lang.textContent = r.language_name;
    lang.lang = r.language;
    $("lookup-unfinished").hidden = r.finished;
    // The pack lacked the learner's language: say in which language the tasks were explained.
    const instructions = $("lookup-instructions");
    instructions.hidden = !r.instructions_language;
    instructions.textContent = r.instructions_language
      ? "Uitleg getoond in: " + r.instructions_language_name + " (niet de taal van de bezoeker)"
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
        ? (i.steps_done === i.steps_total ? "ja" : "voorgedaan (" + i.steps_done + "/" + i.steps_total + " stappen)")
        : ENDINGS[i.ending] || i.ending;
      const hints = i.hints === 0 ? "0" : i.hints + " (niveau " + i.max_hint_level + ")";
      const name = el("th", "item", i.item_id);
      name.scope = "row";
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
      err.textContent = "Vul de code in, bv. K7M-4PX.";
      err.hidden = false;
      return;
    }
    $("lookup-submit").disabled = true;
    try {
      const res = await api("GET", "/api/v1/screening/" + encodeURIComponent(code));
      if (res.status === 401) { showSignIn(); say("U bent afgemeld. Meld opnieuw aan.", "error"); return; }
      if (!res.ok) {
        err.textContent = await errorText(res, res.status === 404 ? "Geen resultaat met deze code"
          : res.status === 400 ? "Dat is geen resultaatcode: 6 tekens, bv. K7M-4PX" : undefined);
        err.hidden = false;
        return;
      }
      renderResult(await res.json());
      // Screenings do not change the queue, so no live event brings today's figures: fetch them.
      reload();
    } catch (_) {
      err.textContent = "Geen verbinding met de server.";
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
    off: "Rapporteren staat uit.",
    starting: "Wordt gestart…",
    waiting_for_clock: "Wacht tot de klok gelijkgezet is (NTP) voor er verstuurd wordt.",
    sending: "Bezig met versturen…",
    up_to_date: "Alles is verstuurd.",
    unreachable: "Centraal systeem onbereikbaar",
    token_refused: "Het centraal systeem weigert de sleutel van deze kiosk: controleer report.token_file.",
  };

  function when(iso) {
    return iso ? new Date(iso).toLocaleString("nl-BE") : "—";
  }

  async function loadReport() {
    try {
      const res = await fetch("/health", { credentials: "same-origin" });
      const health = res.ok ? await res.json() : null;
      const r = health && health.report;
      $("report").hidden = !r;
      if (!r) return;
      let text = REPORT_STATES[r.state] || r.message;
      if (r.state === "unreachable") text += " sinds " + when(r.since) + " (" + r.reason + ").";
      $("report-state").textContent = text;
      $("report-state").className = ["unreachable", "token_refused"].includes(r.state) ? "error" : "";
      $("report-backlog").textContent = String(r.backlog);
      $("report-last-sent").textContent = when(r.last_sent_at);
      $("report-refused").textContent = String(r.refused);
      const dropped = Object.entries(r.dropped || {});
      $("report-dropped").hidden = dropped.length === 0;
      $("report-dropped").textContent = "Niet bewaard (wachtrij vol): " +
        dropped.map(([type, n]) => type + " " + n).join(", ");
      const list = $("report-problems");
      list.replaceChildren(...(r.problems || []).map((p) => el("li", "error", p)));
    } catch (_) { /* the connection notice already says so */ }
  }

  loadReport();
  setInterval(loadReport, 30000);

  // ---- start -------------------------------------------------------------------------

  (async function start() {
    try {
      const res = await api("GET", "/api/v1/session");
      if (res.ok) { showDesk(await res.json()); return; }
    } catch (_) {
      say("Geen verbinding met de server.", "error");
    }
    showSignIn();
  })();
})();
