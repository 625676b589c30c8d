// The 通知 popup sits in the lower-right corner, except on a page with a form: there it would cover a
// field as the page scrolls, so it takes its place at the top of the page instead.
(function () {
  var notice = document.getElementById("sw-notice");
  var main = document.getElementById("main");
  if (!notice || !main) return;
  var field = "input:not([type=hidden]), select, textarea";
  if (main.querySelector(field)) {
    notice.classList.add("sw-notice-inline");
    main.prepend(notice);
  }
})();
