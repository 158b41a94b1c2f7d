/* The Markdown import form: refuse too many files, or more bytes than the server accepts in one
   request, before sending them (the server would answer the latter with a bare 413). */
(function () {
  "use strict";

  var form = document.querySelector("[data-testid=import-markdown]");
  if (form === null) return;
  var input = form.querySelector("input[type=file]");
  var error = form.querySelector("[data-testid=import-files-error]");

  function problem() {
    var files = Array.prototype.slice.call(input.files);
    if (files.length > Number(form.dataset.maxFiles)) return form.dataset.tooMany;
    var size = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    // The form's other fields and the multipart framing take a little room too.
    if (size + 16 * 1024 > Number(form.dataset.maxBytes)) return form.dataset.tooLarge;
    return "";
  }

  function check() {
    var text = problem();
    error.textContent = text;
    error.hidden = text === "";
    input.setCustomValidity(text);
    return text === "";
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (!check()) event.preventDefault();
  });
})();
