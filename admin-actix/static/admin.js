// The dynlog admin's only script: small conveniences over pages that work without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A form sent back with an error: the focus on the message at the top (announced, with a
  // link to its field), so that a keyboard or screen reader user starts from it.
  const error = document.getElementById("error");
  if (error && error.tabIndex === -1) error.focus();

  // Boxes that scroll (tables and the timeline on a narrow screen, the live tail) can be
  // scrolled from the keyboard: focusable, named after their heading or table.
  const scrollers = () => {
    document.querySelectorAll(".scroll, .tail-box, .timeline, table").forEach((box) => {
      const style = getComputedStyle(box);
      const scrolls = (/(auto|scroll)/.test(style.overflowX) && box.scrollWidth > box.clientWidth + 1)
        || (/(auto|scroll)/.test(style.overflowY) && box.scrollHeight > box.clientHeight + 1);
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.tabIndex = 0;
        box.dataset.scrollFocus = "";
        if (!box.hasAttribute("role") && box.tagName !== "TABLE") {
          box.setAttribute("role", "region");
          const section = box.closest("section, details, main");
          const heading = section && section.querySelector("h1, h2, summary");
          box.setAttribute("aria-label", `${heading ? heading.textContent.trim() : "table"} (scrolls)`);
        }
      } else if (!scrolls && box.dataset.scrollFocus !== undefined) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollFocus;
        if (box.getAttribute("aria-label")?.endsWith("(scrolls)")) {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
      }
    });
  };
  scrollers();
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(scrollers, 100);
  });

  // Buttons that ask first.
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });

  // The loggers grid: "add a logger" clones the blank row with a fresh index.
  const add = document.getElementById("add-logger");
  const template = document.getElementById("logger-row");
  const body = document.querySelector("#loggers tbody");
  if (add && template && body) {
    add.hidden = false;
    add.addEventListener("click", () => {
      const index = body.querySelectorAll("tr").length + 100;
      const row = template.content.firstElementChild.cloneNode(true);
      row.querySelectorAll("[name]").forEach((field) => {
        field.name = field.name.replace("logger.9999.", `logger.${index}.`);
      });
      // Its controls' ids and the names they take from the headings and the row.
      for (const element of [row, ...row.querySelectorAll("*")]) {
        for (const attribute of ["id", "aria-labelledby", "aria-describedby"]) {
          const value = element.getAttribute(attribute);
          if (value) element.setAttribute(attribute, value.replaceAll("logger-9999-", `logger-${index}-`).replace("logger-9999", `logger-${index}`));
        }
      }
      body.appendChild(row);
      const number = row.querySelector(`#logger-${index}-number`);
      if (number) number.textContent = `of row ${body.querySelectorAll("tr").length}`;
      row.querySelector("input").focus();
    });
  }

  // Times typed in UTC, shown in the operator's time zone too.
  const parseUtc = (text) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
    if (!m) return null;
    return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0)));
  };
  const formatUtc = (date) => date.toISOString().slice(0, 16).replace("T", " ");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const showLocal = (input) => {
    const out = document.querySelector(`.local[data-for="${input.name}"]`);
    if (!out) return;
    const date = parseUtc(input.value);
    out.textContent = date ? `${date.toLocaleString()} (${zone})` : "";
  };
  const start = document.getElementById("start");
  const end = document.getElementById("end");
  const duration = document.getElementById("duration");
  const showDuration = () => {
    if (!duration || !start || !end) return;
    const from = parseUtc(start.value);
    const to = parseUtc(end.value);
    if (end.value.trim() === "") { duration.textContent = "until deleted"; return; }
    if (!from || !to) { duration.textContent = ""; return; }
    const minutes = Math.round((to - from) / 60000);
    if (minutes <= 0) { duration.textContent = "ends before it starts"; return; }
    duration.textContent = minutes >= 2880
      ? `${Math.floor(minutes / 1440)} days`
      : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  };
  if (start && end) {
    // As in the seed, the end follows two hours after the start, but only on a new form that
    // nobody has typed in: an existing window, or one sent back with an error, stays as typed.
    let endFollows = document.getElementById("trigger-form")?.hasAttribute("data-fresh");
    end.addEventListener("input", () => { endFollows = false; showLocal(end); showDuration(); });
    start.addEventListener("input", () => {
      showLocal(start);
      const date = parseUtc(start.value);
      if (date && endFollows) {
        end.value = formatUtc(new Date(date.getTime() + 2 * 3600 * 1000));
        showLocal(end);
      }
      showDuration();
    });
    showLocal(start);
    showLocal(end);
  }
  document.querySelectorAll("time[datetime]").forEach((time) => {
    if (time.dateTime) time.title = `${new Date(time.dateTime).toLocaleString()} (${zone})`;
  });

  // The live tail: opens at the newest record and follows as records arrive, unless paused
  // (then they are counted and kept, and appended on resume).
  const tail = document.getElementById("tail");
  if (tail && window.EventSource) {
    const rows = tail.querySelector("tbody");
    const box = document.getElementById("tail-box") || tail;
    const state = document.getElementById("tail-state");
    const empty = document.getElementById("tail-empty");
    const pause = document.getElementById("tail-pause");
    const running = document.getElementById("tail-running");
    const scoped = document.getElementById("tail-scoped");
    const KEEP = 1000;
    let paused = false;
    let held = [];
    let counted = 0;
    let live = false;
    const atBottom = () => box.scrollHeight - box.clientHeight - box.scrollTop < 40;
    const toBottom = () => { box.scrollTop = box.scrollHeight; };
    const say = () => {
      if (!state) return;
      if (paused) state.textContent = `paused: ${counted} new`;
      else state.textContent = live ? "live" : "reconnecting…";
    };
    const append = (records) => {
      if (records.length === 0) return;
      const follow = atBottom();
      for (const r of records) {
        const row = document.createElement("tr");
        row.className = `level-${r.level}`;
        // The message, then its key-values as the text format writes them: `paid user=42`.
        const text = (r.kv || []).reduce((line, [key, value]) => `${line} ${key}=${value}`, r.message);
        for (const value of [r.seq, r.at, r.level, r.target, text]) {
          const cell = document.createElement("td");
          cell.textContent = value;
          row.appendChild(cell);
        }
        rows.appendChild(row);
      }
      while (rows.children.length > KEEP) rows.removeChild(rows.firstChild);
      if (empty) empty.hidden = true;
      if (follow) toBottom();
    };
    toBottom();
    if (pause) {
      pause.hidden = false;
      pause.addEventListener("click", () => {
        paused = !paused;
        pause.textContent = paused ? "Resume" : "Pause";
        pause.setAttribute("aria-pressed", String(paused));
        if (!paused) {
          const records = held;
          held = [];
          counted = 0;
          append(records);
          toBottom();
        }
        say();
      });
    }
    const source = new EventSource(tail.dataset.events);
    source.onopen = () => { live = true; say(); };
    source.onerror = () => { live = false; say(); };
    source.addEventListener("window", (event) => {
      const shown = JSON.parse(event.data);
      if (running) running.textContent = shown.running;
      if (scoped) scoped.textContent = shown.scoped || "";
    });
    source.onmessage = (event) => {
      const r = JSON.parse(event.data);
      if (paused) {
        held.push(r);
        counted += 1;
        if (held.length > KEEP) held.shift();
        say();
      } else {
        append([r]);
      }
    };
  }
});
