// The 通知 popup sits in the lower-right corner, except on a page with a form (it would cover a field as
// the page scrolls) and on a phone (20rem is the whole width: it would cover the list's links): there it
// takes its place at the top of the page instead.
(function () {
  var notice = document.getElementById("sw-notice");
  var main = document.getElementById("main");
  if (!notice || !main) return;
  var field = "input:not([type=hidden]), select, textarea";
  if (main.querySelector(field) || window.matchMedia("(max-width: 575.98px)").matches) {
    notice.classList.add("sw-notice-inline");
    main.prepend(notice);
  }
})();
