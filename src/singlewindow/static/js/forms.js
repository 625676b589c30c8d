// Behaviour the pages ask for by attribute, so no page carries an inline script or handler
// (the Content-Security-Policy allows scripts from our static files only).
(function () {
  "use strict";

  // <button data-sw-confirm="问题？">: the browser asks once more before the form goes.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.dataset.swConfirm) || event.target.dataset.swConfirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // <button data-sw-print>: the browser's print dialog (the print stylesheet leaves the page's chrome out).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-sw-print]")) window.print();
  });

  // <select data-sw-autosubmit>: choosing a value submits its form.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-sw-autosubmit]") && field.form) field.form.requestSubmit();
  });

  // <input type=checkbox data-sw-select-all=".sw-pick">: ticks or clears every box the selector names.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.dataset || !all.dataset.swSelectAll) return;
    document.querySelectorAll(all.dataset.swSelectAll).forEach(function (box) { box.checked = all.checked; });
  });

  // <span data-sw-count=".sw-pick" data-sw-count-text="已选 {n} 份">: how many of those boxes are ticked, kept current
  // (after the select-all box above has done its work, since that listener was added first).
  function showCounts() {
    document.querySelectorAll("[data-sw-count]").forEach(function (counter) {
      var n = document.querySelectorAll(counter.dataset.swCount + ":checked").length;
      counter.textContent = counter.dataset.swCountText.replace("{n}", n);
    });
  }
  document.addEventListener("change", showCounts);
  showCounts();  // a box the browser kept ticked across a reload counts too

  // The agreement box (确认投保): ticking it opens the full agreement; only the dialog's 同意 ticks it.
  var box = document.querySelector("[data-sw-agreement]");
  if (box && window.bootstrap) {
    var dialogElement = document.getElementById(box.dataset.swAgreement);
    var dialog = window.bootstrap.Modal.getOrCreateInstance(dialogElement);
    box.addEventListener("click", function () {
      if (box.checked) { box.checked = false; dialog.show(); }
    });
    dialogElement.querySelector("[data-sw-agreement-accept]").addEventListener("click", function () {
      box.checked = true;
      dialog.hide();
    });
  }
})();
