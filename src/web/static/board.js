// Loket "now serving" board for a TV: the newest call huge, the few before it below.
// Live over Server-Sent Events, a two-tone chime per call, reconnects by itself.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const RECENT = 4; // calls shown below the current one
  let calls = []; // newest first
  let source = null;
  let retry = null;
  let loadedAt = 0; // when the list was last fetched

  // ---- the chime ---------------------------------------------------------------------

  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  let audio = null;
  try { audio = AudioCtx ? new AudioCtx() : null; } catch (_) { audio = null; }

  function soundButton() {
    $("sound-on").hidden = !audio || audio.state === "running";
  }
  if (audio) {
    audio.addEventListener("statechange", soundButton);
    soundButton();
    const unlock = () => { audio.resume().then(soundButton, soundButton); };
    $("sound-on").addEventListener("click", unlock);
    document.addEventListener("keydown", unlock, { once: true });
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

  function chime() {
    if (!audio || audio.state !== "running") return;
    const t = audio.currentTime + 0.05;
    tone(784, t, 0.35); // G5
    tone(1047, t + 0.4, 0.5); // C6
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
    return isNaN(d) ? "" : d.toLocaleTimeString("nl-BE", { hour: "2-digit", minute: "2-digit" });
  }

  function callLine(call) {
    const line = el("span", "call");
    line.append(el("span", "code", call.code), el("span", "arrow", " → "), el("span", "desk", call.desk_name));
    return line;
  }

  function render(fresh) {
    const cur = $("board-current");
    if (calls.length === 0) {
      cur.replaceChildren(el("span", "board-empty", "Even geduld"));
    } else {
      cur.replaceChildren(callLine(calls[0]));
      if (fresh) {
        cur.classList.remove("flash");
        void cur.offsetWidth; // restart the animation
        cur.classList.add("flash");
      }
    }
    $("board-recent").replaceChildren(...calls.slice(1, RECENT + 1).map((c) => {
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
      const fresh = list.length > 0 && (calls.length === 0 || !same(list[0], calls[0]));
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
    es.addEventListener("error", () => {
      if (source !== es) return;
      document.body.dataset.live = "closed";
      $("board-offline").hidden = false;
      // The browser retries by itself unless it gave up (server error): then we retry.
      if (es.readyState === EventSource.CLOSED) retry = setTimeout(connect, 5000);
    });
  }

  function clock() {
    $("board-clock").textContent = new Date().toLocaleTimeString("nl-BE", { hour: "2-digit", minute: "2-digit" });
  }
  clock();
  setInterval(clock, 10000);
  // A TV runs for days: fetch the list now and then in case an event was lost.
  setInterval(load, 60000);

  load();
  connect();
})();
