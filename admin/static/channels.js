/* The Channels page: the widget preview follows the form as it is edited (nothing is saved until
   Save), plus the Copy, Show and Regenerate buttons. */
(function () {
  "use strict";

  var form = document.getElementById("widget-form");
  var frame = document.querySelector("[data-testid=widget-preview]");
  var unsaved = document.querySelector("[data-testid=unsaved]");
  var stringsByLanguage = JSON.parse(document.getElementById("widget-preview-strings").textContent);
  var interfaceLanguage = document.documentElement.lang === "ru" ? "ru" : "en";
  var savedState = formState();
  // With "auto", the preview speaks the language of the greeting edited last (else the admin's own).
  var editedGreeting = null;

  function formState() {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function previewLanguage() {
    var chosen = form.elements.language.value;
    if (chosen === "en" || chosen === "ru") return chosen;
    return editedGreeting || interfaceLanguage;
  }

  function previewSettings() {
    var language = previewLanguage();
    return {
      color: form.elements.color.value,
      position: form.elements.position.value,
      language: language,
      greeting: form.elements["greeting_" + language].value.trim(),
      strings: stringsByLanguage[language],
    };
  }

  function previewDocument(settings) {
    var config = JSON.stringify({ preview: true, settings: settings }).replace(/</g, "\\u003c");
    return [
      "<!doctype html><html><head><meta charset='utf-8'>",
      "<meta name='viewport' content='width=device-width, initial-scale=1'>",
      "<style>html,body{margin:0;height:100%;background:#eef1f5}",
      ".page{padding:24px}.bar{height:12px;margin:0 0 14px;border-radius:6px;background:#dde2ea}",
      ".block{height:90px;margin:0 0 18px;border-radius:10px;background:#e4e8ee}</style></head><body>",
      "<div class='page' aria-hidden='true'><div class='bar' style='width:45%'></div>",
      "<div class='bar' style='width:80%'></div><div class='bar' style='width:65%'></div>",
      "<div class='block'></div><div class='bar' style='width:70%'></div><div class='bar' style='width:55%'></div></div>",
      "<script>window.FirstlineSettings = " + config + ";<\/script>",
      "<script src='" + location.origin + "/widget.js'><\/script></body></html>",
    ].join("");
  }

  function previewWidget() {
    return frame.contentWindow ? frame.contentWindow.FirstlineWidget : undefined;
  }

  function refreshPreview() {
    var widget = previewWidget();
    if (widget) widget.update(previewSettings());
    unsaved.hidden = formState() === savedState;
  }

  function onEdit(event) {
    var name = event.target.name;
    if (name === "greeting_en" || name === "greeting_ru") editedGreeting = name.slice(-2);
    refreshPreview();
  }

  function choosePreviewSize(event) {
    var size = event.currentTarget.dataset.previewSize;
    frame.classList.toggle("phone", size === "phone");
    document.querySelectorAll("[data-preview-size]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.previewSize === size));
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // The Clipboard API exists only on https (or localhost); elsewhere the old way still works.
    var scratch = document.createElement("textarea");
    scratch.value = text;
    scratch.setAttribute("readonly", "");
    scratch.style.position = "fixed";
    scratch.style.opacity = "0";
    document.body.append(scratch);
    scratch.select();
    document.execCommand("copy");
    scratch.remove();
    return Promise.resolve();
  }

  function onCopy(event) {
    var button = event.currentTarget;
    var source = document.getElementById(button.dataset.copy);
    var text = source.tagName === "INPUT" ? source.value : source.textContent;
    copyText(text).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied;
      setTimeout(function () {
        button.textContent = label;
      }, 1500);
    });
  }

  function onReveal(event) {
    var button = event.currentTarget;
    var input = document.getElementById(button.dataset.reveal);
    var hidden = input.type === "password";
    input.type = hidden ? "text" : "password";
    button.textContent = hidden ? button.dataset.hide : button.dataset.show;
  }

  function onConfirmedSubmit(event) {
    if (!window.confirm(event.currentTarget.dataset.confirm)) event.preventDefault();
  }

  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  frame.addEventListener("load", refreshPreview);
  frame.srcdoc = previewDocument(previewSettings());
  document.querySelectorAll("[data-preview-size]").forEach(function (button) {
    button.addEventListener("click", choosePreviewSize);
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", onCopy);
  });
  document.querySelectorAll("[data-reveal]").forEach(function (button) {
    button.addEventListener("click", onReveal);
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (confirmed) {
    confirmed.addEventListener("submit", onConfirmedSubmit);
  });
})();
