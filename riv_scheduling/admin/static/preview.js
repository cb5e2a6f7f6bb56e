// Live preview of texts and conditions: copies what is typed into the citizen's view.
// Only textContent is set (never HTML), so typed markup shows as text and is never run.
(function () {
  "use strict";
  var form = document.getElementById("texts-form");
  if (!form) { return; }
  function update(field) {
    var name = field.getAttribute("data-field");
    var target = document.querySelector('[data-preview="' + name + '"]');
    if (!target) { return; }
    var value = field.value.trim();
    target.textContent = value;
    if (target.tagName === "A") {
      if (/^https?:\/\//.test(value)) { target.setAttribute("href", value); } else { target.removeAttribute("href"); }
    }
    var row = name.replace(/-(header|description|link)$/, "");
    var header = form.querySelector('[data-field="' + row + '-header"]');
    var item = document.querySelector('[data-row="' + row + '"]');
    if (item && header) { item.hidden = header.value.trim() === ""; }
  }
  function continueState() {
    var boxes = document.querySelectorAll(".citizen .pv-item:not([hidden]) .pv-accept");
    var all = true;
    boxes.forEach(function (b) { all = all && b.checked; });
    var button = document.querySelector(".pv-continue");
    if (button) { button.disabled = !all; }
  }
  form.addEventListener("input", function (event) {
    if (event.target.hasAttribute("data-field")) { update(event.target); continueState(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.classList.contains("pv-accept")) { continueState(); }
  });
  continueState();
}());
