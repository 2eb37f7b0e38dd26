// Apply the saved colour theme before the page paints (auto follows the system setting).
(function () {
  document.documentElement.classList.add("js");  // the theme button works: show it (see style.css)
  try {
    var t = localStorage.getItem("storyline-theme");
    if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
  } catch (e) { /* storage may be blocked: stay automatic */ }
})();
