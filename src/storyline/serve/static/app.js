// storyline's few live bits, without any framework:
// - the theme button cycles automatic -> the other theme than the system's -> the system's (remembered);
// - a timeline scrolled within its frame shows its newest hours first;
// - pages that list stories check /api/stats every minute and offer a refresh when new articles arrive.
(function () {
  "use strict";
  var root = document.documentElement;
  var button = document.getElementById("theme");
  // The first click always changes what the reader sees: from automatic to the other theme than the
  // system's (automatic -> light on a light system changed nothing), then to the system's, then back.
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var order = dark ? ["auto", "light", "dark"] : ["auto", "dark", "light"];
  var labels = { auto: "Theme: automatic", light: "Theme: light", dark: "Theme: dark" };
  function current() { return root.getAttribute("data-theme") || "auto"; }
  function show() { if (button) { button.title = labels[current()] + " (click to change)"; button.setAttribute("aria-label", labels[current()]); } }
  if (button) {
    button.addEventListener("click", function () {
      var next = order[(order.indexOf(current()) + 1) % order.length];
      if (next === "auto") root.removeAttribute("data-theme"); else root.setAttribute("data-theme", next);
      try { if (next === "auto") localStorage.removeItem("storyline-theme"); else localStorage.setItem("storyline-theme", next); } catch (e) {}
      show();
    });
    show();
  }

  // A timeline wider than its frame (on a phone) opens at its newest hours, the story's latest news:
  // opened at its oldest, the story seemed to stop a day early.
  var charts = document.querySelectorAll(".chart");
  for (var i = 0; i < charts.length; i++) charts[i].scrollLeft = charts[i].scrollWidth;

  var main = document.getElementById("main");
  var banner = document.getElementById("live");
  var seen = main ? parseInt(main.getAttribute("data-seq") || "0", 10) : 0;
  if (!main || !banner || !seen || !window.fetch) return;
  function check() {
    if (document.hidden) return;
    fetch("/api/stats", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s && s.last_seq > seen) banner.hidden = false; })
      .catch(function () {});
  }
  setInterval(check, 60000);
})();
