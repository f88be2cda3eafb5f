// The wording page's live preview: fills the text being typed with the sample values
// (the same {name} substitution as notifications.templates: only lower-case names the
// message offers; anything else stays as written) and counts the SMS's characters and
// parts as notifications.templates.sms_info does. The page works without it: "Preview"
// asks the server.
(function () {
  "use strict";
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENDED = "^{}\\[~]|€\f";

  function substitute(text, values) {
    return (text || "").replace(/\{([a-z_]+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function smsInfo(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (ch) {
      return GSM.indexOf(ch) >= 0 || GSM_EXTENDED.indexOf(ch) >= 0;
    });
    var units = 0;
    chars.forEach(function (ch) {
      if (gsm) {
        units += GSM_EXTENDED.indexOf(ch) >= 0 ? 2 : 1;
      } else {
        units += ch.codePointAt(0) > 0xffff ? 2 : 1;
      }
    });
    var single = gsm ? 160 : 70;
    var part = gsm ? 153 : 67;
    var parts = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
    return { characters: chars.length, parts: parts, unicode: !gsm };
  }

  function start(root) {
    var sampleNode = document.getElementById("template-sample");
    var values = sampleNode ? JSON.parse(sampleNode.textContent) : {};
    var body = root.querySelector("textarea[name=body]");
    var subject = root.querySelector("input[name=subject]");
    var channel = root.dataset.channel;
    var signature = (root.dataset.signature || "").trim();
    var show = function (selector, text) {
      var node = root.querySelector(selector);
      if (node) node.textContent = text;
    };
    var toggle = function (selector, visible) {
      var node = root.querySelector(selector);
      if (node) node.hidden = !visible;
    };

    function update() {
      var text = substitute(body.value, values).trim();
      if (channel === "sms") {
        var prefix = signature ? "【" + signature + "】" : "";
        if (prefix && text.indexOf(prefix) !== 0) text = prefix + text;
        var info = smsInfo(text);
        show("[data-chars]", String(info.characters));
        show("[data-parts]", String(info.parts));
        toggle("[data-unicode]", info.unicode);
        toggle("[data-gsm]", !info.unicode);
      } else if (subject) {
        show("[data-preview-subject]", substitute(subject.value, values).trim());
      }
      show("[data-preview-body]", text);
    }

    root.querySelectorAll("[data-insert]").forEach(function (button) {
      button.addEventListener("click", function () {
        var token = "{" + button.dataset.insert + "}";
        var from = body.selectionStart;
        var to = body.selectionEnd;
        body.value = body.value.slice(0, from) + token + body.value.slice(to);
        body.focus();
        body.selectionStart = body.selectionEnd = from + token.length;
        update();
      });
    });
    body.addEventListener("input", update);
    if (subject) subject.addEventListener("input", update);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-template-editor]").forEach(start);
  });
})();
