// Loket "now serving" board for a TV: the newest call huge, the few before it below.
// Live over Server-Sent Events, a two-tone chime per call, reconnects by itself.
// Its words come from the server in the staff's language (the JSON in #words).
// The chime plays without a click when the browser allows it (Chromium started with
// --autoplay-policy=no-user-gesture-required, as on a wall TV); otherwise a banner asks for a click.
// The page tells how the last chime went in <body data-chime="played|blocked|none">, for tests.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const W = JSON.parse($("words").textContent);
  const LOCALE = document.documentElement.dataset.locale || undefined;
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }
  // Visitors who read no local language may read English: say it beside the local words.
  $("board-label-en").hidden = document.documentElement.lang === "en";
  const RECENT = 4; // calls shown below the current one
  let calls = []; // newest first
  let current = true; // whether calls[0] is served now (not when its ticket was sent on)
  let source = null;
  let retry = null;
  let loadedAt = 0; // when the list was last fetched

  // ---- the chime ---------------------------------------------------------------------

  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  let audio = null;
  try { audio = AudioCtx ? new AudioCtx() : null; } catch (_) { audio = null; }

  function soundOn() { return !!audio && audio.state === "running"; }
  function soundBanner() {
    $("sound-banner").hidden = !audio || soundOn();
    document.body.dataset.sound = !audio ? "none" : soundOn() ? "on" : "blocked";
  }
  if (audio) {
    audio.addEventListener("statechange", soundBanner);
    // Try at once: a browser that allows autoplay starts the sound without a click.
    audio.resume().then(soundBanner, soundBanner);
    soundBanner();
    const unlock = () => { audio.resume().then(soundBanner, soundBanner); };
    $("sound-on").addEventListener("click", unlock);
    document.addEventListener("keydown", unlock, { once: true });
  } else {
    document.body.dataset.sound = "none";
  }

  function tone(freq, start, length) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.35, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + length + 0.05);
  }

  let chimes = 0; // played since the page loaded
  function chime() {
    if (!audio) { document.body.dataset.chime = "none"; return; }
    if (!soundOn()) {
      // Blocked by the browser's autoplay rule: ask again, and show the banner.
      audio.resume().then(soundBanner, soundBanner);
      document.body.dataset.chime = "blocked";
      soundBanner();
      return;
    }
    const t = audio.currentTime + 0.05;
    tone(784, t, 0.35); // G5
    tone(1047, t + 0.4, 0.5); // C6
    chimes += 1;
    document.body.dataset.chime = "played";
    document.body.dataset.chimes = String(chimes);
  }

  // ---- drawing -----------------------------------------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function time(at) {
    const d = new Date(at);
    return isNaN(d) ? "" : d.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
  }

  function callLine(call) {
    const line = el("span", "call");
    // Screen readers read a sentence in the staff's language instead of the arrow.
    const shown = el("span", "shown");
    shown.setAttribute("aria-hidden", "true");
    shown.append(el("span", "code", call.code), el("span", "arrow", " → "), el("span", "desk", call.desk_name));
    line.append(shown, el("span", "unseen", fill(W.ticket_to_desk, { code: call.code, desk: call.desk_name })));
    return line;
  }

  function render(fresh) {
    const cur = $("board-current");
    if (calls.length === 0 || !current) {
      cur.replaceChildren(el("span", "board-empty", W.please_wait));
    } else {
      cur.replaceChildren(callLine(calls[0]));
      if (fresh) {
        cur.classList.remove("flash");
        void cur.offsetWidth; // restart the animation
        cur.classList.add("flash");
      }
    }
    const earlier = current ? calls.slice(1, RECENT + 1) : calls.slice(0, RECENT);
    $("board-recent").replaceChildren(...earlier.map((c) => {
      const li = el("li");
      li.append(callLine(c), el("span", "at", time(c.at)));
      return li;
    }));
  }

  function same(a, b) { return a.code === b.code && a.desk === b.desk && a.at === b.at; }

  function add(call) {
    // A call fetched with the list just now may also arrive as an event: show it once.
    // Otherwise every event is a call, also a recall of the same code.
    if (calls.length && same(calls[0], call) && Date.now() - loadedAt < 3000) return;
    calls.unshift(call);
    calls = calls.slice(0, RECENT + 1);
    current = true;
    render(true);
    chime();
  }

  async function load() {
    try {
      const res = await fetch("/api/v1/board", { cache: "no-store", headers: { "Accept": "application/json" } });
      if (!res.ok) return;
      const data = await res.json();
      $("board-site").textContent = data.site || "";
      const list = (data.calls || []).slice(0, RECENT + 1);
      // Only a call newer than the one shown is news: a list whose top went back to an older
      // call (one taken back by a transfer) is shown without a flash or a chime.
      const fresh = list.length > 0 && (calls.length === 0
        || (!same(list[0], calls[0]) && new Date(list[0].at) >= new Date(calls[0].at)));
      // The server says which call is served now: none when the newest was sent on.
      current = !!data.now_serving;
      const hadCalls = calls.length > 0;
      calls = list;
      loadedAt = Date.now();
      render(fresh);
      if (fresh && hadCalls) chime(); // a call missed while disconnected
    } catch (_) { /* offline: the event stream retries */ }
  }

  // ---- live --------------------------------------------------------------------------

  function connect() {
    clearTimeout(retry);
    if (source) source.close();
    const es = new EventSource("/api/v1/board/events");
    source = es;
    es.addEventListener("open", () => {
      document.body.dataset.live = "open";
      $("board-offline").hidden = true;
      load();
    });
    es.addEventListener("call", (e) => {
      try { add(JSON.parse(e.data)); } catch (_) { load(); }
    });
    es.addEventListener("resync", load);
    es.addEventListener("transferred", load);
    es.addEventListener("error", () => {
      if (source !== es) return;
      document.body.dataset.live = "closed";
      $("board-offline").hidden = false;
      // The browser retries by itself unless it gave up (server error): then we retry.
      if (es.readyState === EventSource.CLOSED) retry = setTimeout(connect, 5000);
    });
  }

  function clock() {
    $("board-clock").textContent = new Date().toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
  }
  clock();
  setInterval(clock, 10000);
  // A TV runs for days: fetch the list now and then in case an event was lost.
  setInterval(load, 60000);

  load();
  connect();
})();
